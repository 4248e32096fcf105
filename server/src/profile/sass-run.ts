// SASS of a built kernel version, on the target: `cuobjdump -sass` for the instruction facts, and `nvdisasm -g -c`
// over the cubins `cuobjdump -xelf` extracts for the per-line mix. Both tools are optional (CI has neither): their
// absence is a note, not an error. Argv only; the cubins land in a target scratch folder removed at the end.

import { dirname } from 'node:path';
import type { Target } from '../targets/target';

export interface Disassembly {
  /** `cuobjdump -sass` output. */
  sass: string;
  /** `nvdisasm -g -c` output of every cubin, concatenated; absent without nvdisasm. */
  nvdisasm?: string;
}

/** cuobjdump and nvdisasm beside the nvcc in use when it is a path, else by name on the target's PATH. */
export function toolPath(nvcc: string, tool: 'cuobjdump' | 'nvdisasm'): string {
  return nvcc.includes('/') ? `${dirname(nvcc)}/${tool}` : tool;
}

export async function disassemble(target: Target, binary: string, nvcc: string, signal?: AbortSignal): Promise<{ disassembly?: Disassembly; note?: string }> {
  const cuobjdump = toolPath(nvcc, 'cuobjdump');
  const file = target.targetPath(binary);
  const sass = await target.exec(cuobjdump, ['-sass', file], { timeoutMs: 60_000, signal });
  if (sass.notFound) return { note: `no SASS facts: ${cuobjdump} is not on target '${target.name}'` };
  if (sass.exitCode !== 0) return { note: `no SASS facts: ${cuobjdump} -sass failed on target '${target.name}': ${sass.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  const scratch = await target.createScratch('sass', { signal });
  try {
    const listed = await target.exec(cuobjdump, ['-lelf', file], { timeoutMs: 60_000, signal });
    const cubins = [...listed.stdout.matchAll(/ELF file\s+\d+:\s+(\S+\.cubin)/g)].map((m) => m[1]);
    await target.exec(cuobjdump, ['-xelf', 'all', file], { cwd: scratch.dir, timeoutMs: 60_000, signal });
    const nvdisasm = toolPath(nvcc, 'nvdisasm');
    const parts: string[] = [];
    for (const cubin of cubins) {
      const out = await target.exec(nvdisasm, ['-g', '-c', `${scratch.dir}/${cubin}`], { timeoutMs: 60_000, signal });
      if (out.notFound) return { disassembly: { sass: sass.stdout }, note: `no per-line SASS mix: ${nvdisasm} is not on target '${target.name}'` };
      if (out.exitCode === 0) parts.push(out.stdout);
    }
    return { disassembly: { sass: sass.stdout, ...(parts.length ? { nvdisasm: parts.join('\n') } : {}) } };
  } finally {
    await scratch.remove();
  }
}
