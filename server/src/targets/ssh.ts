// A target reached over SSH through the system's OpenSSH client, so ~/.ssh/config, the agent, ProxyJump and
// known_hosts work as they do for the user (host keys stay checked: BatchMode only stops password prompts). One
// master connection per destination (ControlMaster, sockets in a private folder) makes every later call cheap.
//
// Files: this machine's file P is seen there as <root>/files/P (targetPath); put copies with rsync when both ends
// have it (only what changed), else with tar over ssh; get reads a file back base64-encoded. <root> is a private
// folder in the remote home (default ~/.cache/kernelpilot/remote), made 0700 and checked to be the user's own.
// Processes: every command runs through remoteScript (ssh-command.ts): its own process group on the target, killed
// on cancel and timeout (by pid file) and when the channel closes (a watcher). A dropped connection before the
// command started is retried (bounded); otherwise it is a TargetConnectionError naming the host.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { quote } from 'shell-quote';
import { coresOf } from './cores';
import { localGpuGate, type AcquireOptions } from './gpu-gate';
import { gpusSeenBy, type GpuInfo } from './gpus';
import { LocalTarget } from './local';
import { isShellInertPath, privateDir } from './private-dir';
import { findProgram, SandboxUnavailableError, UNSANDBOXED_NOTICE, type SandboxSettings } from './sandbox';
import { createScratch, type Scratch } from './scratch';
import {
  destinationText,
  ENDED_MARK,
  NOT_FOUND_MARK,
  NOT_FOUND_STATUS,
  remoteKillScript,
  remoteScript,
  rsyncRsh,
  sshMasterArgs,
  sshExitMasterArgs,
  sshRunArgs,
  STARTED_MARK,
  type SshClientOptions,
  type SshDestination,
} from './ssh-command';
import { TargetConnectionError, type ExecOptions, type ExecResult, type Target, type TransferOptions } from './target';

export interface SshTargetOptions {
  destination: SshDestination;
  /** Shown in messages; default the destination. */
  name?: string;
  /** Programs by name → their path on the target (`nvcc` → `/usr/local/cuda/bin/nvcc`; also `nvidia-smi`, `ncu`, `python3`). */
  tools?: Record<string, string>;
  /** Shell lines run before every command there (`module load cuda/12.4`): the user's own settings, run as written. */
  envLines?: readonly string[];
  /** Our folder on the target, absolute or under its home; default `.cache/kernelpilot/remote`. */
  remoteDir?: string;
  /** `ssh -F FILE` instead of ~/.ssh/config. */
  sshConfig?: string;
  /** Default `ssh`, `rsync`, `tar` on PATH. */
  sshPath?: string;
  rsyncPath?: string;
  /** How put copies: rsync when both ends have it (default), or always tar over ssh. */
  transfer?: 'auto' | 'tar';
  /** Retries of a step that is safe to repeat (a copy, a listing, a command the dropped connection never started). */
  retries?: number;
  /** The user's sandbox choice (read at every sandboxed exec). Candidate processes cannot be sandboxed remotely yet. */
  sandbox?: () => SandboxSettings;
  onSandboxNotice?: (message: string) => void;
}

interface Connection {
  /** Our private folder there (absolute, shell-inert). */
  root: string;
  rsync: boolean;
}

const MASTER_PERSIST_SECONDS = 60;
const STEP_TIMEOUT_MS = 60_000;
/**
 * ssh's own failures: exit 255 with one of these, or with nothing said (a shared connection that died under its
 * client). Our fixed scripts never exit 255 themselves; a command's wrapper says when it ended (ENDED_MARK).
 */
