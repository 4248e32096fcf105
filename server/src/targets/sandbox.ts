// The sandbox for candidate processes on this machine: bubblewrap (bwrap) around the command, prlimit inside it.
//  - no network (a network namespace of its own: not even the host's loopback), no IPC, its own PID namespace (when
//    it ends, every process it started ends with it: --die-with-parent and the namespace's init);
//  - a file system of the system folders (/usr, /lib…, a few files of /etc) read-only, the toolkit and the policy's
//    readable folders read-only, the policy's writable folders, a private /tmp, and nothing else: the user's home is
//    not there (except what the policy names), nor /run's sockets;
//  - the GPU's device files, /sys and the driver libraries only for a `gpu` policy (the driver libraries are masked
//    otherwise: a build has no use for them);
//  - an environment of a few known variables (PATH, locale, the CUDA device selection), never the caller's secrets;
//  - CPU time, data memory and the number of processes bounded by the kernel (RLIMIT_CPU, RLIMIT_DATA,
//    RLIMIT_NPROC), output bounded by the caller (local.ts), and a watchdog (sandbox-watch.ts) that names a fork
//    storm or a memory flood as such.
// RLIMIT_NPROC counts per real user: in the user namespace bwrap makes for an unprivileged user, only the sandbox's
// own processes count (kernel ucounts), so the limit holds. Root is exempt from RLIMIT_NPROC, so as root the
// command drops to an unprivileged uid (setpriv) inside the sandbox, without a user namespace ("root-drop").

import { accessSync, chownSync, constants, existsSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { ExecResult, SandboxLimit, SandboxPolicy } from './target';

export type SandboxLimits = Required<NonNullable<SandboxPolicy['limits']>>;

/** Limits a policy does not set: generous for a build or a harness run, far below what hurts a machine. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { cpuSeconds: 900, memoryBytes: 16 * 2 ** 30, processes: 256, outputBytes: 64 * 2 ** 20 };

/** The user's choice: sandbox candidate processes (default), and where bwrap is when it is not on PATH. */
export interface SandboxSettings {
  enabled: boolean;
  /** Default: `bwrap` on PATH. */
  bwrapPath?: string;
}

export type SandboxMode = 'user-namespace' | 'root-drop';

export type SandboxSupport =
  | { ok: true; bwrap: string; prlimit: string; setpriv?: string; mode: SandboxMode }
  | { ok: false; reason: string };

/** Candidate processes were asked to run sandboxed, no sandbox is available, and the user has not chosen to run without. */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

/** The uid the command runs as in root-drop mode (nobody). */
const SANDBOX_UID = 65534;
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];
const ETC_FILES = ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime', '/etc/os-release'];
const KEPT_ENV = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'LD_LIBRARY_PATH', 'CUDA_VISIBLE_DEVICES', 'CUDA_DEVICE_ORDER', 'CUDA_MODULE_LOADING', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES'];
/** Where distributions put the driver's user-space libraries (libcuda, libnvidia-*), masked for builds. */
const DRIVER_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
const DRIVER_DIRS = ['/usr/local/nvidia'];
const DRIVER_LIB = /^lib(cuda|nvidia-[\w-]+|nvcuvid)\.so/;

/** The sentence the product shows once when candidates cannot be sandboxed, with both ways forward. */
export function unavailableMessage(reason: string): string {
  return (
    `KernelPilot runs candidate builds and benchmarks in a sandbox, and none is available here: ${reason}. ` +
    'Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) or point kernelpilot.sandbox.bwrapPath (CLI: --bwrap PATH) at a bwrap binary; ' +
    "or choose to run candidates without a sandbox: kernelpilot.sandbox.enabled = false (CLI: --no-sandbox), and their code runs with your user's rights."
  );
}

