// Run records: `<workspace>/.kernelpilot/runs/<timestamp>-<kernel>-<shortid>/record.json`. A record keeps the raw
// data (every timing sample of both sides, what the gate runtime reported about every check and every timed pair)
// and every parameter of the analysis (confidence, test level, bootstrap seed, roofline counts and ceilings), so
// `rederive` recomputes exactly the numbers and probes that were shown, through the pure derivation in derive/.
// Identity of what ran (object and shim hashes, command lines, GPU, driver, nvcc) is kept so a result can be
// traced back and reproduced. This folder is data and I/O: it decides nothing itself.
//
// Version 2 records (kernel-only timing, every timed launch verified) keep the runtime's events as `evidence`
// and derive the probes from them; version 1 records (one process per check, output dumps) kept their probes.

import { link, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DeviceInfo, TimingMethod } from '../harness/protocol';
import type { BenchSpec, LaunchConfig } from '../benchspec/model';
import type { CompareOptions } from '../derive/compare';
import type { Ceilings, RooflineOptions } from '../derive/roofline';
import { deriveSummary } from '../derive/summary';
import type { BenchSummary } from '../derive/summary';
import { probesOf, verdictOf } from '../derive/probes';
import type { BaselineEvidence, CandidateEvidence, Probe, VerifyVerdict } from '../derive/probes';
import { trustOf } from '../derive/trust';

export const RECORD_FILE = 'record.json';

export interface FileHash {
  path: string;
  sha256: string;
}

/** Version 1: one check process's report and where its output dumps were, relative to the run folder. */
export interface RecordedCheck {
  report: Record<string, unknown> & { seed: number };
  dir: string;
}

export interface RunRecordInput {
  /** What ran: `bench` times one kernel, `compare` gates a candidate against it (absent in early records). */
  kind?: 'bench' | 'compare';
  kernel: string;
  spec: BenchSpec;
  /** compare: the candidate's own launch, when it does not use the spec's (the candidate binary was built with it). */
  candidateLaunch?: LaunchConfig;
  /** The sizes benchmarked (the spec's, or one sweep point). */
  sizes: Record<string, number>;
  seeds: { check: number[]; time: number; sets?: number };
  timings: {
    /** 'interleaved': baselineMs[i] and candidateMs[i] were timed back to back. */
    order: 'interleaved' | 'baseline-only';
    /** Kernel time per sample (version 1: events around launch and device sync). */
    baselineMs: number[];
    candidateMs?: number[];
    /** Version 2: how the kernel times were taken, and per sample the launch call and the wall time. */
    method?: TimingMethod;
    baselineLaunchMs?: number[];
    baselineWallMs?: number[];
    candidateLaunchMs?: number[];
    candidateWallMs?: number[];
    warmup?: number;
    l2FlushBytes?: number;
  };
  /** Version 1 only. */
  checks?: {
    baseline: RecordedCheck[];
    candidate: RecordedCheck[];
    candidateRepeat?: RecordedCheck;
    timed?: { baseline: RecordedCheck; candidate: RecordedCheck };
  };
  /** Version 2: what the gate runtime reported, from which the probes and the trust report derive. */
  evidence?: { baseline?: BaselineEvidence; candidate?: CandidateEvidence };
  /** Version 1: the probes as computed then. Version 2: derived from `evidence`, kept for readers. */
  probes?: Probe[];
  gpu: { name: string; computeCapability: string; driverVersion: string | number; uuid?: string; index?: number; device?: DeviceInfo };
  nvccVersion?: string;
  /** What ran: the kernel versions' shared objects (version 1: harness binaries) and the gate runtime. */
  binaries: Array<FileHash & { role: 'baseline' | 'candidate' | 'runtime' }>;
  harnessSources: FileHash[];
  /** The user's files as built (absolute paths): an editor shows a record only for the source it measured. */
  sources?: Array<FileHash & { role: 'baseline' | 'candidate' }>;
  /** argv of every command the run executed, in order. */
  commands: string[][];
  /** The user's flags both sides were built with (include folders, macros, extra args, compile_commands.json, refusals). */
  buildFlags?: Record<string, unknown>;
  ceilings?: Ceilings & { source: 'measured' | 'cache'; measuredAt?: string };
  roofline: { bytes: number; flops?: number; options?: RooflineOptions };
  analysis: { confidence: number; compare: CompareOptions };
}

export const RECORD_VERSION = 2 as const;

