// Runs a built harness binary through a Target and returns its one report (protocol.ts). Everything that is
// not a report of the asked kind becomes a HarnessRunError whose message says what happened and what to do.
import type { Target } from '../targets/target';
import type { CeilingsReport, CheckReport, ErrorReport, HarnessReport, TimeReport } from './protocol';

export interface CheckCommand {
  mode: 'check';
  seed: number;
  /** Folder the outputs are written to (must exist). */
  outDir: string;
  /** Also write each input/inout as <name>.input.bin and list them in the report's `inputs`. */
  dumpInputs?: boolean;
  sizes?: Record<string, number>;
}

export interface TimeCommand {
  mode: 'time';
  seed: number;
  warmup: number;
  iters: number;
  sets: number;
  /** When given, the outputs of the last timed launch are written here and listed in `timedOutputs`. */
  outDir?: string;
  sizes?: Record<string, number>;
}

export interface CeilingsCommand {
  mode: 'ceilings';
}

export type HarnessCommand = CheckCommand | TimeCommand | CeilingsCommand;

export interface RunOptions {
  target: Target;
  /** Default 300 s. The whole process tree is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export const DEFAULT_RUN_TIMEOUT_MS = 300_000;

export type HarnessRunErrorKind =
  /** The harness printed an ErrorReport (`report` has it). */
  | 'report'
  | 'timeout'
  | 'cancelled'
  | 'not-found'
  /** A sandbox limit (CPU time, memory, processes, output) ended the run. */
  | 'sandbox-limit'
  /** Exited without a report (crashed, killed, or a report line that is not JSON). */
  | 'no-report'
  /** A report of another kind than the mode asked for, or missing fields. */
  | 'bad-report';

export class HarnessRunError extends Error {
  constructor(
    readonly kind: HarnessRunErrorKind,
    message: string,
    readonly details: { report?: ErrorReport; exitCode?: number; stdout?: string; stderr?: string; command?: string } = {},
  ) {
    super(message);
    this.name = 'HarnessRunError';
  }
  /** `device`, `launch`, … when the harness said where it failed. */
  get stage(): string | undefined {
    return this.details.report?.stage;
  }
  get cudaError(): string | undefined {
    return this.details.report?.cudaError;
  }
}

/** The binary's arguments for one command, exactly as protocol.ts spells them. */
export function harnessArgs(command: HarnessCommand): string[] {
  const sizes = (s?: Record<string, number>) => Object.entries(s ?? {}).flatMap(([name, value]) => ['--size', `${name}=${value}`]);
  switch (command.mode) {
    case 'check':
      return ['check', '--seed', String(command.seed), '--out', command.outDir, ...(command.dumpInputs ? ['--dump-inputs'] : []), ...sizes(command.sizes)];
    case 'time':
      return [
        'time',
        '--seed', String(command.seed),
        '--warmup', String(command.warmup),
        '--iters', String(command.iters),
        '--sets', String(command.sets),
        ...(command.outDir ? ['--out', command.outDir] : []),
        ...sizes(command.sizes),
      ];
    case 'ceilings':
      return ['ceilings'];
  }
}

/**
 * The last line that starts with `{"kind":` and parses as a JSON object; other output (the kernel's printf,
 * driver warnings) is ignored. Undefined when there is none.
 */
export function parseReport(stdout: string): HarnessReport | undefined {
  const lines = stdout.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{"kind":')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string') return value as HarnessReport;
    } catch {
      // A truncated line (the process died while printing): keep looking for an earlier whole one.
    }
  }
  return undefined;
}

export function runHarness(binary: string, command: CheckCommand, options: RunOptions): Promise<CheckReport>;
export function runHarness(binary: string, command: TimeCommand, options: RunOptions): Promise<TimeReport>;
export function runHarness(binary: string, command: CeilingsCommand, options: RunOptions): Promise<CeilingsReport>;
export function runHarness(binary: string, command: HarnessCommand, options: RunOptions): Promise<CheckReport | TimeReport | CeilingsReport>;
export async function runHarness(binary: string, command: HarnessCommand, options: RunOptions): Promise<CheckReport | TimeReport | CeilingsReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const result = await options.target.exec(binary, harnessArgs(command), { timeoutMs, signal: options.signal, env: options.env, cwd: options.cwd });
  const where = `target '${options.target.name}'`;
  const details = { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, command: result.command };
  if (result.notFound) throw new HarnessRunError('not-found', `the harness binary ${binary} could not be started on ${where}: build it first (or rebuild: the build folder may have been cleaned)`, details);
  if (result.cancelled) throw new HarnessRunError('cancelled', `the ${command.mode} run was cancelled (${result.command})`, details);
  if (result.limit) throw new HarnessRunError('sandbox-limit', `the ${command.mode} run ${result.limit.message} on ${where}`, details);
  if (result.timedOut) {
    throw new HarnessRunError('timeout', `the ${command.mode} run did not finish within ${Math.round(timeoutMs / 1000)} s on ${where}; the kernel may hang (or the sizes are too large for the time limit)`, details);
  }
  const report = parseReport(result.stdout);
  if (!report) {
    const how = result.exitCode === undefined ? 'was killed by a signal' : `exited with code ${result.exitCode}`;
    const stderr = result.stderr.trim() ? `; stderr: ${result.stderr.trim().split(/\r?\n/).slice(-5).join(' | ')}` : '';
    throw new HarnessRunError('no-report', `the harness ${how} on ${where} without printing a report (a crash in host code, e.g. a static initialiser in the user's file, or the process ran out of memory)${stderr}`, details);
  }
  if (report.kind === 'error') throw new HarnessRunError('report', explainError(report, options.target.name), { ...details, report });
  if (report.kind !== command.mode) throw new HarnessRunError('bad-report', `asked for a ${command.mode} report but the harness printed a ${report.kind} report`, details);
  const missing = requiredFields[command.mode].filter((field) => !(field in report));
  if (missing.length > 0) throw new HarnessRunError('bad-report', `the ${command.mode} report lacks ${missing.join(', ')}`, details);
  if (result.exitCode !== 0) throw new HarnessRunError('bad-report', `the harness printed a ${report.kind} report but exited with code ${result.exitCode}`, details);
  return report;
}

