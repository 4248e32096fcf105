// The end-to-end bench job: spec → harness build → (GPU) ceilings, correctness checks, timing → probes, roofline,
// gate → run record. `benchKernel` measures one kernel; `compareCandidate` puts a drop-in replacement file
// through the probes and an interleaved timing against it. Every process runs through the given Target; the
// numbers shown come from the run record (rederive), so what is printed is what the record proves.

import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CheckReport, TimeReport } from '../harness/protocol';
import { createRunRecord, rederive, runDir, runId, writeRunRecord, type RecordedCheck, type RunRecord, type RunRecordInput } from '../runs/record';
import { sha256File } from '../runs/hash';
import { checkDir } from '../runs/reverify';
import type { LaunchConfig, SpecArg } from '../benchspec/model';
import type { GpuWait } from '../targets/gpu-gate';
import { detectArch } from '../harness/build';
import { refuseUnrunnableSizes } from './fits';
import { ceilingsFor, requireGpu, runCheck, runTime, type GpuContext, type ResolvedCeilings } from './job-gpu';
import { buildFor, candidateSpec, JobError, prepareCandidate, prepareSpec, type BuildInfo, type PrepareOptions, type PreparedSpec, type SpecSource } from './job-prepare';
import { flopsCeilingApplies } from './roofline';
import { crashProbe } from './runs-probe';
import { timedCheck, timedProbe } from './timed-probe';
import { rooflineBytes, rooflineFlops } from './shapes';
import type { BenchSummary } from './summary';
import { verdictOf, verify, type CheckRun, type Probe } from './verify';

export { JobError } from './job-prepare';

export interface JobOptions extends PrepareOptions {
  dryRun?: boolean;
  /** Default ~/.cache/kernelpilot/ceilings.json. */
  ceilingsPath?: string;
  /** Check seeds (≥ 3); default three random ones, recorded. */
  seeds?: number[];
  /** First seed of the timed buffer sets; default random. */
  timeSeed?: number;
  warmup?: number;
  /** bench: timed launches in one `time` run. compare: timed launches per side per round. */
  iters?: number;
  sets?: number;
  /** compare: alternating rounds (A B A B …). */
  rounds?: number;
  /** Per harness run. */
  timeoutMs?: number;
  /** Told when the job waits for the GPU (another job of this process or another one times on it), and when the wait ends (undefined). */
  onGpuWait?: (wait: GpuWait | undefined) => void;
  /** Fixes the run id (tests). */
  now?: Date;
  shortId?: string;
}

export interface DryRunResult {
  kind: 'dry-run';
  kernel: string;
  spec: PreparedSpec['spec'];
  specSource: SpecSource;
  builds: BuildInfo[];
}

export interface JobResult {
  kind: 'bench' | 'compare';
  kernel: string;
  specSource: SpecSource;
  summary: BenchSummary;
  record: RunRecord;
  /** The run folder: record.json and the check dumps. */
  runDir: string;
  builds: BuildInfo[];
  /** Things to know that are not failures: baseline oddities, harness warnings. */
  warnings: string[];
}

const DEFAULTS = { warmup: 10, benchIters: 100, sets: 3, rounds: 6, compareIters: 25, compareWarmup: 5 } as const;
const CONFIDENCE = 0.95;

function pickSeeds(o: JobOptions): { check: number[]; time: number } {
  const check = o.seeds ?? (() => {
    // Random per run (field notes, pattern 17: a candidate must not be able to know the seeds), recorded.
    const base = randomInt(1, 1 << 30);
    return [base, base + 1, base + 2];
  })();
  if (check.length < 3) throw new JobError('input', `at least 3 check seeds are needed, got ${check.length}`);
  return { check, time: o.timeSeed ?? randomInt(1, 1 << 30) };
}

interface CandidateInput {
  file: string;
  launch?: LaunchConfig;
  launchOrigin?: string;
  /** Its translation unit, once the candidate check accepted it (prepareCandidate). */
  source?: string;
}

async function buildAll(o: JobOptions, prepared: PreparedSpec, candidate?: CandidateInput): Promise<BuildInfo[]> {
  const arch = o.arch ?? (await detectArch(o.target, { signal: o.signal })) ?? 'sm_90';
  const builds = [await buildFor('baseline', prepared.file, prepared.spec, arch, o)];
  if (candidate) {
    const spec = candidateSpec(prepared.spec, candidate.launch, candidate.launchOrigin ?? 'given');
    builds.push(await buildFor('candidate', candidate.file, spec, arch, o, candidate.source));
  }
  return builds;
}