export const UNSANDBOXED_NOTICE = 'KernelPilot runs candidate builds and benchmarks WITHOUT a sandbox, as chosen (kernelpilot.sandbox.enabled = false or --no-sandbox): their code runs with your rights.';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A program's absolute path: as given when it has a slash, else the first executable on PATH. */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return executable(resolve(name)) ? resolve(name) : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/**
 * The toolkits a program belongs to, when they live outside the system folders: `/opt/cuda` for `/opt/cuda/bin/nvcc`;
 * for a program reached through a link, both ends: a virtual environment's `python3` (`/opt/torch/.venv/bin/python3`)
 * links to the system's interpreter, and the environment's packages live beside the link, not beside its target.
 */
function toolkitsOf(program: string, covered: readonly string[]): string[] {
  let real: string;
  try {
    real = realpathSync(program);
  } catch {
    return [];
  }
  const outside = (path: string) => ![...SYSTEM_DIRS, ...covered].some((d) => under(path, d));
  return [...new Set([program, real].filter(outside).map((path) => dirname(dirname(path))))];
}

let driverFiles: string[] | undefined;

/** The driver's libraries present on this machine (read once). */
function driverLibraries(): string[] {
  driverFiles ??= DRIVER_LIB_DIRS.flatMap((dir) => {
    try {
      return readdirSync(dir).filter((f) => DRIVER_LIB.test(f)).map((f) => join(dir, f)).filter((f) => lstatSync(f).isFile());
    } catch {
      return [];
    }
  });
  return driverFiles;
}

function gpuDevices(): string[] {
  try {
    return readdirSync('/dev').filter((f) => f.startsWith('nvidia')).map((f) => join('/dev', f));
  } catch {
    return [];
  }
}

function lstatOrNothing(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The folders above the policy's folders, shallow first. bwrap makes them in the sandbox's own root with the real
 * folders' modes, so under a private home (`/root` is 0700) an unprivileged uid could not reach its own writable
 * folder; in root-drop mode they are made 0755 first. They are the sandbox's empty stand-ins, not the real folders:
 * nothing more of the real tree becomes visible.
 */
function ancestorsOf(dirs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const dir of dirs) for (let up = dirname(dir); up !== dirname(up); up = dirname(up)) out.add(up);
  return [...out].filter((d) => !SYSTEM_DIRS.some((s) => under(d, s)) && d !== '/tmp').sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** bwrap's file-system arguments: system folders, /etc pieces, proc, dev, tmp, then the policy's folders. */
function fileSystem(policy: SandboxPolicy, readable: readonly string[], mode: SandboxMode): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    const stat = lstatOrNothing(dir);
    if (stat?.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
    else if (stat?.isDirectory()) out.push('--ro-bind', dir, dir);
  }
  // bwrap makes the folders above a bind 0700; /etc must stay searchable for the dropped uid: a toolkit reached
  // through /etc/alternatives (Ubuntu's CUDA packages: /usr/local/cuda -> /etc/alternatives/cuda) and the loader's
  // cache live there. On the H200 machine nvcc segfaulted as nobody when it could not resolve its own path.
  out.push('--perms', '0755', '--dir', '/etc');
  for (const file of ETC_FILES) out.push('--ro-bind-try', file, file);
  out.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp');
  if (policy.gpu) {
    for (const device of gpuDevices()) out.push('--dev-bind', device, device);
    out.push('--ro-bind', '/sys', '/sys');
  } else {
    for (const dir of DRIVER_DIRS) if (existsSync(dir)) out.push('--tmpfs', dir);
    for (const lib of driverLibraries()) out.push('--ro-bind', '/dev/null', lib);
  }
  if (mode === 'root-drop') for (const dir of ancestorsOf([...readable, ...policy.writable])) out.push('--perms', '0755', '--dir', dir);
  for (const dir of readable) out.push('--ro-bind', dir, dir);
  for (const dir of policy.writable) out.push('--bind', dir, dir);
  return out;
}

function environment(extra: Record<string, string | undefined> | undefined): string[] {
  const env: Record<string, string | undefined> = { HOME: '/tmp', TMPDIR: '/tmp' };
  for (const key of KEPT_ENV) env[key] = process.env[key];
  Object.assign(env, extra);
  return ['--clearenv', ...Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : ['--setenv', k, v]))];
}

