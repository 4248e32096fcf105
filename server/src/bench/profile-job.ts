// `kernelpilot profile`: the kernel's profile report (profile/report.ts). Static facts always (ptxas through the
// static check's compile; SASS when cuobjdump is on the target); with a GPU and Nsight Compute on the target, one
// launch of the kernel in the gate runtime — built exactly as `bench --dry-run` builds it — profiled under ncu while
// this job holds the GPU gate. Without ncu, without counter permission, without a GPU or with `--static`, the report
// says why the live figures are absent. The roofline headroom comes from the kernel's newest bench record when it
// was made from the same file text.

import { resolve } from 'node:path';
import { resolveCompileFlags, type ResolvedFlags } from '../check/compile-flags';
import { detectArch } from '../harness/build';
import type { Kernel } from '../kernels/model';
import type { BenchSpec } from '../benchspec/model';
import { buildReport, liveFromExports, specLaunch, type StaticInputs } from '../profile/build-report';
import type { BenchFigures } from '../profile/classify';
import { probeNcu, runNcu, type ClockControl } from '../profile/ncu-run';
import type { KernelIdentity, LineFacts, LiveAbsent, LiveFacts, ProfileReport } from '../profile/report';
import { disassemble, toolPath } from '../profile/sass-run';
import { kernelTextHash, sha256Hex } from '../profile/stale';
import { kernelResources, sassOf } from '../profile/static';
import { latestBenchRecord, rederive } from '../runs/record';
import { onlyGpu, type GpuInfo } from '../targets/gpus';
import type { SandboxPolicy, Target } from '../targets/target';
import { buildFor, buildRuntimeFor, JobError, prepareSpec, resolveKernel, type PrepareOptions } from './job-prepare';

export interface ProfileJobOptions extends PrepareOptions {
  /** Static facts only: no ncu, no GPU needed. */
  static?: boolean;
  /** ncu's `--clock-control`; default `none` (the GPU's own clocks, as the benchmark runs). */
  clockControl?: ClockControl;
  /** ncu's path or name on the target; default `ncu`. */
  ncu?: string;
  ncuTimeoutMs?: number;
}

/** A built version to profile live, and what the report needs to know about it. */
export interface ProfileBuilt {
  target: Target;
  runtime: { executable: string; cuptiDirs: readonly string[] };
  /** The version's shared object. */
  version: string;
  kernel: Pick<Kernel, 'name'>;
  /** The source file the lines are mapped to (as this machine knows it). */
  file: string;
  clockControl?: ClockControl;
  ncu?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Candidate code runs sandboxed. */
  sandbox?: SandboxPolicy;
  /** The caller already holds the GPU gate (an evaluation's GPU turn): do not take it again. */
  gpuHeld?: boolean;
  /** The GPU held (with gpuHeld): ncu's process is shown that GPU alone. */
  gpu?: GpuInfo;
  onProgress?: (line: string) => void;
}

const STATIC_ONLY = 'not requested (--static)';

/** Why no live profile can run on the target (no GPU, no ncu), checked before anything is built for it. */
export async function liveBlocker(target: Target, ncu: string, signal?: AbortSignal): Promise<LiveAbsent | undefined> {
  const gpus = await target.heldGpus({ signal }).catch(() => []);
  if (!gpus[0]) return { status: 'absent', reason: 'no-gpu', message: `no CUDA device on target '${target.name}' (nvidia-smi found none): live figures need a GPU; the static analysis is shown` };
  const probe = await probeNcu(target, ncu, signal);
  return 'status' in probe ? probe : undefined;
}

