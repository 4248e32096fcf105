// Runs the gate runtime through a Target and reads its event lines (protocol.ts). A run that does not end with an
// `end` event becomes a HarnessRunError whose message says what happened and what to do; the events printed before
// the failure travel with it (a candidate that faults at a sweep point still passed the seeds before it).
import { dirname } from 'node:path';
import type { SandboxPolicy, Target } from '../targets/target';
import type { EndEvent, ErrorEvent, GateEvent } from './protocol';

/** Size overrides, NAME → VALUE. */
export type SizePoint = Record<string, number>;

export type TimingChoice = 'cupti' | 'events';

export interface DescribeCommand {
  mode: 'describe';
  versions: string[];
}

export interface CeilingsCommand {
  mode: 'ceilings';
  timing?: TimingChoice;
}

interface ChecksAndTiming {
  seeds: number[];
  sweep?: SizePoint[];
  /** Overrides of the spec's default sizes, for everything the run does. */
  sizes?: SizePoint;
  timeSeed: number;
  warmup: number;
  sets: number;
  /** False: checks only. */
  time: boolean;
  timing?: TimingChoice;
}

export interface BaselineCommand extends ChecksAndTiming {
  mode: 'baseline';
  baseline: string;
  iters: number;
}

export interface EvaluateCommand extends ChecksAndTiming {
  mode: 'evaluate';
  baseline: string;
  candidate: string;
  pairs: number;
}

export type GateCommand = DescribeCommand | CeilingsCommand | BaselineCommand | EvaluateCommand;

export interface RunOptions {
  target: Target;
  /** Default 300 s. The whole process tree is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Runs that load candidate code run under it. */
  sandbox?: SandboxPolicy;
}

export const DEFAULT_RUN_TIMEOUT_MS = 300_000;

export type HarnessRunErrorKind =
  /** The runtime printed an error event (`report` has it). */
  | 'report'
  | 'timeout'
  | 'cancelled'
  | 'not-found'
  /** A sandbox limit (CPU time, memory, processes, output) ended the run. */
  | 'sandbox-limit'
  /** Exited without an end or error event (crashed, killed). */
  | 'no-report';

export class HarnessRunError extends Error {
  constructor(
    readonly kind: HarnessRunErrorKind,
    message: string,
    readonly details: { report?: ErrorEvent; events?: GateEvent[]; exitCode?: number; stdout?: string; stderr?: string; command?: string } = {},
  ) {
    super(message);
    this.name = 'HarnessRunError';
  }
  /** `device`, `launch`, … when the runtime said where it failed. */
  get stage(): string | undefined {
    return this.details.report?.stage;
  }
  get cudaError(): string | undefined {
    return this.details.report?.cudaError;
  }
  /** Events printed before the failure. */
  get events(): GateEvent[] {
    return this.details.events ?? [];
  }
}

function pointText(point: SizePoint): string {
  return Object.entries(point).map(([name, value]) => `${name}=${value}`).join(',');
}

/** The runtime's arguments for one command, exactly as protocol.ts spells them. */
export function gateArgs(command: GateCommand): string[] {
  if (command.mode === 'describe') return ['describe', ...command.versions];
  if (command.mode === 'ceilings') return ['ceilings', ...(command.timing ? ['--timing', command.timing] : [])];
  const common = [
    '--seeds', command.seeds.join(','),
    ...(command.sweep?.length ? ['--sweep', command.sweep.map(pointText).join(';')] : []),
    ...(command.sizes && Object.keys(command.sizes).length ? ['--size', pointText(command.sizes)] : []),
    '--time-seed', String(command.timeSeed),
    '--warmup', String(command.warmup),
    '--sets', String(command.sets),
    ...(command.time ? [] : ['--no-time']),
    ...(command.timing ? ['--timing', command.timing] : []),
  ];
  if (command.mode === 'baseline') return ['baseline', '--version', command.baseline, ...common, '--iters', String(command.iters)];
  return ['evaluate', '--baseline', command.baseline, '--candidate', command.candidate, ...common, '--pairs', String(command.pairs)];
}

/** Every line that starts with `{"kind":` and parses as a JSON object, in order; other output is ignored. */
export function parseEvents(stdout: string): GateEvent[] {
  const events: GateEvent[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line.startsWith('{"kind":')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string') events.push(value as GateEvent);
    } catch {
      // A truncated line (the process died while printing): what came before still counts.
    }
  }
  return events;
}

/** The files a command names: the runtime loads each version's shared object. */
function versionsOf(command: GateCommand): string[] {
  if (command.mode === 'describe') return command.versions;
  if (command.mode === 'baseline') return [command.baseline];
  if (command.mode === 'evaluate') return [command.baseline, command.candidate];
  return [];
}

