// The prepared evaluation: the engine's one API for gating kernels (design.md §1).
//
//   const evaluation = await prepare({ file, kernel, workspace, target, … });   // once per baseline
//   const result = await evaluation.evaluate({ file: 'cand.cu', launch });       // many times, concurrently
//   await evaluation.close();
//
// prepare resolves the kernel and its spec, builds the gate runtime and the baseline's shared object, takes the first
// GPU the target holds (target.acquireGpu) to measure or reuse the ceilings and to check and time the baseline alone,
// and gives the GPU back. evaluate builds one candidate (in parallel with other candidates, up to the target's cores,
// sandboxed), then takes a free GPU of the target (every GPU it holds evaluates candidates side by side, each process
// shown only its own GPU) for ONE runtime process that checks it on fresh seeds and at the sweep sizes, cheapest
// first, and times it against the baseline — in the same process, so on the same GPU — in interleaved pairs with
// every candidate launch verified, stopping at the first failure, so a rejected candidate is never timed further. Each evaluation writes a run record and reports
// typed events (phase, waiting-for-gpu, probe, timing, verdict) that the CLI, the editor, records and the
// optimizer all read. benchKernel and compareCandidates (job.ts) are thin adapters over this.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { LaunchConfig } from '../benchspec/model';
import type { CompilerDiagnostic } from '../check/types';
import { detectArch, type RuntimeBuild } from '../harness/build';
import type { BaselineCheckEvent, CheckEvent, DeviceInfo, GateEvent, LoadedEvent, RepeatEvent, StartEvent, StateEvent, TimingEvent, TimingMethod } from '../harness/protocol';
import type { TimingChoice } from '../harness/run';
import type { GpuWait } from '../targets/gpu-gate';
import { createScratch, type Scratch } from '../targets/scratch';
import type { SandboxPolicy } from '../targets/target';
import { onlyGpu, type GpuInfo } from '../targets/gpus';
import { createRunRecord, rederive, writeRunRecord, type RunRecord, type RunRecordInput } from '../runs/record';
import { sha256File } from '../runs/hash';
import type { BaselineEvidence, CandidateEvidence, Probe } from '../derive/probes';
import { flopsCeilingApplies } from '../derive/roofline';
import { rooflineBytes, rooflineFlops } from '../derive/shapes';
import { deriveSummary, type BenchSummary } from '../derive/summary';
import type { GateStatus } from '../derive/verdict';
import { buildReport, specLaunch } from '../profile/build-report';
import type { ProfileReport } from '../profile/report';
import { sha256Hex } from '../profile/stale';
import { crashEvidence } from './crash';
import { GpuPool } from './gpu-pool';
import { profileLive } from './profile-job';
import { asJobError, ceilingsFor, requireGpus, runGateCommand, type GpuContext, type ResolvedCeilings } from './job-gpu';
import { refuseUnrunnableSizes } from './fits';
import { buildErrors, buildFor, buildRuntimeFor, buildVersionFor, candidateReadable, candidateSpec, JobError, prepareCandidate, prepareSpec, requireCuda, type BuildInfo, type PrepareOptions, type PreparedSpec, type SpecSource } from './job-prepare';
import { randomSeeds, randomTimeSeed } from './seeds';

export type EvaluationPhase = 'spec' | 'build' | 'gpu' | 'ceilings' | 'baseline' | 'checks' | 'timing' | 'record';

/** What an evaluation reports as it goes; `candidate` names the candidate's file (absent while preparing). */
export type EvaluationEvent =
  | { type: 'phase'; phase: EvaluationPhase; candidate?: string; message: string }
  | { type: 'waiting-for-gpu'; gpu: number; wait: GpuWait; candidate?: string }
  | { type: 'probe'; candidate: string; probe: Probe }
  | { type: 'timing'; candidate: string; method: TimingMethod; pairs: number; baselineMedianMs: number; candidateMedianMs: number }
  | { type: 'verdict'; candidate: string; status: GateStatus; accepted: boolean; headline: string };

