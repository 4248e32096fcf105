// `bench` and `compare` on a Triton kernel: the spec (file or inferred) becomes generated Python
// (harness/python/triton-launcher.ts) that the Python gate runs as a task: Model launches the user's kernel, each
// candidate's ModelNew its own, with the gate's probes (seeds, written, inputs unchanged, no aliasing, repeat, every
// timed call verified) and kernel-only CUDA-event timing (host part covered, L2 flushed, interleaved pairs). Results
// derive through derive/kernelbench.ts and are recorded under .kernelpilot/runs/ (runs/triton-record.ts).
//
// A candidate is a Python file defining a kernel of the same name and parameters (a drop-in for the user's file).
// Its launch: --candidate-launch, else the candidate file's own launch of it where inference reads it whole
// (a candidate that changes BLOCK_SIZE in its wrapper is timed with it), else the spec's.

import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { inferSpec } from '../benchspec/infer';
import { toleranceFor } from '../benchspec/defaults';
import type { BenchSpec, Dtype, LaunchConfig, Tolerance, TritonConfig } from '../benchspec/model';
import { taskResult, type KernelBenchPlan, type TaskResult } from '../derive/kernelbench';
import type { AutotunePin, KernelBenchJob, ReportEvent } from '../harness/python/protocol';
import { KernelBenchRunError, runPythonGate, type KernelBenchRun } from '../harness/python/run';
import { tritonCandidateSource, tritonTaskSource } from '../harness/python/triton-launcher';
import { POISON_BYTE } from '../harness/poison';
import { discover } from '../kernels/discover';
import type { Kernel } from '../kernels/model';
import { sha256File } from '../runs/hash';
import { writeTritonRecord, type TritonRecord } from '../runs/triton-record';
import type { GpuWait } from '../targets/gpu-gate';
import type { Target } from '../targets/target';
import { candidateSpec, JobError, prepareSpec, type PreparedSpec } from './job-prepare';
import { randomSeeds, randomTimeSeed } from './seeds';

export interface TritonCandidate {
  file: string;
  launch?: LaunchConfig;
  launchOrigin?: string;
}

export interface TritonJobOptions {
  file: string;
  kernel?: string;
  specPath?: string;
  workspace: string;
  target: Target;
  candidates: TritonCandidate[];
  python?: string;
  /** `cpu`: Triton's interpreter (TRITON_INTERPRET=1) on the CPU: checks only, no meaningful times. */
  device?: KernelBenchJob['device'];
  seeds?: number[];
  pairs?: number;
  warmup?: number;
  /** The baseline's autotune pick from an earlier run of the same optimization: pinned, not autotuned again. */
  modelPin?: AutotunePin;
  /** One record per candidate (each with the reference's evidence), as an optimize run's attempts need; default one for the run. */
  recordEach?: boolean;
  /** Timed calls of the baseline alone (bench). */
  iters?: number;
  timeoutMs?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** While another KernelPilot job times on the GPU: why this one waits (undefined once it has the GPU). */
  onGpuWait?: (wait: GpuWait | undefined) => void;
}

export interface TritonGenerated {
  task: string;
  candidates: Array<{ file: string; launch: LaunchConfig; launchOrigin: string; source: string }>;
}

export interface TritonDryRun {
  kind: 'triton-dry-run';
  kernel: string;
  spec: BenchSpec;
  generated: TritonGenerated;
}

export interface TritonJobResult {
  kind: 'triton';
  kernel: string;
  spec: BenchSpec;
  result: TaskResult;
  run: KernelBenchRun;
  plan: KernelBenchPlan;
  /** The run's folder (triton.json inside). */
  runDir: string;
  /** With recordEach: each candidate's own record folder, in order. */
  candidateRunDirs?: string[];
}

const L2_FLUSH_BYTES = 256 * 1024 * 1024;
/** ~1 ms of GPU sleep at 2 GHz before each timed call: the host launches a Triton kernel in 10–50 µs. */
const COVER_CYCLES = 2_000_000;

function tolerances(spec: BenchSpec): Record<string, Tolerance> {
  const dtypes = new Set<Dtype>(spec.args.map((a) => a.dtype));
  return Object.fromEntries([...dtypes].map((d) => [d, toleranceFor(spec, d)]));
}

function sameParams(a: Kernel, b: Kernel): boolean {
  return a.params.length === b.params.length && a.params.every((p, i) => p.name === b.params[i].name && Boolean(p.constexpr) === Boolean(b.params[i].constexpr));
}

