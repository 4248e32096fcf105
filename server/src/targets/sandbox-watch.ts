// Watches a running sandbox from outside: how many processes its PID namespace holds and how much memory they
// use, from /proc, every 100 ms. The kernel's limits hold the bounds (sandbox.ts); this names what happened — a fork
// storm that sits at the process limit, or memory past the limit — and ends the sandbox at once, so a storm or a
// flood is a rejected candidate with its reason rather than a job that spins until its timeout.

import { readdir, readFile, readlink } from 'node:fs/promises';
import type { SandboxLimit } from './target';

export interface SandboxUse {
  /** The most processes seen at once. */
  processes: number;
  /** The most resident memory seen, all processes together. */
  rssBytes: number;
}

export interface SandboxWatch {
  /** Stops watching; what was seen. */
  stop(): SandboxUse;
}

const INTERVAL_MS = 100;

async function pidNamespace(pid: number | string): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** The PID namespace bwrap made: that of a child of bwrap's own process. */
async function namespaceOf(bwrapPid: number, own: string | undefined): Promise<string | undefined> {
  let children: string[];
  try {
    children = (await readFile(`/proc/${bwrapPid}/task/${bwrapPid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  for (const child of children) {
    const ns = await pidNamespace(child);
    if (ns && ns !== own) return ns;
  }
  return undefined;
}

async function residentBytes(pid: string): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Counts the processes of namespace `ns` and their resident memory. */
async function measure(ns: string): Promise<SandboxUse> {
  let processes = 0;
  let rssBytes = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || (await pidNamespace(entry)) !== ns) continue;
    processes++;
    rssBytes += await residentBytes(entry);
  }
  return { processes, rssBytes };
}

/**
 * Watches the sandbox started as process `bwrapPid`; calls `onLimit` once when it holds `limits.processes`
 * processes or more than `limits.memoryBytes` of resident memory.
 */
export function watchSandbox(bwrapPid: number, limits: { processes: number; memoryBytes: number }, onLimit: (kind: SandboxLimit, message: string) => void): SandboxWatch {
  const seen: SandboxUse = { processes: 0, rssBytes: 0 };
  let ns: string | undefined;
  let own: string | undefined;
  let busy = false;
  let fired = false;
  const tick = async () => {
    if (busy || fired) return;
    busy = true;
    try {
      own ??= await pidNamespace('self');
      ns ??= await namespaceOf(bwrapPid, own);
      if (!ns) return;
      const use = await measure(ns);
      seen.processes = Math.max(seen.processes, use.processes);
      seen.rssBytes = Math.max(seen.rssBytes, use.rssBytes);
      // bwrap's own init counts as one of the namespace's processes, and RLIMIT_NPROC stops the storm at the limit.
      if (use.processes >= limits.processes) {
        fired = true;
        onLimit('processes', `started processes up to the sandbox's limit of ${limits.processes} (a fork storm) and was ended`);
      } else if (use.rssBytes > limits.memoryBytes) {
        fired = true;
        onLimit('memory', `used ${Math.round(use.rssBytes / 2 ** 20)} MiB of memory, over the sandbox's limit of ${Math.round(limits.memoryBytes / 2 ** 20)} MiB, and was ended`);
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick().catch(() => undefined), INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      return { ...seen };
    },
  };
}