/** One line for a progress display or a log. */
export function eventText(event: EvaluationEvent): string {
  const who = 'candidate' in event && event.candidate ? `${basename(event.candidate)}: ` : '';
  switch (event.type) {
    case 'phase':
      return `${event.phase}: ${who}${event.message}`;
    case 'waiting-for-gpu':
      return `gpu: ${who}${event.wait.message}`;
    case 'probe':
      return `probe: ${who}${event.probe.skipped ? '–' : event.probe.passed ? '✓' : event.probe.gate ? '✗' : '⚠'} ${event.probe.name}: ${event.probe.reason}`;
    case 'timing':
      return `time: ${who}${event.pairs} verified pairs (${event.method}): baseline ${event.baselineMedianMs.toPrecision(4)} ms, candidate ${event.candidateMedianMs.toPrecision(4)} ms`;
    case 'verdict':
      return `verdict: ${who}${event.headline}`;
  }
}

export interface EvaluationOptions extends PrepareOptions {
  /** Default ~/.cache/kernelpilot/ceilings.json. */
  ceilingsPath?: string;
  /** Check seeds (≥ 3) for the baseline and every candidate; default fresh random ones per run, recorded. */
  seeds?: number[];
  /** First seed of the timed samples; default random per run. */
  timeSeed?: number;
  /** Untimed (but verified) launches before the samples. */
  warmup?: number;
  /** Baseline samples timed while preparing (what `bench` reports). */
  iters?: number;
  /** Timed pairs (candidate, baseline) per candidate. */
  pairs?: number;
  /** Buffer sets the samples rotate through. */
  sets?: number;
  /** Per runtime process. */
  timeoutMs?: number;
  /** Kernel-only timing through CUPTI (default), or CUDA events. */
  timing?: TimingChoice;
  /** Candidate compiles at once; default the target's cores. */
  parallelBuilds?: number;
  onEvent?: (event: EvaluationEvent) => void;
  /** Told when a GPU step waits at the GPU gate and why, and when the wait ends (undefined): the editor's lens. */
  onGpuWait?: (wait: GpuWait | undefined) => void;
  /** Fixes run ids (tests). */
  now?: () => Date;
}

export interface CandidateInput {
  /** The candidate's file; or `source`, which is written into the evaluation's scratch folder. */
  file?: string;
  source?: string;
  /** The candidate's own launch; default the spec's. */
  launch?: LaunchConfig;
  /** Where `launch` came from, for messages. */
  launchOrigin?: string;
  /** More nvcc options for this candidate alone (the optimizer's allow-listed flags), one argv token each. */
  extraFlags?: string[];
  /** Names its run record (the optimizer's attempt id); letters, digits, '-' and '_' kept. */
  name?: string;
}

export interface JobResult {
  kind: 'bench' | 'compare';
  kernel: string;
  specSource: SpecSource;
  summary: BenchSummary;
  record: RunRecord;
  /** The run folder: record.json. */
  runDir: string;
  builds: BuildInfo[];
  /** Things to know that are not failures: baseline oddities, a weak spec. */
  warnings: string[];
}

export interface CandidateResult extends JobResult {
  kind: 'compare';
  candidate: string;
  /** A candidate that did not compile: the compiler's messages on its file. */
  diagnostics?: CompilerDiagnostic[];
  /**
   * Seconds from the candidate's source to its verdict, by part, and from the end of preparing to this verdict
   * (throughput). Not part of the record: they are about this machine.
   */
  seconds: { build: number; waitForGpu: number; gpu: number; total: number; sincePrepared: number };
}

/** One GPU of the pool: what a candidate's record says about where it ran, learned on the GPU's first use. */
interface GpuLane {
  gpu: GpuInfo;
  /** The device as the runtime saw it (from a run's start event). */
  device?: DeviceInfo;
  ceilings?: ResolvedCeilings;
}

const DEFAULTS = { warmup: 10, iters: 100, pairs: 100, sets: 2 } as const;
const CONFIDENCE = 0.95;

