// What the bench-type commands share: the target (--target, named targets), progress on stderr, Ctrl-C that stops the running processes,
// and engine errors turned into one-line CliErrors (never a stack trace for something the user can fix).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { BuildError } from '../harness/build';
import { HarnessRunError } from '../harness/run';
import { KernelBenchRunError } from '../harness/python/run';
import { JobError } from '../bench/job-prepare';
import { PrivateDirError } from '../targets/private-dir';
import { onTermination } from '../targets/lifecycle';
import { SandboxUnavailableError, type SandboxSettings } from '../targets/sandbox';
import { createTarget, parseNamedTargets, type NamedTargets } from '../targets/select';
import { TargetConnectionError, type Target } from '../targets/target';
import { CliError } from './errors';

export interface JobCliOptions {
  /** Default: --target's, else this machine. Tests pass fakes. */
  target?: Target;
  /** --target NAME|URL (targets/select.ts). */
  targetName?: string;
  /** Default: progress lines on stderr. */
  progress?: (line: string) => void;
  ceilingsPath?: string;
  buildCacheDir?: string;
  /** --no-sandbox, --bwrap PATH; default: sandboxed, bwrap on PATH. */
  sandbox?: SandboxSettings;
}

/**
 * The CLI's named targets: `$XDG_CONFIG_HOME/kernelpilot/targets.json` (else ~/.config/…).
 * The user's own file: never a workspace's.
 */
export function targetsFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config'), 'kernelpilot', 'targets.json');
}

async function namedTargets(): Promise<NamedTargets> {
  const file = targetsFile();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, 2);
  }
  try {
    return parseNamedTargets(JSON.parse(text), file);
  } catch (error) {
    throw new CliError(`${error instanceof SyntaxError ? `${file}: not valid JSON (${error.message})` : (error as Error).message}`, 2);
  }
}

/** The target of --target (default this machine), with the sandbox choice; a test's own target as it is. */
export async function defaultTarget(options: JobCliOptions): Promise<Target> {
  if (options.target) return options.target;
  const sandbox = options.sandbox ?? { enabled: true };
  const context = { named: options.targetName === undefined ? {} : await namedTargets(), sandbox: () => sandbox, onSandboxNotice: (message: string) => process.stderr.write(`kernelpilot: ${message}\n`) };
  try {
    return await createTarget(options.targetName ?? 'local', context);
  } catch (error) {
    throw new CliError(`--target: ${(error as Error).message}`, 2);
  }
}

export function progressTo(options: JobCliOptions): (line: string) => void {
  return options.progress ?? ((line) => process.stderr.write(`· ${line}\n`));
}

/**
 * Runs the job with an AbortSignal that Ctrl-C (or SIGTERM) fires, so the job's nvcc and harness processes are
 * killed at once; after Ctrl-C the job may end by itself for a few seconds (targets/lifecycle.ts ends it then).
 */
export async function withCancel<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const remove = onTermination(() => controller.abort());
  try {
    return await work(controller.signal);
  } catch (error) {
    throw toCliError(error);
  } finally {
    remove();
  }
}

export function toCliError(error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof JobError || error instanceof BuildError || error instanceof HarnessRunError || error instanceof KernelBenchRunError || error instanceof SandboxUnavailableError || error instanceof PrivateDirError || error instanceof TargetConnectionError) return new CliError(error.message, 1);
  return error;
}

/** --device of the Python gates: auto, cpu or cuda (undefined when not given); anything else is a usage error. */
export function deviceFlag(value: string | undefined): 'auto' | 'cpu' | 'cuda' | undefined {
  if (value === undefined || value === 'auto' || value === 'cpu' || value === 'cuda') return value;
  throw new CliError(`--device must be auto, cpu or cuda, got '${value}'`, 2);
}

/** `--rounds 4` etc.: a positive integer or a usage error naming the flag. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (flag === 'warmup' ? 0 : 1)) throw new CliError(`--${flag} must be a ${flag === 'warmup' ? 'non-negative' : 'positive'} integer, got '${value}'`, 2);
  return n;
}
