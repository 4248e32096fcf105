// Where KernelPilot keeps its own files on this machine: the build cache, scratch folders, GPU locks and the
// manifest of what it built. One per-user folder ($XDG_CACHE_HOME/kernelpilot, else ~/.cache/kernelpilot) that
// only this user can write. The old default, a predictable folder in the shared temp dir, let another user of a
// GPU machine plant a `kp_runtime.o` or harness binary that we then linked and ran as ourselves.
import type { Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export class PrivateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivateDirError';
  }
}

/**
 * Characters that stay literal inside the double quotes nvcc puts around paths in the `sh` commands it runs
 * (checked with `nvcc -dryrun`): our folders appear there (scratch copies, build folders, TMPDIR), so they must
 * not hold `$`, backticks, quotes, backslashes, spaces or control characters.
 */
const INERT_PATH = /^[A-Za-z0-9_@%+=:,./~-]+$/;

export function isShellInertPath(path: string): boolean {
  return INERT_PATH.test(path);
}

/** `$XDG_CACHE_HOME/kernelpilot` (when set to an absolute path, as the XDG spec asks), else `~/.cache/kernelpilot`. */
export function privateRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'kernelpilot');
}

const myUid = (): number | undefined => process.getuid?.();

/**
 * Folders above `dir` that another user could use to swap `dir` for their own: owned by someone other than us
 * or root, or writable by others without the sticky bit (which /tmp has: there only an entry's owner renames it).
 */
async function unsafeAncestor(dir: string, uid: number): Promise<string | undefined> {
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    const st = await lstat(parent).catch(() => undefined);
    if (st && st.uid !== uid && st.uid !== 0) return `${parent} belongs to uid ${st.uid}`;
    if (st && st.mode & 0o022 && !(st.mode & 0o1000)) return `${parent} is writable by other users`;
    if (dirname(parent) === parent) return undefined;
  }
}

/**
 * Creates `dir` (mode 0700) if needed and proves it is ours alone: a real folder (not a link), owned by this user,
 * not writable by group or others, under folders nobody else can rename. Throws PrivateDirError saying what is
 * wrong and what to do; never loosens or takes over a folder it did not create.
 */
export async function ensurePrivateDir(dir: string, purpose: string): Promise<string> {
  const path = resolve(dir);
  const fix = `choose another folder (XDG_CACHE_HOME, or the option that set ${path})`;
  if (!isShellInertPath(path)) {
    throw new PrivateDirError(`the ${purpose} folder ${JSON.stringify(path)} has characters nvcc's shell would interpret (allowed: letters, digits and _@%+=:,./~-): ${fix}`);
  }
  const uid = myUid();
  const checkItself = (st: Stats) => {
    if (uid === undefined) return; // no POSIX owners (Windows): nothing to compare
    if (st.isSymbolicLink()) throw new PrivateDirError(`the ${purpose} folder ${path} is a symbolic link; KernelPilot uses only a real folder of yours: remove the link or ${fix}`);
    if (!st.isDirectory()) throw new PrivateDirError(`the ${purpose} folder ${path} is not a folder: ${fix}`);
    if (st.uid !== uid) throw new PrivateDirError(`the ${purpose} folder ${path} belongs to another user (uid ${st.uid}, you are ${uid}); its files could be anyone's: ${fix}`);
    if (st.mode & 0o022) throw new PrivateDirError(`the ${purpose} folder ${path} is writable by other users (mode ${(st.mode & 0o777).toString(8)}); run 'chmod go-w ${path}' or ${fix}`);
  };
  const existing = await lstat(path).catch(() => undefined);
  if (existing) checkItself(existing);
  // Then its parents, before anything is created inside a folder someone else controls.
  const ancestor = uid === undefined ? undefined : await unsafeAncestor(path, uid);
  if (ancestor) throw new PrivateDirError(`the ${purpose} folder ${path} is not private: ${ancestor}, who could replace it: ${fix}`);
  if (existing) return path;
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new PrivateDirError(`cannot create the ${purpose} folder ${path}: ${(error as Error).message}`);
  }
  checkItself(await lstat(path));
  return path;
}

export type PrivatePart = 'builds' | 'scratch' | 'locks' | 'manifest' | 'flags' | 'ssh' | 'torch-extensions';

/** A checked part of the private root: `privateDir('builds')` → ~/.cache/kernelpilot/builds. */
export async function privateDir(part: PrivatePart, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const root = await ensurePrivateDir(privateRoot(env), 'KernelPilot cache');
  return ensurePrivateDir(join(root, part), `KernelPilot ${part}`);
}