/** Problems of the baseline itself that its checks show: unwritten outputs, inputs it changed. */
function baselineWarnings(checks: readonly BaselineCheckEvent[]): string[] {
  const out: string[] = [];
  for (const c of checks) {
    for (const o of c.outputs) {
      if (o.unwritten) out.push(`seed ${c.seed}: the baseline left ${o.unwritten} of ${o.elements} elements of '${o.name}' unwritten (still poison): check the spec's shape or launch`);
    }
    for (const i of c.inputs) if (i.before !== i.after) out.push(`seed ${c.seed}: the baseline changed input '${i.name}': declare it "inout" in the spec`);
  }
  return [...new Set(out)];
}

/** Runs at most `limit` tasks at once. */
class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export class Evaluation {
  private readonly closing = new AbortController();
  private readonly builds: Limiter;
  /** The target's GPUs, each evaluating one candidate at a time; target.acquireGpu holds each across processes. */
  private readonly pool: GpuPool<GpuLane>;
  /** Every GPU of the pool (the first: the one preparing measured). */
  readonly gpus: readonly GpuInfo[];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly preparedAt = performance.now();

  private constructor(
    private readonly options: EvaluationOptions,
    readonly prepared: PreparedSpec,
    readonly arch: string,
    readonly gpu: GpuInfo,
    /** The device as the runtime saw it (records name this one). */
    readonly device: DeviceInfo,
    readonly ceilings: ResolvedCeilings,
    private readonly runtime: RuntimeBuild,
    readonly baselineBuild: BuildInfo,
    readonly runtimeBuild: BuildInfo,
    readonly baselineEvidence: BaselineEvidence,
    readonly baselineTiming: TimingEvent,
    private readonly prepareCommands: string[][],
    private readonly scratchFolder: Scratch,
    gpus: readonly GpuInfo[],
    parallelBuilds: number,
  ) {
    this.builds = new Limiter(Math.max(1, parallelBuilds));
    this.gpus = gpus;
    this.pool = new GpuPool<GpuLane>([{ gpu, device, ceilings }, ...gpus.slice(1).map((other) => ({ gpu: other }))]);
  }

  get kernel(): string {
    return this.prepared.kernel.qualifiedName;
  }

  /** Resolves, builds, and checks and times the baseline alone; holds the GPU only while it runs there. */
  static async prepare(options: EvaluationOptions): Promise<Evaluation> {
    const emit = (phase: EvaluationPhase, message: string) => report(options, { type: 'phase', phase, message });
    const progress = { ...options, onProgress: (line: string) => emit('build', line.replace(/^build: /, '')) };
    const prepared = requireCuda(await prepareSpec({ ...options, onProgress: (line) => emit('spec', line.replace(/^spec: /, '')) }));
    const gpus = await requireGpus(options.target, options.signal);
    const gpu = gpus[0];
    refuseUnrunnableSizes(prepared, gpu);
    const parallelBuilds = options.parallelBuilds ?? (await options.target.cores?.({ signal: options.signal })) ?? availableParallelism();
    const arch = options.arch ?? (await detectArch(options.target, { signal: options.signal })) ?? 'sm_90';
    const [{ info: runtimeBuild, runtime }, baselineBuild] = await Promise.all([
      buildRuntimeFor(arch, progress),
      buildFor('baseline', prepared.file, prepared.spec, arch, progress),
    ]);
    const scratch = await createScratch('eval');
    const ctx = gpuContext(options, runtime, [], gpu);
    for (const b of [runtimeBuild, baselineBuild]) if (b.command) ctx.commands.push([b.command]);
    const seeds = options.seeds ?? randomSeeds();
    if (seeds.length < 3) throw new JobError('input', `at least 3 check seeds are needed, got ${seeds.length}`);
    const release = await holdGpu(options, gpu.index, `benchmarking ${prepared.kernel.qualifiedName}`, undefined, options.signal);
    try {
      emit('ceilings', `copy bandwidth and FP32 throughput of ${gpu.name}`);
      const ceilings = await ceilingsFor(ctx, gpu, options.timing === 'events' ? 'cuda-events' : 'cupti-activity', options.ceilingsPath);
      emit('baseline', `checking on seeds ${seeds.join(', ')} and timing ${options.iters ?? DEFAULTS.iters} launches`);
      const events = await runGateCommand(ctx, {
        mode: 'baseline',
        baseline: baselineBuild.binary,
        seeds,
        sweep: prepared.spec.sweep ?? [],
        timeSeed: options.timeSeed ?? randomTimeSeed(),
        warmup: options.warmup ?? DEFAULTS.warmup,
        iters: options.iters ?? DEFAULTS.iters,
        sets: options.sets ?? DEFAULTS.sets,
        time: true,
        ...(options.timing ? { timing: options.timing } : {}),
      }).catch((error: unknown) => {
        throw asJobError(error, `checking and timing the baseline ${prepared.kernel.qualifiedName}`);
      });
      const timing = events.find((e): e is TimingEvent => e.kind === 'timing');
      const start = events.find((e): e is StartEvent => e.kind === 'start');
      if (!timing || !start) throw new JobError('run', 'the gate runtime printed no start or timing event for the baseline');
      const checks = events.filter((e): e is BaselineCheckEvent => e.kind === 'baseline-check');
      return new Evaluation(options, prepared, arch, gpu, start.device, ceilings, runtime, baselineBuild, runtimeBuild, { checks }, timing, ctx.commands, scratch, gpus, parallelBuilds);
    } catch (error) {
      await scratch.remove();
      throw error;
    } finally {
      await release();
    }
  }