export interface RunRecord extends RunRecordInput {
  version: 1 | 2;
  /** Also the folder name. */
  id: string;
  createdAt: string;
  verdict?: VerifyVerdict;
  /** What was shown. Probes are not repeated here; they are the record's `probes`. */
  summary: Omit<BenchSummary, 'verification'>;
}

function safeKernelName(kernel: string): string {
  // Qualified names (`ns::k<float>`) become folder-safe; capped so paths stay short.
  return kernel.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'kernel';
}

/** `2026-11-21T12-00-00Z-ns_vadd-1a2b3c4d`: sorts by time, readable, unique. */
export function runId(now: Date, kernel: string, shortId: string = randomBytes(4).toString('hex')): string {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  return `${stamp}-${safeKernelName(kernel)}-${shortId}`;
}

export function runsDir(workspace: string): string {
  return join(workspace, '.kernelpilot', 'runs');
}

export function runDir(workspace: string, id: string): string {
  return join(runsDir(workspace), id);
}

/**
 * The newest `bench` record of `kernel` built from `file`, or undefined. Run folders are named by time and kernel,
 * so only this kernel's folders are read, newest first; unreadable ones are skipped (a run still being written).
 */
export async function latestBenchRecord(workspace: string, kernel: string, file: string): Promise<{ record: RunRecord; dir: string } | undefined> {
  for (const id of await kernelRunIds(workspace, kernel)) {
    const dir = runDir(workspace, id);
    const record = await readRunRecord(dir).catch(() => undefined);
    if (!record || record.kind !== 'bench' || record.kernel !== kernel) continue;
    if (record.sources?.find((s) => s.role === 'baseline')?.path === file) return { record, dir };
  }
  return undefined;
}

/** The run folders named after `kernel` (bench runs, optimize runs, the gate records of their attempts), newest first. */
export async function kernelRunIds(workspace: string, kernel: string): Promise<string[]> {
  const suffix = new RegExp(`Z-${safeKernelName(kernel).replace(/\./g, '\\.')}-[0-9a-f]+$`);
  const ids = await listRuns(workspace).catch(() => []);
  return ids.filter((n) => suffix.test(n)).reverse();
}

/** The probes a record stands for: derived from its evidence (version 2) or as it stored them (version 1). */
function probesOfRecord(r: RunRecordInput & { version?: number }): Probe[] | undefined {
  const candidate = r.evidence?.candidate;
  if (r.version !== 1 && candidate) return probesOf(r.spec, candidate, r.evidence?.baseline);
  return r.probes;
}

/** Everything `deriveSummary` needs, taken from the record alone. */
function summaryInput(r: RunRecordInput & { version?: number }): Parameters<typeof deriveSummary>[0] {
  const probes = probesOfRecord(r);
  const t = r.timings;
  const candidate = r.version !== 1 ? r.evidence?.candidate : undefined;
  return {
    kernel: r.kernel,
    gpuName: r.gpu.name,
    baselineMs: t.baselineMs,
    ...(t.candidateMs ? { candidateMs: t.candidateMs } : {}),
    ...(t.method ? { method: t.method } : {}),
    ...(t.baselineLaunchMs ? { baselineLaunchMs: t.baselineLaunchMs } : {}),
    ...(t.baselineWallMs ? { baselineWallMs: t.baselineWallMs } : {}),
    ...(t.candidateLaunchMs ? { candidateLaunchMs: t.candidateLaunchMs } : {}),
    ...(t.candidateWallMs ? { candidateWallMs: t.candidateWallMs } : {}),
    bytes: r.roofline.bytes,
    ...(r.roofline.flops !== undefined ? { flops: r.roofline.flops } : {}),
    ...(r.ceilings ? { ceilings: { copyBytesPerSecond: r.ceilings.copyBytesPerSecond, fp32FlopsPerSecond: r.ceilings.fp32FlopsPerSecond } } : {}),
    ...(r.roofline.options ? { rooflineOptions: r.roofline.options } : {}),
    compareOptions: r.analysis.compare,
    confidence: r.analysis.confidence,
    ...(probes ? { verification: { probes, verdict: verdictOf(probes) } } : {}),
    ...(candidate ? { trust: trustOf(candidate) } : {}),
    withholdRejected: r.version !== 1,
  };
}

function withoutVerification(s: BenchSummary): Omit<BenchSummary, 'verification'> {
  const { verification: _verification, ...rest } = s;
  return rest;
}

