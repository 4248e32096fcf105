// A target on a Slurm cluster: `slurm://[user@]login[:port]?partition=P&account=A&time=T&gpus=N` (the login node
// over SSH) or `slurm:///?…` (this machine is the login node). Slurm's own tools run on the login target; the
// cluster's shared file system makes the login target's files the compute node's (put/get/targetPath/scratch are
// the login target's).
//
// One allocation per target, held for its life (an optimize run's, not one job per candidate): the first command
// or GPU request submits a batch job that only holds the resources (`sbatch --gres=gpu:N … --wrap 'exec sleep …'`),
// waits while it is pending (the wait is reported with Slurm's reason and the time so far), and every command then
// runs as a step inside it (`srun --jobid=ID --overlap`). A job that ends before it runs is an error with its state
// and reason. The allocation is cancelled (`scancel`) when the process exits, at once when the wait is cancelled, and
// when release() is called (the editor switched targets) as soon as no command or GPU hold uses it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { coresOf } from './cores';
import { localGpuGate, type AcquireOptions } from './gpu-gate';
import { gpusSeenBy, type GpuInfo } from './gpus';
import type { Scratch } from './scratch';
import { SandboxUnavailableError, UNSANDBOXED_NOTICE, type SandboxSettings } from './sandbox';
import { TargetConnectionError, type ExecOptions, type ExecResult, type Target, type TransferOptions } from './target';

export interface SlurmRequest {
  partition?: string;
  account?: string;
  /** Slurm's time limit (`1:00:00`). */
  time?: string;
  /** GPUs per allocation (`--gres=gpu:N`); default 1. */
  gpus: number;
  /** More sbatch options, the user's own (`--constraint=h100`), one argv word each. */
  flags?: readonly string[];
}

export interface SlurmTargetOptions {
  /** Where Slurm's commands run: this machine or the login node over SSH. */
  login: Target;
  name: string;
  request: SlurmRequest;
  /** Runs a command at exit, synchronously (the login target's way): the allocation's scancel. */
  runAtExit: (file: string, args: readonly string[]) => void;
  sandbox?: () => SandboxSettings;
  onSandboxNotice?: (message: string) => void;
  /** Default 1 s. */
  pollMs?: number;
}

const WORD = /^[A-Za-z0-9_.:+-]+$/;

/** Checks a request's values (they become sbatch arguments); throws an Error naming the field. */
export function checkSlurmRequest(request: SlurmRequest, origin: string): SlurmRequest {
  for (const key of ['partition', 'account', 'time'] as const) {
    const value = request[key];
    if (value !== undefined && !WORD.test(value)) throw new Error(`${origin}: ${key} '${value}' is not a Slurm ${key} (letters, digits and _.:+-)`);
  }
  if (!(Number.isInteger(request.gpus) && request.gpus >= 1 && request.gpus <= 64)) throw new Error(`${origin}: gpus must be a whole number from 1 to 64, got '${request.gpus}'`);
  for (const flag of request.flags ?? []) if (!flag.startsWith('--')) throw new Error(`${origin}: Slurm flag '${flag}' must be one option of the form --name=value`);
  return request;
}

/** `slurm://[user@]login[:port]?partition=…` → the login (undefined: this machine) and the request. */
export function parseSlurmUrl(url: string): { login?: string; request: SlurmRequest } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`'${url}' is not a Slurm target: write slurm://[user@]login[:port]?partition=P&gpus=N (or slurm:///?… on the login node)`);
  }
  const known = new Set(['partition', 'account', 'time', 'gpus']);
  for (const key of parsed.searchParams.keys()) if (!known.has(key)) throw new Error(`'${url}': unknown parameter '${key}' (known: ${[...known].join(', ')})`);
  const get = (key: string) => parsed.searchParams.get(key) ?? undefined;
  const request = checkSlurmRequest({ gpus: Number(get('gpus') ?? 1), ...(get('partition') ? { partition: get('partition') } : {}), ...(get('account') ? { account: get('account') } : {}), ...(get('time') ? { time: get('time') } : {}) }, url);
  const login = parsed.host ? `ssh://${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}` : undefined;
  return { ...(login ? { login } : {}), request };
}

/** sbatch's arguments for the holding job. */
export function sbatchArgs(request: SlurmRequest): string[] {
  return [
    '--parsable',
    '--job-name=kernelpilot',
    '--output=/dev/null',
    `--gres=gpu:${request.gpus}`,
    ...(request.partition ? [`--partition=${request.partition}`] : []),
    ...(request.account ? [`--account=${request.account}`] : []),
    ...(request.time ? [`--time=${request.time}`] : []),
    ...(request.flags ?? []),
    '--wrap',
    'exec sleep 2147483647',
  ];
}