  /** The baseline's own record (`bench`): what preparing measured. */
  async bench(): Promise<JobResult> {
    const t = this.baselineTiming;
    const input: RunRecordInput = {
      ...this.recordBase(this.prepared.spec.sizes, { gpu: this.gpu, device: this.device, ceilings: this.ceilings }),
      seeds: { check: this.baselineEvidence.checks.map((c) => c.seed).filter((s, i, all) => all.indexOf(s) === i), time: t.seed, sets: t.sets },
      timings: { order: 'baseline-only', ...baselineSeries(t) },
      evidence: { baseline: this.baselineEvidence },
      commands: this.prepareCommands,
      ...(await identities([this.baselineBuild, this.runtimeBuild])),
    };
    return this.write(input, 'bench', [this.baselineBuild], baselineWarnings(this.baselineEvidence.checks));
  }

  /** Gates one candidate; safe to call many times at once (builds overlap, GPU work takes turns). */
  evaluate(candidate: CandidateInput, options: { signal?: AbortSignal; onEvent?: (event: EvaluationEvent) => void } = {}): Promise<CandidateResult> {
    const signal = AbortSignal.any([this.closing.signal, ...(options.signal ? [options.signal] : [])]);
    const run = this.evaluateOne(candidate, signal, options.onEvent);
    this.inFlight.add(run);
    void run.catch(() => undefined).finally(() => this.inFlight.delete(run));
    return run;
  }