/**
 * Builds the record and its summary from raw data. The bootstrap seed is pinned into the record (default 1)
 * so the re-derived confidence interval is bit-identical.
 */
export function createRunRecord(input: RunRecordInput, options: { now?: Date; shortId?: string } = {}): RunRecord {
  const now = options.now ?? new Date();
  const pinned: RunRecordInput & { version: 2 } = { ...input, version: RECORD_VERSION, analysis: { ...input.analysis, compare: { seed: 1, ...input.analysis.compare } } };
  const summary = deriveSummary(summaryInput(pinned));
  const record: RunRecord = { id: runId(now, input.kernel, options.shortId), createdAt: now.toISOString(), ...pinned, summary: withoutVerification(summary) };
  if (summary.verification) {
    record.probes = summary.verification.probes;
    record.verdict = summary.verification.verdict;
  }
  return record;
}

/** Recomputes every shown number from the record's raw data and analysis parameters. */
export function rederive(record: RunRecord): BenchSummary {
  return deriveSummary(summaryInput(record));
}

/** JSON has no NaN/Infinity (they become null), so compare what a stored record can hold. */
function jsonNormal(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 20) return;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${path || '/'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    return;
  }
  if (typeof a === 'object' && a !== null && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b as object)]);
    for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`, out);
    return;
  }
  if (a !== b) out.push(`${path || '/'}: stored ${JSON.stringify(a)}, re-derived ${JSON.stringify(b)}`);
}

/** Compares the stored summary and verdict with a fresh derivation; lists up to 20 differences. */
export function checkRederivation(record: RunRecord): { ok: boolean; differences: string[] } {
  const fresh = rederive(record);
  const diffs: string[] = [];
  differences(jsonNormal(record.summary), jsonNormal(withoutVerification(fresh)), '/summary', diffs);
  if (record.probes) differences(jsonNormal(record.verdict), jsonNormal(fresh.verification?.verdict), '/verdict', diffs);
  if (record.version !== 1 && record.probes) differences(jsonNormal(record.probes), jsonNormal(fresh.verification?.probes), '/probes', diffs);
  return { ok: diffs.length === 0, differences: diffs };
}

/** Writes `<workspace>/.kernelpilot/runs/<id>/record.json` (never over an existing record); returns the folder. */
export async function writeRunRecord(workspace: string, record: RunRecord): Promise<string> {
  const dir = runDir(workspace, record.id);
  await writeNewRecordFile(join(dir, RECORD_FILE), record);
  return dir;
}

/** Writes a record file (its folder made), never over an existing one. */
export async function writeNewRecordFile(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { encoding: 'utf8', flag: 'wx' });
  // link() publishes the complete file atomically and, unlike rename(), fails if a record is already there.
  try {
    await link(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`run record ${file} already exists; run ids must be unique`, { cause: error });
    throw new Error(`writing run record ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Reads and sanity-checks a record; errors name the file and the missing part. */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = join(dir, RECORD_FILE);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`reading run record ${file}: ${(error as Error).message}`, { cause: error });
  }
  const r = data as Partial<RunRecord>;
  if (r.version !== 1 && r.version !== 2) throw new Error(`run record ${file} has version ${JSON.stringify(r.version)}; this KernelPilot reads versions 1 and 2`);
  const need: Array<[string, boolean]> = [
    ['id', typeof r.id === 'string'],
    ['kernel', typeof r.kernel === 'string'],
    ['spec', typeof r.spec === 'object' && r.spec !== null],
    ['timings.baselineMs', Array.isArray(r.timings?.baselineMs)],
    ['gpu.name', typeof r.gpu?.name === 'string'],
    ['roofline.bytes', typeof r.roofline?.bytes === 'number'],
    ['analysis', typeof r.analysis?.confidence === 'number' && typeof r.analysis?.compare === 'object'],
    ['summary', typeof r.summary === 'object' && r.summary !== null],
  ];
  const missing = need.filter(([, ok]) => !ok).map(([name]) => name);
  if (missing.length) throw new Error(`run record ${file} lacks or has malformed: ${missing.join(', ')}`);
  return r as RunRecord;
}

/** Run ids in the workspace, oldest first (ids start with their UTC timestamp). */
export async function listRuns(workspace: string): Promise<string[]> {
  try {
    const entries = await readdir(runsDir(workspace), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
