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
}

export interface CeilingsReport {
  kind: 'ceilings';
  device: DeviceInfo;
  /** Bytes read + bytes written per second by a large device-to-device copy kernel. */
  copyBytesPerSecond: number;
  /** FP32 FMA throughput, counted as 2 flops per FMA. */
  fp32FlopsPerSecond: number;
}

export interface ErrorReport {
  kind: 'error';
  /** What the harness was doing: `device`, `alloc`, `launch`, `sync`, `io`, `args`. */
  stage: string;
  /** e.g. `cudaErrorNoDevice`. */
  cudaError?: string;
  message: string;
}

export type HarnessReport = CheckReport | TimeReport | CeilingsReport | ErrorReport;