export function limitsOf(policy: SandboxPolicy): SandboxLimits {
  return { ...DEFAULT_SANDBOX_LIMITS, ...Object.fromEntries(Object.entries(policy.limits ?? {}).filter(([, v]) => v !== undefined)) };
}

/**
 * The bwrap command line that runs `program args` under `policy`. Every path travels as its own argument (bwrap
 * and prlimit exec directly: no shell sees them).
 */
export function sandboxCommand(support: Extract<SandboxSupport, { ok: true }>, program: string, args: readonly string[], policy: SandboxPolicy, o: { cwd?: string; env?: Record<string, string | undefined> } = {}): { file: string; args: string[] } {
  const limits = limitsOf(policy);
  const resolved = findProgram(program) ?? program;
  const covered = [...policy.writable, ...(policy.readable ?? [])];
  const cwd = o.cwd ? resolve(o.cwd) : policy.writable[0];
  const readable = [...new Set([...(policy.readable ?? []), ...toolkitsOf(resolved, covered), cwd && !covered.some((d) => under(cwd, d)) ? cwd : undefined])].filter(
    (d): d is string => !!d && existsSync(d) && !SYSTEM_DIRS.some((s) => under(d, s)),
  );
  const isolation = ['--die-with-parent', '--new-session', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  const privileges =
    support.mode === 'user-namespace'
      ? ['--unshare-user', '--disable-userns', '--cap-drop', 'ALL']
      : // Root keeps what it needs to enter the (nobody-owned) folders and drop to nobody; setpriv's uid change clears them.
        ['--cap-drop', 'ALL', ...['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_DAC_READ_SEARCH'].flatMap((c) => ['--cap-add', c])];
  const rlimits = [`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`, `--data=${limits.memoryBytes}`, `--nproc=${limits.processes}`, '--core=0'];
  const drop = support.mode === 'root-drop' && support.setpriv ? [support.setpriv, `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'] : [];
  return {
    file: support.bwrap,
    args: [...isolation, ...privileges, ...fileSystem(policy, readable, support.mode), ...(cwd ? ['--chdir', cwd] : []), ...environment(o.env), '--', support.prlimit, ...rlimits, '--', ...drop, resolved, ...args],
  };
}

/** In root-drop mode the command runs as nobody: its writable folders must be writable by it. */
export function prepareWritable(support: Extract<SandboxSupport, { ok: true }>, policy: SandboxPolicy): void {
  if (support.mode !== 'root-drop') return;
  for (const dir of policy.writable) chownSync(dir, SANDBOX_UID, SANDBOX_UID);
}

/**
 * Whether bwrap can make the sandbox here, tried for real with a trivial command (bwrap missing, user namespaces
 * disabled, a container without the rights to mount: each gives its own reason). `run` starts a process unsandboxed.
 */
export async function probeSandbox(settings: SandboxSettings, run: (file: string, args: readonly string[]) => Promise<ExecResult>): Promise<SandboxSupport> {
  const wanted = settings.bwrapPath || 'bwrap';
  const bwrap = findProgram(wanted);
  if (!bwrap) return { ok: false, reason: wanted.includes('/') ? `the bwrap program '${wanted}' does not exist or is not executable` : 'bubblewrap is not installed (no bwrap on PATH)' };
  const prlimit = findProgram('prlimit');
  if (!prlimit) return { ok: false, reason: 'prlimit (util-linux) is not installed, and the sandbox sets its limits with it' };
  const root = process.getuid?.() === 0;
  const setpriv = findProgram('setpriv');
  const modes: SandboxMode[] = root && setpriv ? ['root-drop', 'user-namespace'] : ['user-namespace'];
  const failures: string[] = [];
  for (const mode of modes) {
    const scratch = mkdtempSync(join(tmpdir(), 'kp-sandbox-probe-'));
    try {
      const support = { ok: true as const, bwrap, prlimit, ...(setpriv ? { setpriv } : {}), mode };
      const policy: SandboxPolicy = { writable: [scratch], gpu: false, limits: { cpuSeconds: 10, processes: 16 } };
      prepareWritable(support, policy);
      const command = sandboxCommand(support, 'true', [], policy, { cwd: scratch });
      const result = await run(command.file, command.args);
      if (result.exitCode === 0) return support;
      failures.push(`${mode}: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' ') || `exit ${result.exitCode}`}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { ok: false, reason: `${bwrap} cannot create a sandbox on this machine (${failures.join('; ')}); user namespaces may be disabled, or a container may forbid new namespaces` };
}

