// The live child processes of a process, from Linux /proc: what a test checks after cancelling a job.
import { readdirSync, readFileSync } from 'node:fs';

/** `pid: command line` of every live child of `pid`. */
export function childrenOf(pid: number): string[] {
  const out: string[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        out.push(`${child}: ${readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}