function dryRunResult(prepared: PreparedSpec, builds: BuildInfo[]): DryRunResult {
  return { kind: 'dry-run', kernel: prepared.kernel.qualifiedName, spec: prepared.spec, specSource: prepared.source, builds };
}

/** Problems of the baseline itself that its check reports show: unwritten outputs, inputs it changed. */
function baselineSanity(reports: CheckReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    for (const o of r.outputs) {
      if (o.poisonedElements) out.push(`seed ${r.seed}: the baseline left ${o.poisonedElements} of ${o.elements} elements of '${o.name}' unwritten (still poison): check the spec's shape or launch`);
    }
    for (const [name, before] of Object.entries(r.inputChecksumsBefore)) {
      if (r.inputChecksumsAfter[name] !== before) out.push(`seed ${r.seed}: the baseline changed input '${name}': declare it "inout" in the spec`);
    }
  }
  return out;
}

function timeWarnings(reports: TimeReport[]): string[] {
  return [...new Set(reports.flatMap((r) => r.warnings ?? []))];
}

async function identities(builds: BuildInfo[]): Promise<Pick<RunRecordInput, 'binaries' | 'harnessSources' | 'sources' | 'buildFlags'>> {
  return {
    buildFlags: builds[0].flags,
    binaries: await Promise.all(builds.map(async (b) => ({ role: b.role, path: b.binary, sha256: await sha256File(b.binary) }))),
    harnessSources: await Promise.all(builds.map(async (b) => ({ path: b.harnessFile, sha256: await sha256File(b.harnessFile) }))),
    sources: await Promise.all(builds.map(async (b) => ({ role: b.role, path: b.file, sha256: await sha256File(b.file) }))),
  };
}

function recorded(folder: string, run: CheckRun): RecordedCheck {
  return { report: run.report, dir: relative(folder, run.dir) };
}

interface Started {
  prepared: PreparedSpec;
  builds: BuildInfo[];
  ctx: GpuContext;
  gpu: Awaited<ReturnType<typeof requireGpu>>;
  ceilings: ResolvedCeilings;
  seeds: { check: number[]; time: number };
  now: Date;
  shortId: string;
  folder: string;
  /** Lets other KernelPilot processes time on the GPU again. */
  release: () => Promise<void>;
}

async function start(o: JobOptions, candidate?: CandidateInput): Promise<DryRunResult | Started> {
  // Kernel, spec and candidate problems first (cheap, and a GPU would not fix them), then the GPU check before building:
  // without a device the build would be wasted and the user wants the reason first.
  const prepared = await prepareSpec(o);
  const source = candidate ? await prepareCandidate(prepared, candidate.file, o) : undefined;
  const gpu = o.dryRun ? undefined : await requireGpu(o.target, o.signal);
  refuseUnrunnableSizes(prepared, gpu);
  const builds = await buildAll(o, prepared, candidate && { ...candidate, source });
  if (o.dryRun || !gpu) return dryRunResult(prepared, builds);
  const ctx: GpuContext = { target: o.target, signal: o.signal, onProgress: o.onProgress, commands: [], timeoutMs: o.timeoutMs };
  for (const b of builds) if (b.command) ctx.commands.push([b.command]);
  const release = await holdGpu(o, gpu.index, prepared.kernel.qualifiedName);
  let ceilings: ResolvedCeilings;
  try {
    ceilings = await ceilingsFor(ctx, gpu, builds[0].binary, o.ceilingsPath);
  } catch (error) {
    await release();
    throw error;
  }
  const now = o.now ?? new Date();
  const shortId = o.shortId ?? randomBytes(4).toString('hex');
  const folder = runDir(o.workspace, runId(now, prepared.kernel.qualifiedName, shortId));
  return { prepared, builds, ctx, gpu, ceilings, seeds: pickSeeds(o), now, shortId, folder, release };
}

/** Waits for the GPU while another KernelPilot job, of this process or another, times on it (builds need no GPU, so they ran already). */
async function holdGpu(o: JobOptions, index: number, kernel: string): Promise<() => Promise<void>> {
  if (!o.target.acquireGpu) return async () => undefined;
  try {
    const onWait = (wait: GpuWait) => {
      o.onGpuWait?.(wait);
      o.onProgress?.(`gpu: ${wait.message}`);
    };
    const release = await o.target.acquireGpu(index, `benchmarking ${kernel}`, { signal: o.signal, onWait });
    o.onGpuWait?.(undefined);
    return release;
  } catch (error) {
    if (o.signal?.aborted) throw new JobError('run', `cancelled while waiting for GPU ${index}`, { cause: error });
    throw new JobError('run', `cannot take GPU ${index} for timing: ${(error as Error).message}`, { cause: error });
  }
}