interface JobState {
  state: string;
  reason: string;
}

/** JobState and Reason of `scontrol show job -o ID`. */
export function jobStateOf(text: string): JobState | undefined {
  const state = /(?:^|\s)JobState=(\S+)/.exec(text)?.[1];
  return state ? { state, reason: /(?:^|\s)Reason=(\S+)/.exec(text)?.[1] ?? 'None' } : undefined;
}

const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'RESIZING']);

export class SlurmTarget implements Target {
  readonly name: string;
  readonly host: string;
  private allocation?: Promise<string>;
  private jobId?: string;
  private told = false;
  /** Commands and GPU holds in progress, and whether the allocation goes back when they end (release()). */
  private users = 0;
  private releasing = false;

  constructor(private readonly options: SlurmTargetOptions) {
    this.name = options.name;
    this.host = `slurm:${options.login.host}${options.request.partition ? `/${options.request.partition}` : ''}`;
  }

  /** Its cores (`nproc` there, within the allocation for a Slurm target): candidate compiles at once. */
  cores(options: { signal?: AbortSignal } = {}): Promise<number> {
    return coresOf(this, options.signal);
  }

  /** The login node: the static check compiles there, outside the allocation. */
  get compileTarget(): Target {
    return this.options.login;
  }

  targetPath(localPath: string): string {
    return this.options.login.targetPath(localPath);
  }

  put(localPaths: readonly string[], options?: TransferOptions): Promise<void> {
    return this.options.login.put(localPaths, options);
  }

  get(targetFile: string, localPath: string, options?: TransferOptions): Promise<void> {
    return this.options.login.get(targetFile, localPath, options);
  }

  createScratch(purpose: string, options?: TransferOptions): Promise<Scratch> {
    return this.options.login.createScratch(purpose, options);
  }

