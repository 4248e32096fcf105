// The contract between the Python gate for KernelBench tasks (kp_kernelbench.py) and the driver (run.ts).
//
// `python3 kp_kernelbench.py` reads one job (KernelBenchJob, JSON) from stdin and prints one JSON event per line
// (each starting with `{"kind":`): `harness`; then the reference's events (`start`, `reference`, one
// `baseline-check` per seed, `baselines`, `end`; an `error` with stage `memory` when the task cannot fit the GPU,
// and then no candidate runs); then per candidate a `candidate` marker followed by that
// candidate's events (`start`, `loaded`, one `check` per seed, `repeat`, `timing`, `end`); an `error` in place of
// the rest when something failed; `finished` (its seconds) after the reference and each candidate, then an `error`
// with stage `build-tamper` when that child changed a build folder not its own; `done` last. The check, repeat, timing and baseline-check events have the CUDA
// gate's shapes (../protocol.ts), so derive/probes.ts derives the same probes from them.

import type { Tolerance } from '../../benchspec/model';
import type { BaselineCheckEvent, CheckEvent, ErrorEvent, RepeatEvent, SampleSeries, TimingEvent, TimingMethod } from '../protocol';

export interface KernelBenchJob {
  /** The task file (Model, get_inputs, get_init_inputs), as the target sees it. */
  task: string;
  /** ModelNew files, as the target sees them. */
  candidates: string[];
  /**
   * Check seeds: each draws fresh inputs through get_inputs() after torch.manual_seed(seed). The reference's child
   * uses these; each candidate's child draws as many of its own as it is forked (and its own time seed).
   */
  seeds: number[];
  /** The seed set before get_init_inputs() and before building each model (same weights on both sides). */
  initSeed: number;
  /** Timed call i draws its inputs with seed timeSeed + i. */
  timeSeed: number;
  /**
   * Every child uses `seeds` and `timeSeed` as given: two runs of a job see the same inputs. Only for tests that
   * compare runs: a candidate could know these seeds.
   */
  sameSeedsEveryChild?: boolean;
  warmup: number;
  /** Timed pairs (candidate, eager Model) per candidate; 0: checks only. */
  pairs: number;
  /** Timed rounds of the baselines alone (eager, and torch.compile where it exists). */
  baselineIters: number;
  /** Per dtype name (float32, …): |c − r| ≤ atol + rtol·|r|. */
  tolerance: Record<string, Tolerance>;
  /** The byte written over uninitialized float memory (harness/poison.ts). */
  poisonByte: number;
  /** Overrides of the task's module-level integers (batch_size=16). */
  sizes: Record<string, number>;
  /** `auto`: CUDA when torch sees a device. */
  device: 'auto' | 'cpu' | 'cuda';
  /** Time a torch.compile baseline where the target's torch has it. */
  compile: boolean;
  l2FlushBytes: number;
  /** A child (the reference, a candidate) running longer is killed and reported. */
  candidateTimeoutS: number;
  /**
   * Elements per slice when the harness compares, digests or bit-checks a tensor (default 2^24: float64 slices of
   * 128 MiB, so a 6 GiB output needs no whole-tensor temporary); tests lower it to take several slices.
   */
  chunkElements?: number;
  /** Per candidate (same order): its load_inline build folder, kept across runs and keyed by its source. */
  buildDirs?: string[];
  /**
   * The one folder the harness may write besides the build folders (the inputs are read-only): each child gets a fresh
   * folder of its own under it. Default: the current folder.
   */
  workDir?: string;
  /**
   * GPU cycles of `torch.cuda._sleep` queued before each timed call's start event (Triton jobs), so the host's part of
   * the call runs while the GPU sleeps and the events time the GPU work alone; 0 or absent: KernelBench's own timing.
   */
  coverCycles?: number;
  /**
   * The reference's autotune pick from an earlier process of the same run (an optimize run's baseline): Model is timed
   * with it and autotunes no more. Without it, the reference's child autotunes and the candidates' children pin its pick.
   */
  modelPin?: AutotunePin;
}

/** What a model says about itself after its runs (a Triton kernel: the config its autotuner picked). */
export interface ReportEvent {
  kind: 'report';
  /** Whose report: absent for the child's own model (Model in the reference's child, ModelNew in a candidate's), `reference` for Model in a candidate's child. */
  side?: 'reference';
  autotune?: string;
  /** The pick's place in the kernel's configs (a decimal). */
  autotuneIndex?: string;
  /** The pick as JSON, `{"kwargs": {...}, "num_warps": n, "num_stages": n}`: what the search varies next. */
  autotuneConfig?: string;
  /** Present when the pick was not made here but pinned (AutotunePin): says whose it is. */
  pinned?: string;
}

/** An autotuned reference kernel's pick, made once per run and pinned in every later child and process. */
export interface AutotunePin {
  index: number;
  config: string;
}

export interface HarnessEvent {
  kind: 'harness';
  torch: string;
  python: string;
}

export interface KernelBenchDevice {
  type: 'cuda' | 'cpu';
  name: string;
  computeCapability?: string;
  memoryBytes?: number;
  threads?: number;
}

export interface KernelBenchStartEvent {
  kind: 'start';
  mode: 'reference' | 'candidate';
  device: KernelBenchDevice;
  torch: string;
  timing: { method: TimingMethod };
  /** The reference: the task's module-level integers after the overrides. */
  sizes?: Record<string, number>;
}

export interface TensorDescription {
  name: string;
  dtype?: string;
  shape?: number[];
  /** A non-tensor argument or output, as Python's repr shows it. */
  value?: string;
}

/** On a GPU: what a candidate's check will need there, estimated from the reference's first call. */
export interface MemoryPlan {
  inputBytes: number;
  outputBytes: number;
  /** The reference's peak over its inputs during one call (its outputs included). */
  workingBytes: number;
  needBytes: number;
  /** Free on the device when the reference's process started (its model and the L2-flush buffer already held). */
  availableBytes: number;
}

export interface ReferenceEvent {
  kind: 'reference';
  inputs: TensorDescription[];
  outputs: TensorDescription[];
  memory?: MemoryPlan;
}

export interface BaselinesEvent {
  kind: 'baselines';
  method: TimingMethod;
  warmup: number;
  iters: number;
  l2FlushBytes: number;
  eager: SampleSeries;
  compiled?: SampleSeries;
  /** Why there is no torch.compile baseline. */
  compiledUnavailable?: string;
  coverCycles?: number;
}

export interface CandidateMarker {
  kind: 'candidate';
  index: number;
  file: string;
}

/** A check of a ModelNew: the outputs it RETURNED compared with Model's; `pointers` also name previous-call outputs. */
export interface KernelBenchCheckEvent extends CheckEvent {
  /** Bytes of the storage behind each pointer (an output may be a view into a larger storage). */
  storageBytes: Record<string, number>;
}

export interface KernelBenchEndEvent {
  kind: 'end';
  stopped?: 'check' | 'timing';
}

/** After the reference and after each candidate: seconds from its fork to its end (the shared torch import excluded). */
export interface FinishedEvent {
  kind: 'finished';
  seconds: number;
}

export interface DoneEvent {
  kind: 'done';
}

export type KernelBenchEvent =
  | HarnessEvent
  | KernelBenchStartEvent
  | ReferenceEvent
  | BaselineCheckEvent
  | BaselinesEvent
  | CandidateMarker
  | { kind: 'loaded'; kernel: string }
  | KernelBenchCheckEvent
  | RepeatEvent
  | TimingEvent
  | KernelBenchEndEvent
  | ErrorEvent
  | FinishedEvent
  | ReportEvent
  | DoneEvent;