async function checks(s: Started, binary: string, side: 'baseline' | 'candidate' | 'candidate-repeat', seeds: number[], dumpInputs: boolean): Promise<CheckRun[]> {
  const runs: CheckRun[] = [];
  for (const seed of seeds) {
    s.ctx.onProgress?.(`check: ${side} seed ${seed}`);
    const dir = checkDir(s.folder, side, seed);
    const report = await runCheck(s.ctx, binary, { seed, outDir: dir, dumpInputs }, `the ${side} check (seed ${seed})`);
    runs.push({ report, dir });
  }
  return runs;
}

function recordBase(s: Started, o: JobOptions): Omit<RunRecordInput, 'timings' | 'binaries' | 'harnessSources'> {
  const { spec } = s.prepared;
  const dtypes = spec.args.filter((a) => a.role !== 'scalar').map((a) => a.dtype);
  const flops = rooflineFlops(spec);
  return {
    kernel: s.prepared.kernel.qualifiedName,
    spec,
    sizes: spec.sizes,
    seeds: { check: s.seeds.check, time: s.seeds.time, sets: o.sets ?? DEFAULTS.sets },
    gpu: { name: s.gpu.name, computeCapability: s.gpu.computeCapability, driverVersion: s.gpu.driver, index: s.gpu.index },
    commands: s.ctx.commands,
    ceilings: s.ceilings,
    roofline: { bytes: rooflineBytes(spec), ...(flops !== undefined ? { flops } : {}), options: { flopsCeilingApplies: flopsCeilingApplies(dtypes) } },
    analysis: { confidence: CONFIDENCE, compare: {} },
  };
}

export async function benchKernel(o: JobOptions): Promise<DryRunResult | JobResult> {
  const s = await start(o);
  if ('kind' in s) return s;
  try {
    return await benchStarted(s, o);
  } finally {
    await s.release();
  }
}

async function benchStarted(s: Started, o: JobOptions): Promise<JobResult> {
  const [baseline] = s.builds;
  const sanityRuns = await checks(s, baseline.binary, 'baseline', s.seeds.check, false);
  const warnings = baselineSanity(sanityRuns.map((r) => r.report));
  const warmup = o.warmup ?? DEFAULTS.warmup;
  const iters = o.iters ?? DEFAULTS.benchIters;
  const sets = o.sets ?? DEFAULTS.sets;
  o.onProgress?.(`time: ${iters} launches after ${warmup} warm-ups over ${sets} buffer sets`);
  const time = await runTime(s.ctx, baseline.binary, { seed: s.seeds.time, warmup, iters, sets }, 'timing the baseline');
  warnings.push(...timeWarnings([time]));
  const input: RunRecordInput = {
    ...recordBase(s, o),
    gpu: { ...recordBase(s, o).gpu, name: time.device.name, device: time.device },
    timings: { order: 'baseline-only', baselineMs: time.timesMs, warmup, l2FlushBytes: time.l2FlushBytes },
    checks: { baseline: sanityRuns.map((r) => recorded(s.folder, r)), candidate: [] },
    ...(await identities(s.builds)),
  };
  return write(s, input, 'bench', warnings, o);
}

async function write(s: Started, input: RunRecordInput, kind: JobResult['kind'], warnings: string[], o: JobOptions): Promise<JobResult> {
  const record = createRunRecord({ ...input, kind }, { now: s.now, shortId: s.shortId });
  const folder = await writeRunRecord(o.workspace, record);
  o.onProgress?.(`record: ${folder}`);
  return { kind, kernel: record.kernel, specSource: s.prepared.source, summary: rederive(record), record, runDir: folder, builds: s.builds, warnings };
}

export interface CompareOptions extends JobOptions {
  /** The drop-in replacement: a file that defines the same kernel with the same signature. */
  candidateFile: string;
  /** The candidate's own launch; default the spec's. */
  candidateLaunch?: LaunchConfig;
  /** Where candidateLaunch came from, for messages (a file path, or "--candidate-launch"). */
  candidateLaunchOrigin?: string;
}