  /** The allocation, then this process's turn on GPU `index` of it. */
  async acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    return this.using(async () => {
      const job = await this.allocate(options);
      const free = await localGpuGate.acquire(index, what, options, `${this.host}#${job}`);
      // Held until the caller releases it: this use ends then, not when the GPU is granted.
      this.users++;
      return async () => {
        await free();
        await this.done();
      };
    });
  }

  async release(): Promise<void> {
    this.releasing = true;
    if (this.users === 0) await this.giveBack();
  }

  /** Runs `work` as one use of the allocation (release() waits for it). */
  private async using<T>(work: () => Promise<T>): Promise<T> {
    this.users++;
    try {
      return await work();
    } finally {
      await this.done();
    }
  }

  private async done(): Promise<void> {
    this.users--;
    if (this.users === 0 && this.releasing) await this.giveBack();
  }

  /** Cancels the allocation now (no use is in progress); the next command submits a new one. */
  private async giveBack(): Promise<void> {
    this.releasing = false;
    const job = this.jobId;
    this.allocation = undefined;
    this.jobId = undefined;
    if (job !== undefined) await this.options.login.exec('scancel', [job], { timeoutMs: 30_000 });
  }

  /** The GPUs of the allocation, as its steps number them. */
  async heldGpus(options: { signal?: AbortSignal } = {}): Promise<GpuInfo[]> {
    const visible = await this.exec('sh', ['-c', 'printf %s "${CUDA_VISIBLE_DEVICES-}"'], { timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) });
    return gpusSeenBy(this, visible.stdout === '' ? undefined : visible.stdout, options);
  }

  exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.using(() => this.execStep(file, args, options));
  }

  private async execStep(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const started = performance.now();
    const sandboxed = options.sandbox ? this.refuseSandbox() : undefined;
    const job = await this.allocate({ ...(options.signal ? { signal: options.signal } : {}) });
    const env = Object.entries(options.env ?? {});
    // Each step gets a name of its own, so a cancel can find it and end it there: killing srun alone leaves it running.
    const stepName = `kp-${randomBytes(6).toString('hex')}`;
    const step = [
      `--jobid=${job}`,
      `--job-name=${stepName}`,
      '--overlap',
      '--ntasks=1',
      '--nodes=1',
      '--quiet',
      ...(options.cwd !== undefined ? [`--chdir=${options.cwd}`] : []),
      '--',
      ...(env.length ? ['env', ...env.filter(([, v]) => v === undefined).flatMap(([k]) => ['-u', k]), '--', ...env.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`)] : []),
      file,
      ...args,
    ];
    let timedOut = false;
    let cancelled = false;
    const stop = new AbortController();
    const end = () => stop.abort();
    const onAbort = () => { cancelled = true; end(); };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => { timedOut = true; end(); }, Math.max(0, options.timeoutMs));
    let result: ExecResult;
    try {
      // The working folder and the environment reach the step through srun and env; no sandbox runs here (refused above unless chosen).
      result = await this.options.login.exec('srun', step, { signal: stop.signal, ...(options.input !== undefined ? { input: options.input } : {}) });
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (timedOut || cancelled) await this.cancelStep(job, stepName);
    const notFound = result.notFound || (result.exitCode !== 0 && /execve\(\): .*No such file or directory/.test(result.stderr));
    return {
      ...result,
      command: [file, ...args].join(' '),
      exitCode: timedOut || cancelled ? undefined : result.exitCode,
      timedOut,
      cancelled: cancelled && !timedOut,
      notFound,
      durationMs: performance.now() - started,
      ...(sandboxed !== undefined ? { sandboxed } : {}),
    };
  }

  /** Ends the step named `stepName` of the allocation (its processes on the node), when it is still there. */
  private async cancelStep(job: string, stepName: string): Promise<void> {
    const steps = await this.options.login.exec('squeue', ['-h', '-s', `--jobs=${job}`, '-o', '%i %j'], { timeoutMs: 30_000 });
    const id = steps.stdout.split('\n').map((line) => line.trim().split(/\s+/)).find(([, name]) => name === stepName)?.[0];
    if (id) await this.options.login.exec('scancel', ['--signal=KILL', id], { timeoutMs: 30_000 });
  }

  private refuseSandbox(): false {
    if ((this.options.sandbox?.() ?? { enabled: true }).enabled) {
      throw new SandboxUnavailableError(
        `candidate builds and runs cannot be sandboxed on the Slurm target '${this.name}' yet; ` +
          "to run them there unsandboxed, with your rights on the cluster, choose so: kernelpilot.sandbox.enabled = false (CLI: --no-sandbox)",
      );
    }
    if (!this.told) {
      this.told = true;
      this.options.onSandboxNotice?.(UNSANDBOXED_NOTICE);
    }
    return false;
  }

  /** Submits the holding job once and waits until it runs; a failure lets the next call try again. */
  private allocate(options: AcquireOptions): Promise<string> {
    this.allocation ??= this.submitAndWait(options).catch((error: unknown) => {
      this.allocation = undefined;
      throw error;
    });
    return this.allocation;
  }

  private async submitAndWait(options: AcquireOptions): Promise<string> {
    const login = this.options.login;
    const submitted = await login.exec('sbatch', sbatchArgs(this.options.request), { timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) });
    if (submitted.notFound) throw new TargetConnectionError(`sbatch not found on '${login.name}' (the Slurm target's login side): run on a login node of the cluster`);
    const job = /^(\d+)/.exec(submitted.stdout.trim())?.[1];
    if (submitted.exitCode !== 0 || !job) throw new Error(`Slurm refused the allocation on '${login.name}' (sbatch ${sbatchArgs(this.options.request).slice(0, -2).join(' ')}): ${submitted.stderr.trim() || submitted.stdout.trim()}`);
    this.jobId = job;
    process.once('exit', () => this.cancelSync());
    const started = performance.now();
    let told = '';
    for (;;) {
      if (options.signal?.aborted) {
        await login.exec('scancel', [job], { timeoutMs: 30_000 });
        this.jobId = undefined;
        throw new TargetConnectionError(`cancelled while Slurm job ${job} was pending; it was cancelled (scancel)`);
      }
      const shown = await login.exec('scontrol', ['show', 'job', '-o', job], { timeoutMs: 30_000 });
      const state = jobStateOf(shown.stdout);
      if (state?.state === 'RUNNING') return job;
      if (!state || !PENDING.has(state.state)) {
        this.jobId = undefined;
        throw new Error(`Slurm job ${job} for target '${this.name}' ended before it ran: ${state ? `JobState=${state.state} Reason=${state.reason}` : shown.stderr.trim() || 'scontrol does not know it'}`);
      }
      const message = `Slurm job ${job} pending (${state.reason}), ${Math.round((performance.now() - started) / 1000)} s so far`;
      if (message.replace(/\d+ s so far/, '') !== told) options.onWait?.({ kind: 'queued', message });
      told = message.replace(/\d+ s so far/, '');
      await new Promise((done) => setTimeout(done, this.options.pollMs ?? 1000));
    }
  }

  /** At exit: gives the allocation back. */
  private cancelSync(): void {
    if (this.jobId === undefined) return;
    this.options.runAtExit('scancel', [this.jobId]);
    this.jobId = undefined;
  }
}

/** A login target on this machine: scancel at exit runs directly. */
export function runHereAtExit(file: string, args: readonly string[]): void {
  spawnSync(file, args, { stdio: 'ignore', timeout: 10_000 });
}
