// The contract between the gate runtime (cuda/runtime/kp_gate.cu) and the driver that runs it (run.ts).
//
// The runtime is one executable; each kernel version is a shared object it loads (build.ts). Its command line:
//   kp_gate describe V1.so V2.so ...            the versions' tables and device variables; needs no GPU
//   kp_gate ceilings                            copy and FP32 ceilings, timed like every kernel
//   kp_gate baseline --version B.so --seeds A,B,C [--sweep P;P] [--size P] --time-seed S --warmup W --iters N
//                    --sets K [--no-time]       the baseline alone: sanity and weak-spec checks, then timed samples
//   kp_gate evaluate --baseline B.so --candidate C.so --seeds A,B,C [--sweep P;P] [--size P] --time-seed S
//                    --warmup W --pairs N --sets K [--no-time]
//        checks (seed A at the default sizes and a repeat of it, the other seeds, one seed per sweep point), then
//        interleaved timed pairs with every candidate launch verified; it stops at the first problem.
//   P is NAME=VALUE[,NAME=VALUE...]; --timing events skips CUPTI (also KP_TIMING=events in the environment).
// Output: one JSON event per line, each starting with `{"kind":`; the last is `end` (exit 0) or `error` (exit 1).
// Other output (a kernel's printf) is ignored. Events a run printed before a crash still count: they are the
// evidence of what passed before it.

export interface DeviceInfo {
  name: string;
  /** e.g. `9.0` */
  computeCapability: string;
  smCount: number;
  l2Bytes: number;
  globalMemBytes: number;
  driverVersion: number;
  runtimeVersion: number;
}

/**
 * `cupti-activity`: first to last GPU activity that started inside the window, on any stream (kernel only; kernels
 *   traced serialized, their timestamps taken around each kernel, not by instrumenting it).
 * `cuda-events`: events around the launch and a whole-device synchronize (includes launch and sync latency).
 * `cpu-wall`: the host clock around the call (the Python harness on a CPU: harness/python/).
 */
export type TimingMethod = 'cupti-activity' | 'cuda-events' | 'cpu-wall';

/** One launch, measured. */
export interface LaunchSpan {
  kernelMs: number;
  /** Host time inside the launch call. */
  launchMs: number;
  /** Host time from before the launch to the end of a whole-device synchronize. */
  wallMs: number;
  /** GPU activities (kernels, copies, memsets) that started inside the window; 0 with cuda-events. */
  activities: number;
  streams: number;
}

export interface SampleSeries {
  kernelMs: number[];
  launchMs: number[];
  wallMs: number[];
  /**
   * Python gate: per call, how long the GPU stayed busy after the call's end event (to the next full synchronize):
   * work a call leaves running outside the timed stream shows here, not in kernelMs.
   */
  tailMs?: number[];
  activities: number[];
  streams: number[];
}

/** One output (or inout) of the candidate compared with the reference, element by element on the GPU. */
export interface OutputComparison {
  name: string;
  elements: number;
  /** Elements outside the tolerance, or non-finite on either side (bench/elementwise.ts matchValues). */
  failures: number;
  nonFiniteBaseline: number;
  nonFiniteCandidate: number;
  /** Over elements finite on both sides; null when none was. */
  maxAbsErr: number | null;
  maxRelErr: number | null;
  /** Pure outputs: elements still holding the poison where the reference's do not (countPoison). */
  unwritten?: number;
  baselineUnwritten?: number;
  firstUnwritten?: number;
  /** The first failing element; 64-bit integers as decimal strings, non-finite floats as "NaN"/"Infinity". */
  first?: { index: number; baseline: number | string; candidate: number | string };
  /** The Python harness (python/): what was returned does not line up with the reference (shape, dtype, count); every element fails. */
  mismatch?: string;
}

export interface InputDigest {
  name: string;
  before: string;
  after: string;
}

export interface StartEvent {
  kind: 'start';
  mode: 'ceilings' | 'baseline' | 'evaluate';
  device: DeviceInfo;
  timing: { method: TimingMethod; note: string };
}

export interface LoadedEvent {
  kind: 'loaded';
  kernel: string;
  /** The candidate module's writable device variables. */
  variables: Array<{ name: string; bytes: number; managed: boolean }>;
}

export interface CheckEvent {
  kind: 'check';
  seed: number;
  sizes: Record<string, number>;
  candidateLaunch: LaunchSpan;
  baselineLaunch: LaunchSpan;
  inputs: InputDigest[];
  outputs: OutputComparison[];
  /** Device addresses of the candidate's buffers. */
  pointers: Record<string, string>;
}