/** Runs a candidate step; a crash or hang the candidate caused becomes a failed `runs` probe instead of an error. */
async function candidateStep<T>(step: () => Promise<T>, where: string): Promise<{ value: T } | { probe: Probe }> {
  try {
    return { value: await step() };
  } catch (error) {
    const probe = crashProbe(error, where);
    if (!probe) throw error;
    return { probe };
  }
}

/** Reads an input dump the baseline's first check wrote with --dump-inputs (for the not-trivial probe). */
function inputReader(runs: CheckRun[]): (seed: number, arg: SpecArg) => Promise<Uint8Array | undefined> {
  return async (seed, arg) => {
    const run = runs.find((r) => r.report.seed === seed);
    const dump = run?.report.inputs?.find((d) => d.name === arg.name);
    if (!run || !dump) return undefined;
    return new Uint8Array(await readFile(`${run.dir}/${dump.file}`));
  };
}

/**
 * Correctness at the spec's sweep points (one seed each, both sides): a candidate right only at the default sizes
 * (e.g. one that assumes a square matrix) fails here. Only failed gate probes are added, named by the point.
 */
async function sweepProbes(s: Started, baselineBinary: string, candidateBinary: string): Promise<Probe[]> {
  const out: Probe[] = [];
  const seed = s.seeds.check[0];
  for (const [i, point] of (s.prepared.spec.sweep ?? []).entries()) {
    const sizes = { ...s.prepared.spec.sizes, ...point };
    const where = Object.entries(point).map(([k, v]) => `${k}=${v}`).join(', ');
    const run = async (binary: string, side: string): Promise<CheckRun> => {
      s.ctx.onProgress?.(`check: ${side} at ${where}`);
      const dir = join(s.folder, 'checks', `sweep-${i}`, side, `seed-${seed}`);
      return { report: await runCheck(s.ctx, binary, { seed, outDir: dir, sizes }, `the ${side} check at ${where}`), dir };
    };
    const b = await run(baselineBinary, 'baseline');
    const c = await candidateStep(() => run(candidateBinary, 'candidate'), `at ${where}`);
    if ('probe' in c) {
      out.push({ ...c.probe, details: { ...c.probe.details, sizes } });
      continue;
    }
    const v = await verify({ spec: s.prepared.spec, sizes, baseline: [b], candidate: [c.value], minSeeds: 1 });
    for (const p of v.probes) {
      if (p.gate && !p.passed) out.push({ ...p, reason: `at ${where}: ${p.reason}`, details: { ...p.details, sizes } });
    }
  }
  return out;
}

export async function compareCandidate(o: CompareOptions): Promise<DryRunResult | JobResult> {
  const s = await start(o, { file: o.candidateFile, launch: o.candidateLaunch, launchOrigin: o.candidateLaunchOrigin });
  if ('kind' in s) return s;
  try {
    return await compareStarted(s, o);
  } finally {
    await s.release();
  }
}