/** The candidate's kernel (same name and parameters) and the launch it is timed with. */
async function candidateLaunch(prepared: PreparedSpec, candidate: TritonCandidate, workspace: string): Promise<{ launch: LaunchConfig; origin: string }> {
  const file = resolve(workspace, candidate.file);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new JobError('input', `${file}: cannot read the candidate (${error.code ?? String(error)})`);
  });
  const { kernels } = await discover(file, text);
  const own = kernels.find((k) => k.language === 'triton' && k.qualifiedName === prepared.kernel.qualifiedName);
  if (!own) throw new JobError('candidate', `${file} defines no @triton.jit kernel '${prepared.kernel.qualifiedName}' (it has: ${kernels.map((k) => k.qualifiedName).join(', ') || 'none'})`);
  if (!sameParams(own, prepared.kernel)) {
    throw new JobError('candidate', `${file}: ${own.name}(${own.params.map((p) => p.name).join(', ')}) does not take the baseline's parameters (${prepared.kernel.params.map((p) => p.name).join(', ')})`);
  }
  if (candidate.launch) return { launch: candidateSpec(prepared.spec, candidate.launch, candidate.launchOrigin ?? 'given').launch, origin: candidate.launchOrigin ?? 'given' };
  if (own.launchSites.length > 0) {
    const inferred = inferSpec(own, { fileText: text, file: basename(file) });
    if (!inferred.unknowns.some((u) => u.path.startsWith('/launch'))) {
      const { from: _from, ...launch } = inferred.spec.launch;
      return { launch: candidateSpec(prepared.spec, launch, `${basename(file)}'s own launch`).launch, origin: `its own launch (${inferred.spec.launch.from ?? basename(file)})` };
    }
  }
  return { launch: prepared.spec.launch, origin: 'the spec' };
}

/** The generated task and ModelNew files for a prepared spec and its candidates. */
export async function generateTriton(prepared: PreparedSpec, candidates: readonly TritonCandidate[], workspace: string): Promise<TritonGenerated> {
  let task: string;
  try {
    task = tritonTaskSource(prepared.spec, 'kp_user.py');
  } catch (error) {
    throw new JobError('spec', `cannot generate the Triton launcher for ${prepared.kernel.qualifiedName}: ${(error as Error).message}`);
  }
  const out: TritonGenerated['candidates'] = [];
  for (const [i, candidate] of candidates.entries()) {
    const { launch, origin } = await candidateLaunch(prepared, candidate, workspace);
    out.push({ file: resolve(workspace, candidate.file), launch, launchOrigin: origin, source: tritonCandidateSource(prepared.spec, `kp_candidate_${i}.py`, launch) });
  }
  return { task, candidates: out };
}

/** Why the reference could not run, as one sentence the user can act on. */
function referenceFailure(kernel: string, run: KernelBenchRun, target: Target, device: KernelBenchJob['device']): JobError {
  const error = run.reference.error;
  const message = error?.message ?? 'the reference ended without a report';
  const known = /(no CUDA GPU is visible|triton cannot be imported)[\s\S]*$/.exec(message);
  if (known) {
    const hint = device === 'cpu' ? '' : " (--device cpu runs it in Triton's interpreter: checks only, no timing)";
    return new JobError('run', `cannot benchmark ${kernel} on target '${target.name}': ${known[0]}${hint}`);
  }
  return new JobError('run', `the Triton gate could not run ${kernel}'s baseline (${error?.stage ?? 'crash'}): ${message}`);
}

/** The record of one candidate of a run: the reference's evidence and that candidate's alone (it re-derives to the same verdict). */
export function candidateRecord(record: Omit<TritonRecord, 'id' | 'createdAt'>, index: number): Omit<TritonRecord, 'id' | 'createdAt'> {
  const candidates = record.sources.filter((s) => s.role === 'candidate');
  return {
    ...record,
    sources: [...record.sources.filter((s) => s.role === 'baseline'), ...candidates.slice(index, index + 1)],
    generated: { ...record.generated, candidates: record.generated.candidates.slice(index, index + 1) },
    run: { ...record.run, candidates: record.run.candidates.slice(index, index + 1) },
  };
}

/** The autotune pick a report names, to pin in later runs; undefined when the kernel is not autotuned. */
export function autotunePinOf(report: ReportEvent | undefined): AutotunePin | undefined {
  const index = Number(report?.autotuneIndex);
  return report?.autotune !== undefined && Number.isInteger(index) && index >= 0 ? { index, config: report.autotune } : undefined;
}

const wholeNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * The config an autotuner picked, as its report gives it (`autotuneConfig`, JSON); undefined when the kernel is not
 * autotuned or the report says something else. It only steers the search: a wrong one costs candidates, no verdict.
 */