/**
 * Whether a sandboxed command failed because its program does not exist: inside the sandbox the launcher (setpriv, or
 * bwrap itself) execs it and fails (127, 1), where an unsandboxed spawn gets ENOENT. Decided by looking for the
 * program, not by reading stderr, which the program itself (a candidate's code) could write.
 */
export function sandboxProgramMissing(file: string, cwd: string | undefined, exitCode: number | undefined): boolean {
  if (exitCode !== 127 && exitCode !== 1) return false;
  return findProgram(file.includes('/') && cwd !== undefined ? resolve(cwd, file) : file) === undefined;
}

/** Why a sandboxed process ended, when a limit ended it; undefined for an ordinary exit. */
export function limitOfExit(result: Pick<ExecResult, 'exitCode' | 'stderr' | 'timedOut' | 'cancelled'>, limits: SandboxLimits): ExecResult['limit'] {
  if (result.timedOut || result.cancelled || result.exitCode === 0 || result.exitCode === undefined) return undefined;
  const make = (kind: SandboxLimit, message: string) => ({ kind, message });
  // bwrap reports a signal death as 128 + the signal: SIGXCPU (24) is the CPU-time limit.
  if (result.exitCode === 128 + 24) return make('cpu-time', `ended by the sandbox's CPU-time limit (${limits.cpuSeconds} s)`);
  if (/Cannot allocate memory|std::bad_alloc|out of memory/i.test(result.stderr)) return make('memory', `ran out of the sandbox's memory (${Math.round(limits.memoryBytes / 2 ** 20)} MiB of data)`);
  if (/Cannot fork|fork: Resource temporarily unavailable|fork failed/i.test(result.stderr)) return make('processes', `hit the sandbox's limit of ${limits.processes} processes`);
  return undefined;
}

/** A command ready to start: wrapped in bwrap, or as it is when the user chose to run candidates unsandboxed. */
export interface SandboxPlan {
  file: string;
  args: string[];
  limits: SandboxLimits;
  sandboxed: boolean;
}

/**
 * The sandbox of one target: probes bwrap once per configured path, tells the user once per situation (missing
 * sandbox, or unsandboxed by choice), and turns a sandboxed exec into its command.
 */
export class LocalSandbox {
  private readonly probes = new Map<string, Promise<SandboxSupport>>();
  private readonly told = new Set<string>();

  constructor(
    private readonly settings: () => SandboxSettings,
    private readonly run: (file: string, args: readonly string[]) => Promise<ExecResult>,
    private readonly notice?: (message: string) => void,
  ) {}

  private tellOnce(message: string): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.notice?.(message);
  }

  /** Whether a sandbox can be made (probed once per bwrap path). */
  support(): Promise<SandboxSupport> {
    const settings = this.settings();
    const key = settings.bwrapPath || 'bwrap';
    let probe = this.probes.get(key);
    if (!probe) {
      probe = probeSandbox(settings, this.run);
      this.probes.set(key, probe);
    }
    return probe;
  }

  async plan(file: string, args: readonly string[], policy: SandboxPolicy, o: { cwd?: string; env?: Record<string, string | undefined> }): Promise<SandboxPlan> {
    const limits = limitsOf(policy);
    if (!this.settings().enabled) {
      this.tellOnce(UNSANDBOXED_NOTICE);
      return { file, args: [...args], limits, sandboxed: false };
    }
    const support = await this.support();
    if (!support.ok) {
      const message = unavailableMessage(support.reason);
      this.tellOnce(message);
      throw new SandboxUnavailableError(message);
    }
    prepareWritable(support, policy);
    return { ...sandboxCommand(support, file, args, policy, o), limits, sandboxed: true };
  }
}