  /**
   * One launch of a candidate (or the baseline, without `input`) under Nsight Compute, in the evaluation's GPU turn:
   * the candidate is built as evaluate built it (a cache hit) and runs sandboxed. Its report, for the optimizer's
   * prompts; live figures absent (with the reason) when ncu cannot run.
   */
  async profile(input: CandidateInput | undefined, options: { signal?: AbortSignal; ncu?: string; timeoutMs?: number } = {}): Promise<ProfileReport> {
    const signal = AbortSignal.any([this.closing.signal, ...(options.signal ? [options.signal] : [])]);
    const scratch = await mkdtemp(join(this.scratchFolder.dir, 'p-'));
    const file = input ? join(scratch, 'candidate.cu') : this.prepared.file;
    let build = this.baselineBuild;
    let text = this.prepared.text;
    if (input) {
      text = input.source ?? (await readFile(resolve(this.options.workspace, input.file ?? ''), 'utf8'));
      await writeFile(file, text);
      const unit = await prepareCandidate(this.prepared, file, this.options);
      const spec = candidateSpec(this.prepared.spec, input.launch, input.launchOrigin ?? 'given');
      const sandbox: SandboxPolicy = { writable: [scratch], readable: await candidateReadable(this.options, this.prepared, file), gpu: false };
      build = await buildFor('candidate', file, spec, this.arch, { ...this.options, extraFlags: input.extraFlags ?? [], signal, sandbox }, unit);
    }
    const built = build;
    const measured = await this.onGpu(file, signal, () => undefined, (lane) =>
      profileLive({
        target: this.options.target,
        runtime: { executable: this.runtime.executable, cuptiDirs: this.runtime.cuptiDirs },
        version: built.binary,
        kernel: this.prepared.kernel,
        file,
        signal,
        gpuHeld: true,
        gpu: lane.gpu,
        ...(options.ncu ? { ncu: options.ncu } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(input ? { sandbox: { writable: [scratch], readable: [dirname(built.binary), this.runtime.dir], gpu: true } } : {}),
      }),
    );
    const kernel = this.prepared.kernel;
    return buildReport({
      // A candidate is kernel code: its whole text is the kernel's.
      identity: { name: kernel.name, qualifiedName: kernel.qualifiedName, file, kernelHash: sha256Hex(text), fileHash: sha256Hex(text), line: kernel.range.start.line, target: this.options.target.name, arch: this.arch },
      static: { arch: this.arch, launch: specLaunch(this.prepared.spec), ...(measured.carveoutBytes !== undefined ? { carveoutBytes: measured.carveoutBytes } : {}) },
      live: measured.live,
      liveLines: measured.lines,
    });
  }

  /** Cancels what is still running (its processes are killed), waits for it, and removes the scratch folder. */
  async close(): Promise<void> {
    this.closing.abort(new JobError('run', 'the evaluation was closed'));
    await Promise.allSettled([...this.inFlight]);
    await this.scratchFolder.remove();
  }

  private async evaluateOne(input: CandidateInput, signal: AbortSignal, onEvent?: (event: EvaluationEvent) => void): Promise<CandidateResult> {
    const started = performance.now();
    const seconds = { build: 0, waitForGpu: 0, gpu: 0, total: 0, sincePrepared: 0 };
    const scratch = await mkdtemp(join(this.scratchFolder.dir, 'c-'));
    const file = input.file ? resolve(this.options.workspace, input.file) : join(scratch, 'candidate.cu');
    if (!input.file) {
      if (input.source === undefined) throw new JobError('input', 'a candidate needs a file or its source text');
      await writeFile(file, input.source);
    }
    const emit = (event: EvaluationEvent) => {
      report(this.options, event);
      onEvent?.(event);
    };
    const phase = (p: EvaluationPhase, message: string) => emit({ type: 'phase', phase: p, candidate: file, message });
    const spec = candidateSpec(this.prepared.spec, input.launch, input.launchOrigin ?? 'given');
    const commands = [...this.prepareCommands];
    const seeds = this.options.seeds ?? randomSeeds();
    const plan = { seeds, sweep: spec.sweep ?? [], sizes: spec.sizes };

    // Kernel code only (candidates/check.ts), built as the baseline's file with the kernel replaced; a refusal is a
    // rejected candidate (the `structure` probe): nothing of it compiles or runs.
    let unit: string | undefined;
    let refused: string | undefined;
    try {
      unit = await prepareCandidate(this.prepared, file, { ...this.options, onProgress: (line) => phase('build', line) });
    } catch (error) {
      if (!(error instanceof JobError && error.kind === 'candidate')) throw error;
      refused = error.message;
    }
    // Build (sandboxed: it may write only its scratch and its build folder, and read the candidate's folder, the
    // baseline's (the unit includes the baseline's headers) and the include paths).
    const buildStarted = performance.now();
    const buildSandbox: SandboxPolicy = { writable: [scratch], readable: await candidateReadable(this.options, this.prepared, file), gpu: false };
    const built =
      unit === undefined
        ? {}
        : await this.builds.run(() => {
            phase('build', `compiling ${basename(file)}`);
            return buildVersionFor('candidate', file, spec, this.arch, { ...this.options, extraFlags: input.extraFlags ?? [], signal, sandbox: buildSandbox, onProgress: (line) => phase('build', line.replace(/^build: /, '')) }, unit);
          });
    seconds.build = (performance.now() - buildStarted) / 1000;
    const builds = built.info ? [this.baselineBuild, built.info] : [this.baselineBuild];
    let evidence: CandidateEvidence;
    // Where it ran (a candidate that never ran is recorded with the GPU preparing measured).
    let ranOn: GpuLane = { gpu: this.gpu, device: this.device, ceilings: this.ceilings };
    if (refused !== undefined) {
      evidence = { plan, refused, checks: [], state: [] };
    } else if (!built.info) {
      evidence = { plan, buildErrors: built.failed ? buildErrors(built.failed) : ['nvcc failed'], checks: [], state: [] };
    } else {
      if (built.info.command) commands.push([built.info.command]);
      const waitStarted = performance.now();
      evidence = await this.onGpu(file, signal, emit, async (lane) => {
        ranOn = lane;
        seconds.waitForGpu = (performance.now() - waitStarted) / 1000;
        const gpuStarted = performance.now();
        const ctx = gpuContext({ ...this.options, signal }, this.runtime, commands, lane.gpu);
        await this.ready(lane, ctx);
        phase('checks', `checking on seeds ${seeds.join(', ')}${plan.sweep.length ? ` and ${plan.sweep.length} sweep point(s)` : ''}, then timing ${this.pairs()} verified pairs${this.gpus.length > 1 ? ` on GPU ${lane.gpu.index}` : ''}`);
        const got = await this.runCandidate(ctx, lane, built.info as BuildInfo, scratch, plan);
        seconds.gpu = (performance.now() - gpuStarted) / 1000;
        return got;
      });
    }
    phase('record', 'writing the run record');
    const timing = evidence.timing;
    const timed = timing?.candidate && timing.candidate.kernelMs.length > 0;
    const recordInput: RunRecordInput = {
      ...this.recordBase(spec.sizes, ranOn),
      ...(input.launch ? { candidateLaunch: input.launch } : {}),
      seeds: { check: seeds, time: timing?.seed ?? this.baselineTiming.seed, sets: timing?.sets ?? this.baselineTiming.sets },
      timings: timed && timing?.candidate
        ? {
            order: 'interleaved',
            ...baselineSeries(timing),
            candidateMs: timing.candidate.kernelMs,
            candidateLaunchMs: timing.candidate.launchMs,
            candidateWallMs: timing.candidate.wallMs,
          }
        : { order: 'baseline-only', ...baselineSeries(this.baselineTiming) },
      evidence: { baseline: this.baselineEvidence, candidate: evidence },
      commands,
      ...(await identities(builds.concat(this.runtimeBuild))),
    };
    const result = await this.write(recordInput, 'compare', builds, baselineWarnings(this.baselineEvidence.checks), input.name);
    for (const probe of result.summary.verification?.probes ?? []) emit({ type: 'probe', candidate: file, probe });
    const s = result.summary;
    if (s.candidate && s.method) emit({ type: 'timing', candidate: file, method: s.method, pairs: s.candidate.n, baselineMedianMs: s.baseline.median, candidateMedianMs: s.candidate.median });
    if (s.gate) emit({ type: 'verdict', candidate: file, status: s.gate.status, accepted: s.gate.accepted, headline: s.gate.headline });
    seconds.total = (performance.now() - started) / 1000;
    seconds.sincePrepared = (performance.now() - this.preparedAt) / 1000;
    const diagnostics = built.failed?.diagnostics.filter((d) => d.severity === 'error');
    return { ...result, kind: 'compare', candidate: file, seconds, ...(diagnostics?.length ? { diagnostics } : {}) };
  }

  private pairs(): number {
    return this.options.pairs ?? DEFAULTS.pairs;
  }

  /** One runtime process: the candidate beside the baseline. A fault or hang it causes is evidence, not an error. */
  private async runCandidate(ctx: GpuContext, lane: GpuLane, build: BuildInfo, scratch: string, plan: CandidateEvidence['plan']): Promise<CandidateEvidence> {
    let events: GateEvent[];
    let crash: CandidateEvidence['crash'];
    try {
      events = await runGateCommand(
        ctx,
        {
          mode: 'evaluate',
          baseline: this.baselineBuild.binary,
          candidate: build.binary,
          seeds: plan.seeds,
          sweep: plan.sweep,
          timeSeed: this.options.timeSeed ?? randomTimeSeed(),
          warmup: this.options.warmup ?? DEFAULTS.warmup,
          pairs: this.pairs(),
          sets: this.options.sets ?? DEFAULTS.sets,
          time: true,
          ...(this.options.timing ? { timing: this.options.timing } : {}),
        },
        // Candidate code runs only here: its own scratch folder, the GPU, nothing else writable.
        { cwd: scratch, sandbox: { writable: [scratch], readable: [dirname(build.binary), dirname(this.baselineBuild.binary), this.runtime.dir], gpu: true } },
      );
    } catch (error) {
      crash = crashEvidence(error);
      if (!crash) throw asJobError(error, `evaluating ${build.file}`);
      events = (error as { events?: GateEvent[] }).events ?? [];
    }
    lane.device ??= events.find((e): e is StartEvent => e.kind === 'start')?.device;
    return {
      plan,
      checks: events.filter((e): e is CheckEvent => e.kind === 'check'),
      ...optional('repeat', events.find((e): e is RepeatEvent => e.kind === 'repeat')),
      ...optional('timing', events.find((e): e is TimingEvent => e.kind === 'timing')),
      state: events.filter((e): e is StateEvent => e.kind === 'state'),
      ...optional('variables', events.find((e): e is LoadedEvent => e.kind === 'loaded')?.variables),
      ...optional('crash', crash),
    };
  }

  /** Runs `work` on a free GPU of the pool once no other KernelPilot process holds that GPU. */
  private async onGpu<T>(candidate: string, signal: AbortSignal, emit: (e: EvaluationEvent) => void, work: (lane: GpuLane) => Promise<T>): Promise<T> {
    return this.pool.use(signal, async (lane) => {
      const release = await holdGpu(this.options, lane.gpu.index, `gating a candidate of ${this.kernel}`, (e) => emit({ ...e, candidate }), signal);
      try {
        return await work(lane);
      } finally {
        await release();
      }
    });
  }

  /** A GPU's first use: its own ceilings (cached per GPU), so its candidates' rooflines are its own. */
  private async ready(lane: GpuLane, ctx: GpuContext): Promise<void> {
    lane.ceilings ??= await ceilingsFor(ctx, lane.gpu, this.options.timing === 'events' ? 'cuda-events' : 'cupti-activity', this.options.ceilingsPath);
  }

  private recordBase(sizes: Record<string, number>, lane: GpuLane): Omit<RunRecordInput, 'timings' | 'seeds' | 'binaries' | 'harnessSources' | 'commands'> {
    const { spec } = this.prepared;
    const dtypes = spec.args.filter((a) => a.role !== 'scalar').map((a) => a.dtype);
    const flops = rooflineFlops(spec, sizes);
    // A GPU whose runtime never started (a candidate that crashed first) is described by the same model's device.
    const device = lane.device ?? { ...this.device, name: lane.gpu.name };
    return {
      kernel: this.kernel,
      spec,
      sizes,
      gpu: { name: device.name, computeCapability: lane.gpu.computeCapability, driverVersion: lane.gpu.driver, index: lane.gpu.index, device },
      ceilings: lane.ceilings ?? this.ceilings,
      roofline: { bytes: rooflineBytes(spec, sizes), ...(flops !== undefined ? { flops } : {}), options: { flopsCeilingApplies: flopsCeilingApplies(dtypes) } },
      analysis: { confidence: CONFIDENCE, compare: {} },
      buildFlags: this.baselineBuild.flags,
    };
  }

  /** The baseline as preparing measured it: kernel time, launch overhead, wall time, roofline. */
  baselineSummary(): BenchSummary {
    const t = this.baselineTiming;
    const { spec } = this.prepared;
    const flops = rooflineFlops(spec);
    const dtypes = spec.args.filter((a) => a.role !== 'scalar').map((a) => a.dtype);
    return deriveSummary({
      kernel: this.kernel,
      gpuName: this.device.name,
      method: t.method,
      baselineMs: t.baseline.kernelMs,
      baselineLaunchMs: t.baseline.launchMs,
      baselineWallMs: t.baseline.wallMs,
      bytes: rooflineBytes(spec),
      ...(flops !== undefined ? { flops } : {}),
      ceilings: this.ceilings,
      rooflineOptions: { flopsCeilingApplies: flopsCeilingApplies(dtypes) },
      confidence: CONFIDENCE,
    });
  }

  private async write(input: RunRecordInput, kind: JobResult['kind'], builds: BuildInfo[], warnings: string[], name?: string): Promise<JobResult> {
    const now = this.options.now?.() ?? new Date();
    const shortId = name ? `${name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}-${randomBytes(2).toString('hex')}` : randomBytes(4).toString('hex');
    const record = createRunRecord({ ...input, kind }, { now, shortId });
    const folder = await writeRunRecord(this.options.workspace, record);
    this.options.onProgress?.(`record: ${folder}`);
    return { kind, kernel: record.kernel, specSource: this.prepared.source, summary: rederive(record), record, runDir: folder, builds, warnings };
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function baselineSeries(t: TimingEvent): Pick<RunRecordInput['timings'], 'baselineMs' | 'baselineLaunchMs' | 'baselineWallMs' | 'method' | 'warmup' | 'l2FlushBytes'> {
  return { baselineMs: t.baseline.kernelMs, baselineLaunchMs: t.baseline.launchMs, baselineWallMs: t.baseline.wallMs, method: t.method, warmup: t.warmup, l2FlushBytes: t.l2FlushBytes };
}

function report(options: EvaluationOptions, event: EvaluationEvent): void {
  options.onEvent?.(event);
  options.onProgress?.(eventText(event));
}

function gpuContext(options: EvaluationOptions, runtime: RuntimeBuild, commands: string[][], gpu: GpuInfo): GpuContext {
  return {
    env: onlyGpu(gpu),
    target: options.target,
    runtime: runtime.executable,
    cuptiDirs: runtime.cuptiDirs,
    ...(options.timing ? { timing: options.timing } : {}),
    signal: options.signal,
    onProgress: options.onProgress,
    commands,
    timeoutMs: options.timeoutMs,
  };
}

/** Waits at the GPU gate while another KernelPilot job, of this process or another, times on it (builds need no GPU). */
async function holdGpu(options: EvaluationOptions, index: number, what: string, onWait: ((e: Extract<EvaluationEvent, { type: 'waiting-for-gpu' }>) => void) | undefined, signal: AbortSignal | undefined): Promise<() => Promise<void>> {
  if (!options.target.acquireGpu) return async () => undefined;
  try {
    const release = await options.target.acquireGpu(index, what, {
      signal,
      onWait: (wait) => {
        options.onGpuWait?.(wait);
        const event = { type: 'waiting-for-gpu' as const, gpu: index, wait };
        report(options, event);
        onWait?.(event);
      },
    });
    options.onGpuWait?.(undefined);
    return release;
  } catch (error) {
    if (signal?.aborted) throw new JobError('run', `cancelled while waiting for GPU ${index}`, { cause: error });
    throw new JobError('run', `cannot take GPU ${index} for timing: ${(error as Error).message}`, { cause: error });
  }
}

async function identities(builds: BuildInfo[]): Promise<Pick<RunRecordInput, 'binaries' | 'harnessSources' | 'sources'>> {
  const versions = builds.filter((b): b is BuildInfo & { role: 'baseline' | 'candidate' } => b.role !== 'runtime');
  return {
    binaries: await Promise.all(builds.map(async (b) => ({ role: b.role, path: b.binary, sha256: await sha256File(b.binary) }))),
    harnessSources: await Promise.all(versions.map(async (b) => ({ path: b.harnessFile, sha256: await sha256File(b.harnessFile) }))),
    sources: await Promise.all(versions.map(async (b) => ({ role: b.role, path: b.file, sha256: await sha256File(b.file) }))),
  };
}

export const prepare = (options: EvaluationOptions): Promise<Evaluation> => Evaluation.prepare(options);
