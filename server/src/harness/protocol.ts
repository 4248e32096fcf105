// The contract between a generated harness binary and the bench driver that runs it.
//
// A harness binary is built from the user's file (unchanged) plus a generated main, one binary per kernel
// version (baseline, candidate). Its command line:
//   BIN check --seed S --out DIR    fill inputs from the seeded PRNG, poison every output, launch once, sync;
//                                   write each output/inout buffer raw (little-endian) to DIR/<arg>.bin and
//                                   each input's checksum before and after the launch; print one CheckReport.
//   BIN time --seed S --warmup W --iters N --sets K
//                                   K buffer sets filled from seeds S..S+K-1, rotated so no launch sees the
//                                   previous launch's data; L2 flushed before every timed launch; CUDA events
//                                   around each launch with a whole-device sync before the end event; print one TimeReport.
//   BIN ceilings                    measure device-to-device copy bandwidth and FMA throughput; print one CeilingsReport.
// Every CUDA call and launch is checked; a failure prints one ErrorReport and exits non-zero.
// Each report is one JSON object on one stdout line starting with `{"kind":`.
//
// Compatible extensions (optional fields below; the CUDA harness in harness/cuda/ implements them):
//   --size NAME=VALUE   (check, time) override a size variable of the spec, for sweeps; reports echo `sizes`.
//   check --dump-inputs also write each input/inout as DIR/<arg>.input.bin, listed in CheckReport.inputs.
//   time --out DIR      write what the LAST timed launch produced, listed in TimeReport.timedOutputs.
// Int fills draw integers in [low, high), as the spec schema says.

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

export interface OutputDump {
  name: string;
  dtype: string;
  elements: number;
  /** File name inside the --out folder. */
  file: string;
  /** Outputs: the byte written over the buffer before the launch, e.g. `0xff` (harness/poison.ts). */
  poison?: string;
  /** Outputs: elements that still hold the poison pattern after the launch (never written, or written with it). */
  poisonedElements?: number;
}

export interface CheckReport {
  kind: 'check';
  seed: number;
  device: DeviceInfo;
  outputs: OutputDump[];
  /** FNV-1a 64-bit of each input's bytes, hex, before and after the launch. */
  inputChecksumsBefore: Record<string, string>;
  inputChecksumsAfter: Record<string, string>;
  /** Device pointers of every buffer argument, to detect outputs that alias inputs. */
  pointers: Record<string, string>;
  kernelMs: number;
  /** Host wall clock over the same window as kernelMs. */
  wallMs?: number;
  /** The launch's kernel expression, e.g. `ns::k<float, 256>`. */
  kernel?: string;
  /** The size variables the run used. */
  sizes?: Record<string, number>;
  /** With --dump-inputs: the inputs and inouts as filled, before the launch. */
  inputs?: OutputDump[];
}

export interface TimeReport {
  kind: 'time';
  seed: number;
  device: DeviceInfo;
  warmup: number;
  sets: number;
  l2FlushBytes: number;
  /** One entry per timed launch, milliseconds, in launch order. */
  timesMs: number[];
  /** Host wall clock per timed launch over the same window (launch to whole-device sync), a cross-check. */
  wallMs?: number[];
  /**
   * Median time of an empty kernel measured the same way: the fixed launch + sync latency every sample
   * includes (the end event is recorded after cudaDeviceSynchronize).
   */
  emptyKernelMs?: number;
  /** --sets as asked; `sets` is lower when fewer buffer sets fit in device memory (then `warnings` says so). */
  setsRequested?: number;
  kernel?: string;
  sizes?: Record<string, number>;
  warnings?: string[];
  /** With --out: the outputs of the last timed launch, and the seed of the buffer set it used. */
  timedOutputs?: { seed: number; outputs: OutputDump[] };
}

export interface CeilingsReport {
  kind: 'ceilings';
  device: DeviceInfo;
  /** Bytes read + bytes written per second by a large device-to-device copy kernel. */
  copyBytesPerSecond: number;
  /** FP32 FMA throughput, counted as 2 flops per FMA. */
  fp32FlopsPerSecond: number;
  /**
   * copyBytesPerSecond is the best of these (each a median): a copy kernel at several grid sizes and cudaMemcpy,
   * so that it is an upper bound, as an impossibility check needs.
   */
  copyVariants?: Record<string, number>;
  /** A c = a + b stream (2 bytes read per byte written), bytes read + written per second: HBM streams reads faster than a pure copy. */
  readWrite21BytesPerSecond?: number;
  /** Bytes per bandwidth buffer (1 GiB, or less when memory is short) and the FMA kernel's median. */
  copyBytes?: number;
  fmaMs?: number;
}

export interface ErrorReport {
  kind: 'error';
  /** What the harness was doing: `device`, `alloc`, `copy` (a memcpy/memset), `launch`, `sync`, `io`, `args`. */
  stage: string;
  /** e.g. `cudaErrorNoDevice`. */
  cudaError?: string;
  message: string;
}

export type HarnessReport = CheckReport | TimeReport | CeilingsReport | ErrorReport;
