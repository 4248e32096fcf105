// Scratch folders for one check or one build: the copy of the source nvcc compiles, its include links, and nvcc's
// own temporary files (TMPDIR points here). Each lives in the private folder, is removed when its work ends (also
// on cancel, error and timeout: callers remove it in `finally`), and, should the process end first, by an `exit`
// listener. A folder left by a process that was killed outright is removed by the next process that makes one.
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, privateDir } from './private-dir';

export interface Scratch {
  readonly dir: string;
  /** Removes the folder and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

const live = new Set<string>();
let exitHook = false;

function removeAllNow(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Folders `<purpose>-<pid>-<random>` whose process is gone: it was killed before its `exit` listener could run. */
async function sweepOrphans(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [])) {
    const pid = Number(/^[\w]+-(\d+)-\w+$/.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !alive(pid)) await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * A fresh private scratch folder for `purpose` (letters only: it is part of the name). `root` defaults to the
 * private scratch folder; a given root must pass the same ownership checks.
 */
export async function createScratch(purpose: string, root?: string): Promise<Scratch> {
  const base = root === undefined ? await privateDir('scratch') : await ensurePrivateDir(root, 'scratch');
  await sweepOrphans(base);
  const dir = await mkdtemp(join(base, `${purpose}-${process.pid}-`));
  live.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', removeAllNow);
  }
  return {
    dir,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      live.delete(dir); // only now: an exit while rm runs still removes it
    },
  };
}

/** Runs `work` with a scratch folder that is removed when it ends, however it ends. */
export async function withScratch<T>(purpose: string, work: (dir: string) => Promise<T>, root?: string): Promise<T> {
  const scratch = await createScratch(purpose, root);
  try {
    return await work(scratch.dir);
  } finally {
    await scratch.remove();
  }
}