/** The command with its files named as the target sees them. */
function onTarget(command: GateCommand, target: Target): GateCommand {
  const at = (file: string) => target.targetPath(file);
  if (command.mode === 'describe') return { ...command, versions: command.versions.map(at) };
  if (command.mode === 'baseline') return { ...command, baseline: at(command.baseline) };
  if (command.mode === 'evaluate') return { ...command, baseline: at(command.baseline), candidate: at(command.candidate) };
  return command;
}

/**
 * Puts the runtime's and the versions' build folders (and the run's folder) on the target, then runs the command
 * there; the files are named as the target sees them.
 */
export async function runGate(executable: string, command: GateCommand, options: RunOptions): Promise<GateEvent[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const { target } = options;
  const folders = [...new Set([executable, ...versionsOf(command)].map((file) => dirname(file)))];
  await target.put([...folders, ...(options.cwd ? [options.cwd] : [])], { signal: options.signal });
  const result = await target.exec(target.targetPath(executable), gateArgs(onTarget(command, target)), {
    timeoutMs,
    signal: options.signal,
    env: options.env,
    cwd: options.cwd === undefined ? undefined : target.targetPath(options.cwd),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  });
  const where = `target '${options.target.name}'`;
  const events = parseEvents(result.stdout);
  const details = { events, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, command: result.command };
  if (result.notFound) throw new HarnessRunError('not-found', `the gate runtime ${executable} could not be started on ${where}: build it first (or rebuild: the build folder may have been cleaned)`, details);
  if (result.cancelled) throw new HarnessRunError('cancelled', `the ${command.mode} run was cancelled (${result.command})`, details);
  if (result.limit) throw new HarnessRunError('sandbox-limit', `the ${command.mode} run ${result.limit.message} on ${where}`, details);
  if (result.timedOut) {
    throw new HarnessRunError('timeout', `the ${command.mode} run did not finish within ${Math.round(timeoutMs / 1000)} s on ${where}; the kernel may hang (or the sizes are too large for the time limit)`, details);
  }
  const error = events.find((e): e is ErrorEvent => e.kind === 'error');
  if (error) throw new HarnessRunError('report', explainError(error, options.target.name), { ...details, report: error });
  const end = events.at(-1) as EndEvent | undefined;
  if (!end || end.kind !== 'end' || result.exitCode !== 0) {
    const how = result.exitCode === undefined ? 'was killed by a signal' : `exited with code ${result.exitCode}`;
    const stderr = result.stderr.trim() ? `; stderr: ${result.stderr.trim().split(/\r?\n/).slice(-5).join(' | ')}` : '';
    throw new HarnessRunError('no-report', `the gate runtime ${how} on ${where} before its end event (a crash in host code, e.g. a static initialiser in the kernel's file, or the process ran out of memory)${stderr}`, details);
  }
  return events;
}

/** What happened and what to do, for an error event. */
export function explainError(report: ErrorEvent, targetName: string): string {
  const code = report.cudaError ? ` (${report.cudaError})` : '';
  const on = `on target '${targetName}'`;
  const said = `: ${report.message}${report.doing ? ` (while ${report.doing})` : ''}`;
  switch (report.stage) {
    case 'device':
      if (report.cudaError === 'cudaErrorInsufficientDriver') {
        return `no CUDA device ${on}${code}: there is no NVIDIA driver, or it is older than the CUDA runtime the gate was built with. Run on a machine with an NVIDIA GPU and a current driver, or use --dry-run to only build`;
      }
      if (report.cudaError === 'cudaErrorNoDevice' || report.cudaError === undefined) {
        return `no CUDA device ${on}${code}: run on a machine with an NVIDIA GPU (check CUDA_VISIBLE_DEVICES), or use --dry-run to only build`;
      }
      return `the CUDA device ${on} could not be used${code}${said}`;
    case 'args':
      return `the gate refused its arguments${said}. Check the spec's sizes, shapes and launch expressions`;
    case 'alloc':
      return `allocating device memory failed ${on}${code}${said}. Use smaller sizes, or fewer buffer sets when timing`;
    case 'copy':
      return `a memory copy or fill failed ${on}${code}${said}. An earlier kernel fault can surface here`;
    case 'launch':
      return `the kernel could not be launched ${on}${code}${said}. ${launchHint(report.cudaError)}`;
    case 'sync':
      return `the kernel failed while running ${on}${code}${said}. ${runHint(report.cudaError)}`;
    case 'load':
      return `a kernel version could not be loaded ${on}${said}`;
    default:
      return `the gate failed at stage '${report.stage}' ${on}${code}${said}`;
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
      return "The version was built for another GPU architecture: rebuild with this GPU's arch (e.g. sm_90 for an H100).";
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