export interface RepeatEvent {
  kind: 'repeat';
  seed: number;
  outputs: Array<{ name: string; differing: number; firstIndex?: number }>;
}

export interface StateEvent {
  kind: 'state';
  role: 'candidate';
  phase: 'checks' | 'timing';
  variables: Array<{ name: string; bytes: number; managed: boolean; compared: boolean; changed?: boolean }>;
}

export interface TimingEvent {
  kind: 'timing';
  method: TimingMethod;
  note?: string;
  sizes: Record<string, number>;
  seed: number;
  warmup: number;
  sets: number;
  l2FlushBytes: number;
  /** How L2 was emptied before each timed launch (`write-then-read`: 2x the L2 written, then read: clean lines only). */
  l2Flush?: string;
  baseline: SampleSeries;
  /** evaluate: */
  pairs?: number;
  /** Candidate launches verified, warm-ups included. */
  verifiedLaunches?: number;
  candidate?: SampleSeries;
  /** Per timed pair: each output's failures and unwritten elements, and how many inputs the candidate changed. */
  verification?: { outputs: Array<{ name: string; failures: number[]; unwritten: number[] }>; inputsChanged: number[] };
  /** GPU activities outside every timed window beyond what the runtime issued itself (cupti-activity only). */
  unaccountedActivities?: number;
  /** Python gate (Triton): GPU cycles of the sleep queued before each call so its host part is not timed, as it ended. */
  coverCycles?: number;
  /** Calls whose host part outlasted the cover (the cover grew after each); their kernelMs hold host time. */
  uncoveredCalls?: number;
  /** The pair that showed a problem; timing stopped there. */
  stoppedAt?: { pair: number; warmup: boolean; seed: number; inputsChanged: number; outputs: OutputComparison[] };
}

export interface BaselineOutputCheck {
  name: string;
  elements: number;
  /** Elements the baseline left holding the poison. */
  unwritten: number;
  /** Elements where an all-zero output would fail the tolerance (0: zeros would pass). */
  zerosFailures: number;
  mean: number | null;
  meanFailures: number;
  /** Per input (or inout's initial values) of the same length: elements where it would fail as the output. */
  inputs: Array<{ name: string; failures: number }>;
}

export interface BaselineCheckEvent {
  kind: 'baseline-check';
  seed: number;
  sizes: Record<string, number>;
  launch: LaunchSpan;
  inputs: InputDigest[];
  outputs: BaselineOutputCheck[];
}

export interface CeilingsEvent {
  kind: 'ceilings';
  device: DeviceInfo;
  method: TimingMethod;
  /** Bytes read + bytes written per second: the best of a copy kernel at several grid sizes and cudaMemcpy. */
  copyBytesPerSecond: number;
  /** FP32 FMA throughput, 2 flops per FMA. */
  fp32FlopsPerSecond: number;
  /** c = a + b (two bytes read per byte written), bytes read + written per second. */
  readWrite21BytesPerSecond?: number;
  copyVariants?: Record<string, number>;
  copyBytes?: number;
  fmaMs?: number;
}

export interface DescribeEvent {
  kind: 'describe';
  versions: Array<{
    path: string;
    kernel: string;
    /** The address of its launch function in this process: two loaded versions never share one. */
    launch: string;
    sizes: Array<{ name: string; value: number }>;
    buffers: Array<{ name: string; role: number; dtype: string; argIndex: number; atol: number; rtol: number }>;
    variables: Array<{ name: string; bytes: number; managed: boolean }>;
  }>;
}

export interface EndEvent {
  kind: 'end';
  /** Where an evaluation stopped early because the candidate failed. */
  stopped?: 'check' | 'timing';
}

export interface ErrorEvent {
  kind: 'error';
  /** What failed: `device`, `alloc`, `copy` (a memcpy/memset), `launch`, `sync`, `io`, `args`, `load`. */
  stage: string;
  /** e.g. `cudaErrorIllegalAddress`. */
  cudaError?: string;
  message: string;
  /** What the runtime was doing: "checking the candidate (seed 12, n=1000)", "timed pair 17". */
  doing?: string;
}

export type GateEvent =
  | StartEvent
  | LoadedEvent
  | CheckEvent
  | RepeatEvent
  | StateEvent
  | TimingEvent
  | BaselineCheckEvent
  | CeilingsEvent
  | DescribeEvent
  | EndEvent
  | ErrorEvent;