/** One ncu run over a built version, holding the target's GPU gate; absent figures come back with their reason. */
export async function profileLive(o: ProfileBuilt): Promise<{ live: LiveFacts; lines: LineFacts[]; carveoutBytes?: number }> {
  const { target } = o;
  const blocker = await liveBlocker(target, o.ncu ?? 'ncu', o.signal);
  if (blocker) return { live: blocker, lines: [] };
  // The GPU whose gate the caller holds (an evaluation's lane), else the target's first.
  const gpu = o.gpu ?? (await target.heldGpus({ signal: o.signal }))[0];
  const release = !o.gpuHeld && target.acquireGpu ? await target.acquireGpu(gpu.index, `profiling ${o.kernel.name}`, { signal: o.signal, onWait: () => o.onProgress?.(`waiting for GPU ${gpu.index} (another job holds it)`) }) : async () => undefined;
  const clockControl = o.clockControl ?? 'none';
  try {
    o.onProgress?.(`ncu: one launch of ${o.kernel.name} on ${gpu.name}`);
    const outcome = await runNcu({ target, ncu: o.ncu ?? 'ncu', runtime: o.runtime.executable, version: o.version, kernelName: o.kernel.name, clockControl, cuptiDirs: o.runtime.cuptiDirs, ...(o.signal ? { signal: o.signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.sandbox ? { sandbox: o.sandbox } : {}), env: onlyGpu(gpu) });
    if (!outcome.ok) return { live: outcome.absent, lines: [] };
    try {
      return liveFromExports(outcome.exports, o.file, { clockControl, ...(outcome.ncuVersion ? { ncuVersion: outcome.ncuVersion } : {}) }, target.targetPath(o.file));
    } catch (error) {
      return { live: { status: 'absent', reason: 'failed', message: `Nsight Compute's export could not be read: ${(error as Error).message}` }, lines: [] };
    }
  } finally {
    await release();
  }
}

/**
 * From the newest bench record of this kernel: the roofline figures when it was made from this very text (else a
 * note why none), and the SM count of the GPU it ran on (the small-grid hint of a static report).
 */
async function benchFigures(workspace: string, kernel: string, file: string, text: string): Promise<{ bench?: BenchFigures; smCount?: number; note?: string }> {
  const latest = await latestBenchRecord(workspace, kernel, file).catch(() => undefined);
  if (!latest) return {};
  const smCount = latest.record.gpu.device?.smCount;
  const known = smCount ? { smCount } : {};
  const source = latest.record.sources?.find((s) => s.role === 'baseline');
  if (source?.sha256 !== sha256Hex(text)) return { ...known, note: `the newest bench record (${latest.record.id}) was made from another version of ${file}: no roofline headroom until 'kernelpilot bench' runs again` };
  const roofline = rederive(latest.record).baselineRoofline;
  return { ...known, ...(roofline ? { bench: { runId: latest.record.id, roofline } } : {}) };
}

async function flagsFor(o: ProfileJobOptions, file: string): Promise<ResolvedFlags | undefined> {
  return o.compile ? resolveCompileFlags({ ...o.compile, file }) : undefined;
}

/** The kernel and its spec; `--static` goes on without a runnable spec (no launch shape, no SASS then). */
async function kernelAndSpec(o: ProfileJobOptions, notes: string[]): Promise<{ file: string; text: string; kernel: Kernel; spec?: BenchSpec; specPath?: string }> {
  try {
    const p = await prepareSpec(o);
    return { file: p.file, text: p.text, kernel: p.kernel, spec: p.spec, ...(p.source.kind === 'file' ? { specPath: p.source.path } : {}) };
  } catch (error) {
    if (!(o.static && error instanceof JobError && error.kind === 'spec')) throw error;
    const file = resolve(o.workspace, o.file);
    const { kernel, text } = await resolveKernel(file, o.kernel);
    notes.push(`no runnable spec, so no launch shape: theoretical occupancy is given for every block size (${error.message.split('\n')[0]})`);
    return { file, text, kernel };
  }
}

export async function profileKernel(o: ProfileJobOptions): Promise<ProfileReport> {
  const notes: string[] = [];
  const { file, text, kernel, spec, specPath } = await kernelAndSpec(o, notes);
  const detected = await detectArch(o.target, { signal: o.signal }).catch(() => undefined);
  const arch = o.arch ?? detected ?? 'sm_90';
  if (!o.arch && !detected) notes.push(`no GPU on target '${o.target.name}': analysed for ${arch} (--arch chooses another)`);
  const flags = await flagsFor(o, file);
  const nvcc = flags?.nvcc ?? o.nvcc ?? 'nvcc';
  o.onProgress?.(`ptxas: resources of ${kernel.qualifiedName} for ${arch}`);
  const statics = await kernelResources(o.target, { file, kernel, arch, ...(flags ? { flags } : {}), ...(spec?.templateArgs ? { templateArgs: spec.templateArgs } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  notes.push(...statics.notes);
  const launch = spec ? specLaunch(spec) : undefined;
  const staticInputs: StaticInputs = { arch, ...(statics.resources ? { resources: statics.resources } : {}), ...(launch ? { launch } : {}) };

  let live: LiveFacts = (o.static ? undefined : await liveBlocker(o.target, o.ncu ?? 'ncu', o.signal)) ?? { status: 'absent', reason: 'not-requested', message: STATIC_ONLY };
  const liveWanted = !o.static && live.reason === 'not-requested';
  let liveLines: LineFacts[] = [];
  const haveDisassembler = !(await o.target.exec(toolPath(nvcc, 'cuobjdump'), ['--version'], { timeoutMs: 30_000, signal: o.signal })).notFound;
  if (!haveDisassembler) notes.push(`no SASS facts: ${toolPath(nvcc, 'cuobjdump')} is not on target '${o.target.name}'`);
  if (spec && (liveWanted || haveDisassembler)) {
    const baseline = await buildFor('baseline', file, spec, arch, o);
    if (haveDisassembler && statics.mangledName) {
      const { disassembly, note } = await disassemble(o.target, baseline.binary, nvcc, o.signal);
      if (note) notes.push(note);
      if (disassembly) {
        const { sass, lines } = sassOf(disassembly, statics.mangledName, file, o.target.targetPath(file));
        if (sass) staticInputs.sass = sass;
        staticInputs.lines = lines;
      }
    }
    if (liveWanted) {
      const { runtime } = await buildRuntimeFor(arch, o);
      const measured = await profileLive({ target: o.target, runtime: { executable: runtime.executable, cuptiDirs: runtime.cuptiDirs }, version: baseline.binary, kernel, file, ...(o.clockControl ? { clockControl: o.clockControl } : {}), ...(o.ncu ? { ncu: o.ncu } : {}), ...(o.ncuTimeoutMs ? { timeoutMs: o.ncuTimeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
      live = measured.live;
      liveLines = measured.lines;
      if (measured.carveoutBytes !== undefined) staticInputs.carveoutBytes = measured.carveoutBytes;
    }
  }
  const { bench, smCount, note } = await benchFigures(o.workspace, kernel.qualifiedName, file, text);
  if (note) notes.push(note);
  const identity: KernelIdentity = {
    name: kernel.name,
    qualifiedName: kernel.qualifiedName,
    file,
    kernelHash: kernelTextHash(text, kernel.range),
    fileHash: sha256Hex(text),
    line: kernel.range.start.line,
    ...(specPath ? { spec: specPath } : {}),
    ...(launch ? { launch } : {}),
    target: o.target.name,
    arch,
  };
  return buildReport({ identity, static: staticInputs, live, liveLines, ...(bench ? { bench } : {}), ...(smCount ? { smCount } : {}), notes });
}
