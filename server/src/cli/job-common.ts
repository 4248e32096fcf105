// What the bench-type commands share: the target, progress on stderr, Ctrl-C that stops the running processes,
// and engine errors turned into one-line CliErrors (never a stack trace for something the user can fix).
import { BuildError } from '../harness/build';
import { HarnessRunError } from '../harness/run';
import { JobError } from '../bench/job-prepare';
import { PrivateDirError } from '../targets/private-dir';
import { onTermination } from '../targets/lifecycle';
import { SandboxUnavailableError, type SandboxSettings } from '../targets/sandbox';
import type { Target } from '../targets/target';
import { CliError } from './errors';

export interface JobCliOptions {
  /** Default: this machine. Tests pass fakes. */
  target?: Target;
  /** Default: progress lines on stderr. */
  progress?: (line: string) => void;
  ceilingsPath?: string;
  buildCacheDir?: string;
  /** --no-sandbox, --bwrap PATH; default: sandboxed, bwrap on PATH. */
  sandbox?: SandboxSettings;
}

/** Loaded lazily: execa (ESM-only) cannot load under the tests' tsx/CJS setup, and tests pass their own target. */
export async function defaultTarget(options: JobCliOptions): Promise<Target> {
  if (options.target) return options.target;
  const { LocalTarget } = await import('../targets/local');
  const sandbox = options.sandbox ?? { enabled: true };
  return new LocalTarget({ sandbox: () => sandbox, onSandboxNotice: (message) => process.stderr.write(`kernelpilot: ${message}\n`) });
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
  if (error instanceof JobError || error instanceof BuildError || error instanceof HarnessRunError || error instanceof SandboxUnavailableError || error instanceof PrivateDirError) return new CliError(error.message, 1);
  return error;
}

/** `--rounds 4` etc.: a positive integer or a usage error naming the flag. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (flag === 'warmup' ? 0 : 1)) throw new CliError(`--${flag} must be a ${flag === 'warmup' ? 'non-negative' : 'positive'} integer, got '${value}'`, 2);
  return n;
}