export function autotunePickOf(report: ReportEvent | undefined): TritonConfig | undefined {
  if (report?.autotuneConfig === undefined) return undefined;
  let said: unknown;
  try {
    said = JSON.parse(report.autotuneConfig);
  } catch {
    return undefined;
  }
  if (typeof said !== 'object' || said === null) return undefined;
  const { kwargs, num_warps: numWarps, num_stages: numStages } = said as Record<string, unknown>;
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) return undefined;
  const values = Object.entries(kwargs);
  if (!values.every(([k, v]) => /^[A-Za-z_]\w*$/.test(k) && ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string'))) return undefined;
  return { kwargs: Object.fromEntries(values) as Record<string, number | string>, ...(wholeNumber(numWarps) ? { numWarps } : {}), ...(wholeNumber(numStages) ? { numStages } : {}) };
}

/** bench (no candidates) or compare (candidates) of a Triton kernel. */
export async function runTritonJob(options: TritonJobOptions): Promise<TritonDryRun | TritonJobResult> {
  const prepared = await prepareSpec(options);
  if (prepared.kernel.language !== 'triton') throw new JobError('kernel', `${prepared.kernel.qualifiedName} is a ${prepared.kernel.language} kernel, not a Triton one`);
  const generated = await generateTriton(prepared, options.candidates, options.workspace);
  for (const c of generated.candidates) options.onProgress?.(`candidate: ${basename(c.file)} launched with ${c.launchOrigin}`);
  if (options.dryRun) return { kind: 'triton-dry-run', kernel: prepared.kernel.qualifiedName, spec: prepared.spec, generated };

  const seeds = options.seeds ?? randomSeeds();
  const plan: KernelBenchPlan = { seeds, tolerance: tolerances(prepared.spec) as Partial<Record<Dtype, Tolerance>> };
  const device = options.device ?? 'auto';
  const timeoutMs = options.timeoutMs ?? 600_000;
  const job: Omit<KernelBenchJob, 'task' | 'candidates'> = {
    seeds,
    initSeed: 42,
    timeSeed: randomTimeSeed(),
    warmup: options.warmup ?? 10,
    // On a CPU (Triton's interpreter) nothing is timed unless asked for: the host clock of an interpreter is no kernel time.
    pairs: options.pairs ?? (device === 'cpu' ? 0 : 100),
    baselineIters: options.iters ?? (device === 'cpu' ? 0 : options.candidates.length ? 10 : 100),
    tolerance: plan.tolerance as Record<string, Tolerance>,
    poisonByte: POISON_BYTE.float32,
    sizes: {},
    device,
    compile: false,
    l2FlushBytes: L2_FLUSH_BYTES,
    candidateTimeoutS: Math.max(1, Math.floor(timeoutMs / 1000)),
    coverCycles: COVER_CYCLES,
    ...(options.modelPin ? { modelPin: options.modelPin } : {}),
  };
  // One job at a time on a GPU (targets/gpu-gate.ts), as for CUDA jobs: the Python gate's process is the GPU phase.
  const release = device !== 'cpu' && options.target.acquireGpu ? await options.target.acquireGpu(0, `Triton ${prepared.kernel.qualifiedName}`, { signal: options.signal, onWait: (wait) => options.onGpuWait?.(wait) }) : undefined;
  options.onGpuWait?.(undefined);
  options.onProgress?.(`run: the Python gate on target '${options.target.name}' (${options.candidates.length} candidate(s))`);
  let run: KernelBenchRun;
  try {
    run = await runPythonGate(
      {
        task: { text: generated.task },
        candidates: generated.candidates.map((c) => ({ label: c.file, file: { text: c.source } })),
        support: [{ name: 'kp_user.py', file: { path: prepared.file } }, ...generated.candidates.map((c, i) => ({ name: `kp_candidate_${i}.py`, file: { path: c.file } }))],
        what: `the Triton gate of ${prepared.kernel.qualifiedName}`,
      },
      job,
      { target: options.target, python: options.python, timeoutMs: timeoutMs * (options.candidates.length + 1), signal: options.signal, gpu: device !== 'cpu', ...(device === 'cpu' ? { env: { TRITON_INTERPRET: '1' } } : {}) },
    );
  } catch (error) {
    if (error instanceof KernelBenchRunError) throw new JobError('run', error.message, { cause: error });
    throw error;
  } finally {
    await release?.();
  }
  if (run.reference.error || !run.reference.reference) throw referenceFailure(prepared.kernel.qualifiedName, run, options.target, device);
  const result = taskResult(prepared.kernel.qualifiedName, run, plan);
  const record: Omit<TritonRecord, 'id' | 'createdAt'> = {
    version: 1,
    kind: options.candidates.length ? 'triton-compare' : 'triton-bench',
    kernel: prepared.kernel.qualifiedName,
    sources: [
      { role: 'baseline', path: prepared.file, sha256: await sha256File(prepared.file) },
      ...(await Promise.all(generated.candidates.map(async (c) => ({ role: 'candidate' as const, path: c.file, sha256: await sha256File(c.file) })))),
    ],
    spec: prepared.spec,
    plan,
    target: { name: options.target.name, host: options.target.host },
    generated: { task: generated.task, candidates: generated.candidates.map((c) => ({ launchOrigin: c.launchOrigin, source: c.source })) },
    run,
  };
  const runDir = await writeTritonRecord(options.workspace, record);
  const candidateRunDirs = options.recordEach ? await Promise.all(record.generated.candidates.map((_, i) => writeTritonRecord(options.workspace, candidateRecord(record, i)))) : undefined;
  return { kind: 'triton', kernel: prepared.kernel.qualifiedName, spec: prepared.spec, result, run, plan, runDir, ...(candidateRunDirs ? { candidateRunDirs } : {}) };
}
