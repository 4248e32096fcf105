// One timing job per GPU across processes: an editor's server and a terminal's `kernelpilot bench` on the same
// machine would otherwise time kernels on one GPU at once, each measuring the other's load. A lock file per GPU
// in the user's private folder (a shared one let any user hold or fake our locks), created exclusively and holding
// its owner's pid; a lock whose owner is gone is taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, privateDir } from './private-dir';

export interface GpuLockOptions {
  /** Default ~/.cache/kernelpilot/locks (private-dir.ts); a given folder must pass the same ownership checks. */
  dir?: string;
  signal?: AbortSignal;
  /** Called once when the lock is held by another process, with its description. */
  onWait?: (holder: string) => void;
  pollMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function holderOf(path: string): Promise<{ pid: number; what: string } | undefined> {
  try {
    const [pid, ...what] = (await readFile(path, 'utf8')).split('\n');
    return { pid: Number(pid), what: what.join(' ').trim() };
  } catch {
    return undefined;
  }
}

/** Waits for GPU `index` (cancellable), then holds it until the returned release is called. */
export async function acquireGpuLock(index: number, what: string, options: GpuLockOptions = {}): Promise<() => Promise<void>> {
  const dir = options.dir === undefined ? await privateDir('locks') : await ensurePrivateDir(options.dir, 'GPU lock');
  const path = join(dir, `gpu-${index}.lock`);
  let told = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n${what}\n`);
      await handle.close();
      return async () => {
        if ((await holderOf(path))?.pid === process.pid) await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the GPU lock ${path}: ${(error as Error).message}`, { cause: error });
    }
    const holder = await holderOf(path);
    if (holder && Number.isInteger(holder.pid) && holder.pid > 0 && !alive(holder.pid)) {
      await unlink(path).catch(() => undefined); // its owner died without releasing it
      continue;
    }
    if (!told && holder) {
      told = true;
      options.onWait?.(`pid ${holder.pid}${holder.what ? `: ${holder.what}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