const SSH_FAILURE = /^(ssh: |kex_exchange_identification|Connection (closed|reset|timed out)|client_loop: |Timeout, server|Host key verification failed|Permission denied \(|mux_client_|ssh_exchange_identification|Control socket connect)/m;

const started = new Set<SshTarget>();
let exitHook = false;

/** At exit: end the master connections and remove what is left of our remote scratch folders, briefly, synchronously. */
function endAll(): void {
  for (const target of started) target.endSync();
}

export class SshTarget implements Target {
  readonly name: string;
  readonly host: string;
  private readonly local = new LocalTarget();
  private readonly client: Promise<SshClientOptions>;
  private connection?: Promise<Connection>;
  private connected?: Connection;
  private readonly liveScratch = new Set<string>();
  private readonly told = new Set<string>();
  /** The client options once known, for the synchronous exit hook. */
  private clientSync?: SshClientOptions;

  constructor(private readonly options: SshTargetOptions) {
    this.name = options.name ?? `ssh://${destinationText(options.destination)}`;
    this.host = `ssh:${destinationText(options.destination)}`;
    this.client = privateDir('ssh').then((controlDir) => ({ controlDir, ...(options.sshConfig ? { configFile: options.sshConfig } : {}) }));
  }

  private get ssh(): string {
    return this.options.sshPath ?? 'ssh';
  }

  private get where(): string {
    return `ssh host '${destinationText(this.options.destination)}'`;
  }

  /**
   * This process's turn (the in-process queue and this machine's lock, per host and GPU), then the target's own
   * lock, so KernelPilot clients on other machines that use the same GPU wait too.
   */
  async acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    const releaseHere = await localGpuGate.acquire(index, what, options, this.host);
    try {
      const releaseThere = await this.lockThere(index, what, options);
      return async () => {
        await releaseThere();
        await releaseHere();
      };
    } catch (error) {
      await releaseHere();
      throw error;
    }
  }

  /**
   * The GPU's lock on the target: `flock` held by a command that runs until released. Its liveness is the target
   * kernel's: when the holder ends — released, cancelled, or its client gone (the wrapper's watcher) — the lock is
   * free. A busy lock is retried every second, the wait reported with what holds it.
   */
  private async lockThere(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    const { root } = await this.connect(options.signal);
    const lock = `${root}/locks/gpu-${index}.lock`;
    const note = `${root}/locks/gpu-${index}.holder`;
    const held = `${root}/locks/held-${randomBytes(6).toString('hex')}`;
    const holder = 'printf "%s\\n" "$1" >"$2" && : >"$3" && exec sleep 2147483647';
    let told = '';
    for (;;) {
      const release = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, release.signal]) : release.signal;
      const holding = this.exec('flock', ['-n', '-E', '75', lock, 'sh', '-c', holder, 'sh', `${what} (from ${hostname()})`, note, held], { signal });
      const outcome = await Promise.race([holding.then((result) => ({ result })), this.whenExists(held, holding, options.signal)]);
      if (outcome === 'held') {
        return async () => {
          release.abort();
          await holding.catch(() => undefined);
          await this.exec('rm', ['-f', '--', held], { timeoutMs: STEP_TIMEOUT_MS }).catch(() => undefined);
        };
      }
      const { result } = outcome;
      if (result.cancelled || options.signal?.aborted) throw new TargetConnectionError(`cancelled while waiting for GPU ${index} on ${this.where}`);
      if (result.notFound) return async () => undefined; // no flock there: this machine's gate is all there is
      if (result.exitCode !== 75) throw new Error(`cannot take the GPU ${index} lock on ${this.where}: ${tail(result.stderr)}`);
      const by = (await this.exec('cat', [note], { timeoutMs: STEP_TIMEOUT_MS })).stdout.trim() || 'another KernelPilot client';
      const message = `waiting for GPU ${index} on ${this.where}, in use by ${by}`;
      if (message !== told) options.onWait?.({ kind: 'queued', message });
      told = message;
      await pause(1000, options.signal).catch(() => undefined);
    }
  }

  /** Resolves 'held' once `file` exists there, unless the holding command ends first. */
  private async whenExists(file: string, holding: Promise<ExecResult>, signal?: AbortSignal): Promise<'held' | never> {
    let ended = false;
    void holding.finally(() => (ended = true)).catch(() => undefined);
    while (!ended && !signal?.aborted) {
      const probe = await this.exec('test', ['-e', file], { timeoutMs: STEP_TIMEOUT_MS });
      if (probe.exitCode === 0) return 'held';
      await pause(100).catch(() => undefined);
    }
    return new Promise(() => undefined); // the holding command's own outcome wins the race
  }

  /** Its cores (`nproc` there, within the allocation for a Slurm target): candidate compiles at once. */
  cores(options: { signal?: AbortSignal } = {}): Promise<number> {
    return coresOf(this, options.signal);
  }

  targetPath(localPath: string): string {
    if (!this.connected) throw new Error(`target '${this.name}' is not connected yet: put or exec something first`);
    return posix.join(this.connected.root, 'files', resolve(localPath));
  }

  /** Connects (once; again after a failure): the master connection, then our private folder and whether rsync is there. */
  connect(signal?: AbortSignal): Promise<Connection> {
    this.connection ??= this.open(signal).then(
      (c) => (this.connected = c),
      (error: unknown) => {
        this.connection = undefined;
        throw error;
      },
    );
    return this.connection;
  }

  private async open(signal?: AbortSignal): Promise<Connection> {
    const client = await this.client;
    this.clientSync = client;
    if (!exitHook) {
      exitHook = true;
      process.on('exit', endAll);
    }
    started.add(this);
    await this.retrying('connecting', signal, async () => {
      const master = await this.local.exec(this.ssh, sshMasterArgs(this.options.destination, client, MASTER_PERSIST_SECONDS), { timeoutMs: STEP_TIMEOUT_MS, signal });
      if (master.notFound) throw new TargetConnectionError(`the ssh client '${this.ssh}' was not found on this machine: install OpenSSH's client (Debian: openssh-client)`);
      return master;
    });
    const dir = this.options.remoteDir ?? '.cache/kernelpilot/remote';
    const setup = [
      'umask 077',
      `kp_root=${quote([dir])}`,
      'case $kp_root in /*) ;; *) kp_root=$HOME/$kp_root ;; esac',
      'mkdir -p -- "$kp_root/files" "$kp_root/scratch" "$kp_root/runs" "$kp_root/locks" || exit 3',
      '[ -O "$kp_root" ] && [ ! -L "$kp_root" ] || { echo "kernelpilot-remote: $kp_root is not a folder of yours" >&2; exit 3; }',
      'chmod 700 "$kp_root" && cd -- "$kp_root" && printf "root=%s\\n" "$(pwd -P)"',
      'if command -v rsync >/dev/null 2>&1; then echo rsync=yes; fi',
    ].join('\n');
    const result = await this.step('preparing its folder', signal, (runArgs) => this.local.exec(this.ssh, runArgs(setup), { timeoutMs: STEP_TIMEOUT_MS, signal }));
    const root = /^root=(.*)$/m.exec(result.stdout)?.[1] ?? '';
    if (result.exitCode !== 0 || !root) throw new TargetConnectionError(`cannot prepare KernelPilot's folder '${dir}' on ${this.where}: ${tail(result.stderr || result.stdout)}`);
    if (!isShellInertPath(root)) throw new TargetConnectionError(`KernelPilot's folder on ${this.where} is ${JSON.stringify(root)}, which has characters nvcc's shell would interpret: set the target's remoteDir to a plain path`);
    const rsync = this.options.transfer !== 'tar' && /^rsync=yes$/m.test(result.stdout) && findProgram(this.options.rsyncPath ?? 'rsync') !== undefined;
    return { root, rsync };
  }

  /**
   * Runs `attempt` until it is not a connection failure, at most 1 + retries times with a growing pause; then a
   * TargetConnectionError naming the host and ssh's own words.
   */
  private async retrying(what: string, signal: AbortSignal | undefined, attempt: () => Promise<ExecResult>): Promise<ExecResult> {
    const tries = 1 + (this.options.retries ?? 2);
    let last: ExecResult | undefined;
    for (let i = 0; i < tries; i++) {
      if (i > 0) await pause(500 * 2 ** (i - 1), signal);
      last = await attempt();
      if (last.cancelled) throw new TargetConnectionError(`cancelled while ${what} on ${this.where}`);
      if (!connectionFailed(last)) return last;
    }
    const said = tail(withoutMarks(last?.stderr ?? '')) || (last?.timedOut ? 'no answer in time' : `ssh exited with ${last?.exitCode}`);
    throw new TargetConnectionError(`cannot reach ${this.where} (${what}; ${tries} tries): ${said}`);
  }

  /** A fixed script of ours, safe to repeat, run over ssh with retries. */
  private async step(what: string, signal: AbortSignal | undefined, run: (runArgs: (script: string) => string[]) => Promise<ExecResult>): Promise<ExecResult> {
    const client = await this.client;
    return this.retrying(what, signal, () => run((script) => sshRunArgs(this.options.destination, client, script)));
  }

  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const startedAt = performance.now();
    const sandboxed = options.sandbox ? this.refuseSandbox() : undefined;
    const { root } = await this.connect(options.signal);
    const client = await this.client;
    const program = file.includes('/') ? file : (this.options.tools?.[file] ?? file);
    const pidFile = `${root}/runs/${randomBytes(8).toString('hex')}.pid`;
    const input = options.input === undefined ? undefined : Buffer.from(options.input);
    const script = remoteScript({
      file: program,
      args,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(this.options.envLines ? { envLines: this.options.envLines } : {}),
      pidFile,
      ...(input ? { inputBytes: input.length } : {}),
    });
    const command = [program, ...args].join(' ');
    let timedOut = false;
    let cancelled = false;
    let result: ExecResult | undefined;
    const tries = 1 + (this.options.retries ?? 2);
    for (let i = 0; i < tries; i++) {
      if (i > 0) await pause(500 * 2 ** (i - 1), options.signal).catch(() => undefined);
      // The master connection holds this call's pipes until the remote command ends, so a cancel kills the
      // remote group at once (by its pid file), besides ending the local client (whose channel's close the
      // wrapper's watcher also answers).
      const stop = new AbortController();
      let killing: Promise<void> | undefined;
      const end = () => {
        stop.abort();
        killing ??= this.killRemote(pidFile);
      };
      const onAbort = () => { cancelled = true; end(); };
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const left = options.timeoutMs === undefined ? undefined : Math.max(0, options.timeoutMs - (performance.now() - startedAt));
      const timer = left === undefined ? undefined : setTimeout(() => { timedOut = true; end(); }, left);
      try {
        result = await this.local.exec(this.ssh, sshRunArgs(this.options.destination, client, script), { signal: stop.signal, ...(input ? { input: options.input } : {}) });
      } finally {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
      if (killing) {
        await killing;
        break;
      }
      // Retried only when the command cannot have started: the wrapper says so first thing.
      if (!commandLost(result) || result.stderr.includes(STARTED_MARK)) break;
    }
    const ran = result as ExecResult;
    if (!timedOut && !cancelled && commandLost(ran)) {
      const what = ran.stderr.includes(STARTED_MARK) ? `lost the connection while '${program}' ran` : `could not start '${program}' (${tries} tries)`;
      throw new TargetConnectionError(`${what} on ${this.where}: ${tail(withoutMarks(ran.stderr))}`);
    }
    const stderr = withoutMarks(ran.stderr);
    return {
      command,
      exitCode: timedOut || cancelled ? undefined : ran.exitCode,
      stdout: ran.stdout,
      stderr,
      timedOut,
      cancelled: cancelled && !timedOut,
      notFound: ran.exitCode === NOT_FOUND_STATUS && ran.stderr.includes(NOT_FOUND_MARK),
      durationMs: performance.now() - startedAt,
      ...(sandboxed !== undefined ? { sandboxed } : {}),
    };
  }

  /** Candidate processes on a remote target run unsandboxed only when the user chose so (and are told); else refused. */
  private refuseSandbox(): false {
    const settings = this.options.sandbox?.() ?? { enabled: true };
    if (settings.enabled) {
      throw new SandboxUnavailableError(
        `candidate builds and runs cannot be sandboxed on the SSH target '${this.name}' yet (the sandbox is this machine's bubblewrap); ` +
          "to run them there unsandboxed, with your rights on that machine, choose so: kernelpilot.sandbox.enabled = false (CLI: --no-sandbox)",
      );
    }
    if (!this.told.has(UNSANDBOXED_NOTICE)) {
      this.told.add(UNSANDBOXED_NOTICE);
      this.options.onSandboxNotice?.(UNSANDBOXED_NOTICE);
    }
    return false;
  }

  private async killRemote(pidFile: string): Promise<void> {
    const client = await this.client;
    await this.local.exec(this.ssh, sshRunArgs(this.options.destination, client, remoteKillScript(pidFile)), { timeoutMs: 15_000 }).catch(() => undefined);
  }

  async put(localPaths: readonly string[], options: TransferOptions = {}): Promise<void> {
    if (localPaths.length === 0) return;
    const { root, rsync } = await this.connect(options.signal);
    const paths = [...new Set(localPaths.map((p) => resolve(p)))];
    const result = rsync ? await this.rsyncPut(paths, root, options.signal) : await this.tarPut(paths, root, options.signal);
    if (result.cancelled) throw new TargetConnectionError(`copying to ${this.where} was cancelled`);
    if (result.exitCode !== 0) throw new Error(`copying ${paths.length} file(s) to ${this.where} failed: ${tail(result.stderr || result.stdout)}`);
  }

  /** rsync -R keeps each path's full name under <root>/files; -L copies what links point to; --protect-args keeps names from the remote shell. */
  private async rsyncPut(paths: readonly string[], root: string, signal?: AbortSignal): Promise<ExecResult> {
    const client = await this.client;
    const { host } = this.options.destination;
    const rsh = rsyncRsh(this.ssh, this.options.destination, client);
    const args = ['-a', '-R', '-L', '--protect-args', '--chmod=go-rwx', '-e', rsh, '--', ...paths, `${host}:${root}/files/`];
    return this.retrying('copying files', signal, () => this.local.exec(this.options.rsyncPath ?? 'rsync', args, { timeoutMs: 10 * STEP_TIMEOUT_MS, signal }));
  }

  /** tar (links followed) into a scratch archive here, unpacked under <root>/files there. */
  private async tarPut(paths: readonly string[], root: string, signal?: AbortSignal): Promise<ExecResult> {
    const scratch = await createScratch('put');
    try {
      const archive = join(scratch.dir, 'put.tar');
      const packed = await this.local.exec('tar', ['-C', '/', '-chf', archive, '--', ...paths.map((p) => p.slice(1))], { timeoutMs: 10 * STEP_TIMEOUT_MS, signal });
      if (packed.exitCode !== 0) return packed;
      const unpack = `umask 077 && mkdir -p -- ${quote([`${root}/files`])} && tar -C ${quote([`${root}/files`])} -xf -`;
      return await this.step('copying files', signal, (runArgs) => this.local.exec(this.ssh, runArgs(unpack), { timeoutMs: 10 * STEP_TIMEOUT_MS, signal, inputFile: archive }));
    } finally {
      await scratch.remove();
    }
  }

  async get(targetFile: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    await this.connect(options.signal);
    const result = await this.step('fetching a file', options.signal, (runArgs) => this.local.exec(this.ssh, runArgs(`base64 < ${quote([targetFile])}`), { timeoutMs: 10 * STEP_TIMEOUT_MS, signal: options.signal }));
    if (result.exitCode !== 0) throw new Error(`cannot fetch ${targetFile} from ${this.where}: ${tail(result.stderr)}`);
    const temp = `${localPath}.${randomBytes(4).toString('hex')}.part`;
    await writeFile(temp, Buffer.from(result.stdout, 'base64'), { mode: 0o700 });
    await rename(temp, localPath).catch(async (error: unknown) => {
      await rm(temp, { force: true });
      throw error;
    });
  }

  async createScratch(purpose: string, options: TransferOptions = {}): Promise<Scratch> {
    const { root } = await this.connect(options.signal);
    if (!/^[a-z]+$/.test(purpose)) throw new Error(`a scratch folder's purpose is letters only, got '${purpose}'`);
    const result = await this.step('making a scratch folder', options.signal, (runArgs) => this.local.exec(this.ssh, runArgs(`mktemp -d ${quote([`${root}/scratch/${purpose}-XXXXXXXX`])}`), { timeoutMs: STEP_TIMEOUT_MS, signal: options.signal }));
    const dir = result.stdout.trim();
    if (result.exitCode !== 0 || !isAbsolute(dir) || dirname(dir) !== `${root}/scratch`) throw new Error(`cannot make a scratch folder on ${this.where}: ${tail(result.stderr || result.stdout)}`);
    this.liveScratch.add(dir);
    return {
      dir,
      remove: async () => {
        if (!this.liveScratch.has(dir)) return;
        await this.step('removing a scratch folder', undefined, (runArgs) => this.local.exec(this.ssh, runArgs(`rm -rf -- ${quote([dir])}`), { timeoutMs: STEP_TIMEOUT_MS }));
        this.liveScratch.delete(dir);
      },
    };
  }

  /** nvidia-smi's GPUs, in the order the CUDA_VISIBLE_DEVICES of the target's commands (its environment lines) gives them. */
  async heldGpus(options: { signal?: AbortSignal } = {}): Promise<GpuInfo[]> {
    const visible = await this.exec('sh', ['-c', 'printf %s "${CUDA_VISIBLE_DEVICES-}"'], { timeoutMs: STEP_TIMEOUT_MS, ...(options.signal ? { signal: options.signal } : {}) });
    return gpusSeenBy(this, visible.stdout === '' ? undefined : visible.stdout, { ...options, ...(this.options.tools?.['nvidia-smi'] ? { nvidiaSmiPath: this.options.tools['nvidia-smi'] } : {}) });
  }

  /** Runs a command there synchronously, briefly (at exit: a Slurm allocation's scancel). */
  runSync(file: string, args: readonly string[]): void {
    const client = this.clientSync;
    if (client) spawnSync(this.ssh, sshRunArgs(this.options.destination, client, quote([file, ...args])), { stdio: 'ignore', timeout: 10_000 });
  }

  /** At exit: remove the scratch folders still there and end the master connection (a few seconds at most). */
  endSync(): void {
    const client = this.clientSync;
    if (!client) return;
    if (this.liveScratch.size > 0) {
      spawnSync(this.ssh, sshRunArgs(this.options.destination, client, `rm -rf -- ${quote([...this.liveScratch])}`), { stdio: 'ignore', timeout: 5000 });
    }
    spawnSync(this.ssh, sshExitMasterArgs(this.options.destination, client), { stdio: 'ignore', timeout: 3000 });
  }
}

function connectionFailed(result: ExecResult): boolean {
  return !result.cancelled && !result.timedOut && result.exitCode === 255 && (SSH_FAILURE.test(result.stderr) || result.stderr.trim() === '');
}

/** A wrapped command whose wrapper never said it ended, and ssh failed: the connection, not the command. */
function commandLost(result: ExecResult): boolean {
  return !result.cancelled && !result.timedOut && result.exitCode === 255 && !result.stderr.includes(ENDED_MARK);
}

function withoutMarks(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line !== STARTED_MARK && line !== ENDED_MARK)
    .join('\n');
}

function tail(text: string): string {
  return text.trim().split(/\r?\n/).slice(-3).join(' | ');
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done, failed) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); failed(signal.reason); }, { once: true });
  });
}