const requiredFields: Record<HarnessCommand['mode'], string[]> = {
  check: ['seed', 'device', 'outputs', 'inputChecksumsBefore', 'inputChecksumsAfter', 'pointers', 'kernelMs'],
  time: ['seed', 'device', 'warmup', 'sets', 'l2FlushBytes', 'timesMs'],
  ceilings: ['device', 'copyBytesPerSecond', 'fp32FlopsPerSecond'],
};

/** What happened and what to do, for an ErrorReport. */
export function explainError(report: ErrorReport, targetName: string): string {
  const code = report.cudaError ? ` (${report.cudaError})` : '';
  const on = `on target '${targetName}'`;
  const said = `: ${report.message}`;
  switch (report.stage) {
    case 'device':
      if (report.cudaError === 'cudaErrorInsufficientDriver') {
        return `no CUDA device ${on}${code}: there is no NVIDIA driver, or it is older than the CUDA runtime the harness was built with. Run on a machine with an NVIDIA GPU and a current driver, or use --dry-run to only build`;
      }
      if (report.cudaError === 'cudaErrorNoDevice' || report.cudaError === undefined) {
        return `no CUDA device ${on}${code}: run on a machine with an NVIDIA GPU (check CUDA_VISIBLE_DEVICES), or use --dry-run to only build`;
      }
      return `the CUDA device ${on} could not be used${code}${said}`;
    case 'args':
      return `the harness refused its arguments${said}. Check the spec's sizes, shapes and launch expressions`;
    case 'alloc':
      return `allocating device memory failed ${on}${code}${said}. Use smaller sizes, or fewer buffer sets when timing`;
    case 'copy':
      return `a memory copy or fill failed ${on}${code}${said}. An earlier kernel fault can surface here`;
    case 'launch':
      return `the kernel could not be launched ${on}${code}${said}. ${launchHint(report.cudaError)}`;
    case 'sync':
      return `the kernel failed while running ${on}${code}${said}. ${runHint(report.cudaError)}`;
    case 'io':
      return `the harness could not write its results ${on}${said}`;
    default:
      return `the harness failed at stage '${report.stage}' ${on}${code}${said}`;
  }
}

function launchHint(cudaError: string | undefined): string {
  switch (cudaError) {
    case 'cudaErrorInvalidConfiguration':
      return "Check launch.grid and launch.block in the spec (at most 1024 threads per block; grid y and z at most 65535).";
    case 'cudaErrorLaunchOutOfResources':
      return 'The kernel needs more registers or shared memory per block than the GPU has: use fewer threads per block, or __launch_bounds__.';
    case 'cudaErrorNoKernelImageForDevice':
    case 'cudaErrorInvalidDeviceFunction':
      return "The binary was built for another GPU architecture: rebuild with this GPU's arch (e.g. sm_90 for an H100).";
    case 'cudaErrorInvalidValue':
      return 'Often too much dynamic shared memory (launch.sharedMem) for the device.';
    default:
      return 'Check the spec against the kernel.';
  }
}

function runHint(cudaError: string | undefined): string {
  switch (cudaError) {
    case 'cudaErrorIllegalAddress':
    case 'cudaErrorMisalignedAddress':
      return "The kernel accessed memory outside its buffers or misaligned: check its indexing against the spec's shapes (compute-sanitizer pinpoints the access).";
    case 'cudaErrorAssert':
      return 'A device-side assert() failed.';
    case 'cudaErrorLaunchTimeout':
      return 'The kernel ran too long for the display watchdog.';
    case 'cudaErrorIllegalInstruction':
      return 'The kernel executed an illegal instruction (often a trap or a corrupted stack).';
    default:
      return 'Check the kernel with compute-sanitizer.';
  }
}
