// One gate per GPU, for every KernelPilot job on a machine: two jobs that time kernels on one GPU at once would
// each measure the other's load. Only the GPU phase is gated (ceilings, checks, timing): builds need no GPU, so a
// job compiles while another one times.
//  - In one process (the editor's server running several jobs, the optimizer evaluating candidates), waiters queue
//    in order, per host and GPU: "queued behind another benchmark".
//  - Across processes (an editor and a terminal), the head of that queue takes a lock file per host and GPU in a
//    private per-user folder, holding its pid, its start time (a recycled pid is not mistaken for the holder) and
//    what it is doing: "waiting for GPU 0, in use by benchmarking k (pid 123)". A lock whose process is gone is
//    taken over.

import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, privateDir, privateRoot } from './private-dir';

/** Why an acquire waits: behind another job of this process, or for another process that holds the GPU. */
export type GpuWait = { kind: 'queued'; message: string } | { kind: 'held'; pid: number; message: string };

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called when the wait starts and when its reason changes (queued → held by another process). */
  onWait?: (wait: GpuWait) => void;
}

/** The folder of the lock files: per user, private (0700, owner and mode checked by private-dir.ts). */
export function gpuLockFolder(): string {
  return join(privateRoot(), 'locks');
}

interface Holder {
  pid: number;
  start: string;
  token: string;
  what: string;
}

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22): with the pid, it names one process. */
async function startTime(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

async function alive(holder: Holder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: exists, owned by someone else
  }
  const start = await startTime(holder.pid);
  return !holder.start || !start || start === holder.start;
}

async function holderAt(path: string): Promise<Holder | undefined> {
  try {
    const [pid, start, token, ...what] = (await readFile(path, 'utf8')).split('\n');
    return { pid: Number(pid), start: start ?? '', token: token ?? '', what: what.join(' ').trim() };
  } catch {
    return undefined;
  }
}

const abortError = (signal: AbortSignal) => (signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError'));

/** Resolves with `event`, or rejects when `signal` aborts first; no listener is left behind either way. */
function until(event: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return event;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void event.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** Waits `ms`, or rejects when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return until(elapsed, signal).finally(() => clearTimeout(timer));
}

interface Turn {
  what: string;
  /** Resolves when it is this waiter's turn in the process. */
  ready: Promise<void>;
  go: () => void;
}

function newTurn(what: string): Turn {
  let go!: () => void;
  const ready = new Promise<void>((resolve) => (go = resolve));
  return { what, ready, go };
}

export class GpuGate {
  /** Per host and GPU: the holder (first) and the waiters of this process, in order. */
  private readonly queues = new Map<string, Turn[]>();

  constructor(private readonly options: { folder?: () => string; host?: string; pollMs?: number } = {}) {}

  /** Waits for GPU `index` of `host` (cancellable), then holds it until the returned release is called. */
  async acquire(index: number, what: string, o: AcquireOptions = {}, host = this.options.host ?? hostname()): Promise<() => Promise<void>> {
    const key = `${host}:${index}`;
    const queue = this.queues.get(key) ?? [];
    this.queues.set(key, queue);
    const turn = newTurn(what);
    queue.push(turn);
    const leave = () => {
      const at = queue.indexOf(turn);
      if (at < 0) return;
      queue.splice(at, 1);
      if (at === 0) queue[0]?.go();
      if (queue.length === 0) this.queues.delete(key);
    };
    try {
      if (queue.length > 1) {
        o.onWait?.({ kind: 'queued', message: `queued behind another benchmark (${queue[0].what})` });
        await until(turn.ready, o.signal);
      } else turn.go();
      const unlock = await this.lockFile(this.lockPath(host, index), index, what, o);
      return async () => {
        await unlock();
        leave();
      };
    } catch (error) {
      leave();
      throw error;
    }
  }

  private lockPath(host: string, index: number): string {
    return join((this.options.folder ?? gpuLockFolder)(), `gpu-${host.replace(/[^\w.-]/g, '_')}-${index}.lock`);
  }

  /** The cross-process part: create the lock file exclusively, or wait for its holder (taking over a dead one). */
  private async lockFile(path: string, index: number, what: string, o: AcquireOptions): Promise<() => Promise<void>> {
    await (this.options.folder ? ensurePrivateDir(dirname(path), 'GPU lock') : privateDir('locks'));
    const me: Holder = { pid: process.pid, start: await startTime(process.pid), token: randomBytes(8).toString('hex'), what };
    let toldPid: number | undefined;
    for (;;) {
      if (o.signal?.aborted) throw abortError(o.signal);
      try {
        const handle = await open(path, 'wx', 0o600);
        await handle.writeFile(`${me.pid}\n${me.start}\n${me.token}\n${what}\n`);
        await handle.close();
        return async () => {
          if ((await holderAt(path))?.token === me.token) await unlink(path).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the GPU lock ${path}: ${(error as Error).message}`, { cause: error });
      }
      const holder = await holderAt(path);
      if (holder && Number.isInteger(holder.pid) && holder.pid > 0 && !(await alive(holder))) {
        await takeOver(path, holder);
        continue;
      }
      if (holder && toldPid !== holder.pid) {
        toldPid = holder.pid;
        o.onWait?.({ kind: 'held', pid: holder.pid, message: `waiting for GPU ${index}, in use by ${holder.what || 'another KernelPilot job'} (pid ${holder.pid})` });
      }
      await sleep(this.options.pollMs ?? 250, o.signal);
    }
  }
}

/**
 * Removes a dead holder's lock. Moved aside first, so that of two processes taking over at once only one removes
 * it; if what was moved is not the dead holder's (another process had already taken over), it is put back.
 */
async function takeOver(path: string, dead: Holder): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it
  }
  if ((await holderAt(aside))?.token !== dead.token) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** The gate every target of this process shares (keyed by the target's host). */
export const localGpuGate = new GpuGate();