async function compareStarted(s: Started, o: CompareOptions): Promise<JobResult> {
  const [baseline, candidate] = s.builds;
  // Same seeds for both sides; the baseline also dumps its inputs so not-trivial can test "output = an input".
  const baseRuns = await checks(s, baseline.binary, 'baseline', s.seeds.check, true);
  const warnings = baselineSanity(baseRuns.map((r) => r.report));
  const cand = await candidateStep(async () => {
    const runs = await checks(s, candidate.binary, 'candidate', s.seeds.check, false);
    const [repeat] = await checks(s, candidate.binary, 'candidate-repeat', s.seeds.check.slice(0, 1), false);
    return { runs, repeat };
  }, 'in its correctness checks');
  let probes: Probe[];
  if ('probe' in cand) {
    probes = [cand.probe];
  } else {
    const main = await verify({ spec: s.prepared.spec, baseline: baseRuns, candidate: cand.value.runs, candidateRepeat: cand.value.repeat, readInput: inputReader(baseRuns) });
    probes = [...main.probes, ...(await sweepProbes(s, baseline.binary, candidate.binary))];
  }
  let verification = { probes, verdict: verdictOf(probes) };
  o.onProgress?.(`probes: ${verification.verdict.summary}`);

  const sets = o.sets ?? DEFAULTS.sets;
  const warmup = o.warmup ?? DEFAULTS.compareWarmup;
  const iters = o.iters ?? DEFAULTS.compareIters;
  const baselineMs: number[] = [];
  const candidateMs: number[] = [];
  const reports: TimeReport[] = [];
  let timedRuns: { baseline?: CheckRun; candidate?: CheckRun } = {};
  if (!verification.verdict.accepted) {
    // A rejected candidate's time is not a result (it is never shown), so it is not measured; the baseline is
    // timed once so the record still says what the kernel runs at.
    o.onProgress?.('time: candidate rejected by the probes, timing the baseline only');
    const a = await runTime(s.ctx, baseline.binary, { seed: s.seeds.time, warmup, iters, sets }, 'timing the baseline');
    baselineMs.push(...a.timesMs);
    reports.push(a);
  } else {
    // Interleaved timing: short runs alternating A B A B …, so drift (clocks, temperature, neighbours) hits both
    // sides alike; round i's samples of each side are paired with each other.
    const rounds = o.rounds ?? DEFAULTS.rounds;
    for (let r = 0; r < rounds; r++) {
      o.onProgress?.(`time: round ${r + 1}/${rounds} (${iters} launches per side)`);
      // Each round gets fresh buffer sets (the seed advances), the same ones for both sides.
      const seed = s.seeds.time + r * sets;
      // The last round also dumps what each side's last timed launch wrote, for the `timed` probe.
      const dumps = r === rounds - 1 ? { baseline: join(s.folder, 'timed', 'baseline'), candidate: join(s.folder, 'timed', 'candidate') } : undefined;
      if (dumps) await Promise.all(Object.values(dumps).map((d) => mkdir(d, { recursive: true })));
      const a = await runTime(s.ctx, baseline.binary, { seed, warmup, iters, sets, ...(dumps ? { outDir: dumps.baseline } : {}) }, `timing the baseline (round ${r + 1})`);
      const timed = await candidateStep(
        () => runTime(s.ctx, candidate.binary, { seed, warmup, iters, sets, ...(dumps ? { outDir: dumps.candidate } : {}) }, `timing the candidate (round ${r + 1})`),
        `while timed (round ${r + 1})`,
      );
      if ('probe' in timed) {
        // A crash under timing rejects it like any failed probe; its partial times are not a result.
        probes = [...probes, timed.probe];
        verification = { probes, verdict: verdictOf(probes) };
        baselineMs.push(...a.timesMs);
        reports.push(a);
        candidateMs.length = 0;
        break;
      }
      const b = timed.value;
      if (dumps) {
        timedRuns = { baseline: timedCheck(a, dumps.baseline), candidate: timedCheck(b, dumps.candidate) };
        probes = [...probes, await timedProbe(s.prepared.spec, timedRuns.baseline, timedRuns.candidate)];
        verification = { probes, verdict: verdictOf(probes) };
      }
      const n = Math.min(a.timesMs.length, b.timesMs.length);
      baselineMs.push(...a.timesMs.slice(0, n));
      candidateMs.push(...b.timesMs.slice(0, n));
      reports.push(a, b);
    }
  }
  if (candidateMs.length && !verification.verdict.accepted) o.onProgress?.(`probes: ${verification.verdict.summary}`);
  warnings.push(...timeWarnings(reports));
  const base = recordBase(s, o);
  const input: RunRecordInput = {
    ...base,
    ...(o.candidateLaunch ? { candidateLaunch: o.candidateLaunch } : {}),
    gpu: { ...base.gpu, name: reports[0].device.name, device: reports[0].device },
    seeds: { ...base.seeds, sets },
    timings: candidateMs.length
      ? { order: 'interleaved', baselineMs, candidateMs, warmup, l2FlushBytes: reports[0].l2FlushBytes }
      : { order: 'baseline-only', baselineMs, warmup, l2FlushBytes: reports[0].l2FlushBytes },
    checks: {
      baseline: baseRuns.map((r) => recorded(s.folder, r)),
      candidate: 'value' in cand ? cand.value.runs.map((r) => recorded(s.folder, r)) : [],
      ...('value' in cand ? { candidateRepeat: recorded(s.folder, cand.value.repeat) } : {}),
      ...(timedRuns.baseline && timedRuns.candidate && candidateMs.length ? { timed: { baseline: recorded(s.folder, timedRuns.baseline), candidate: recorded(s.folder, timedRuns.candidate) } } : {}),
    },
    probes: verification.probes,
    ...(await identities(s.builds)),
  };
  return write(s, input, 'compare', warnings, o);
}
