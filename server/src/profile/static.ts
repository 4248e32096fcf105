// The static half of the report, wherever nvcc is: ptxas's resources for the kernel (the static check's compile,
// check/run.ts, with the user's flags) and, given a built version, its SASS facts. No GPU.

import type { ResolvedFlags } from '../check/compile-flags';
import { matchResources } from '../check/match';
import { runStaticCheck } from '../check/run';
import type { ResourceRecord } from '../check/types';
import type { Kernel } from '../kernels/model';
import type { Target } from '../targets/target';
import type { KernelResources, LineFacts, SassFacts } from './report';
import { parseSass, sassFacts, sassLineMix } from './sass';
import type { Disassembly } from './sass-run';

export function resourcesOf(record: ResourceRecord): KernelResources {
  return {
    registersPerThread: record.registers,
    staticSharedBytes: record.sharedMemBytes,
    stackFrameBytes: record.stackFrameBytes,
    spillStoreBytes: record.spillStoreBytes,
    spillLoadBytes: record.spillLoadBytes,
    barriers: record.barriers,
  };
}

export interface StaticResources {
  resources?: KernelResources;
  /** The entry's symbol, to find it in the SASS. */
  mangledName?: string;
  notes: string[];
}

/** ptxas's resources for `kernel` (the instance the spec's template arguments name, else the first compiled). */
export async function kernelResources(target: Target, o: { file: string; kernel: Kernel; arch: string; flags?: ResolvedFlags; templateArgs?: readonly string[]; signal?: AbortSignal }): Promise<StaticResources> {
  const result = await runStaticCheck(target, { file: o.file, arch: o.arch, ...(o.flags ? { flags: o.flags } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  if (result.error) return { notes: [`no ptxas resources: ${result.error.message}${result.error.hint ? ` (${result.error.hint})` : ''}`] };
  if (!result.ok) return { notes: [`no ptxas resources: ${o.file} does not compile for ${result.arch} (kernelpilot check ${o.file} shows why)`] };
  const records = matchResources([o.kernel], result.resources).get(o.kernel.id) ?? [];
  const wanted = o.templateArgs?.map((a) => a.replace(/\s+/g, '')).join(',');
  const record = records.find((r) => r.templateArgs.map((a) => a.replace(/\s+/g, '')).join(',') === wanted) ?? records[0];
  if (!record) return { notes: [`no ptxas resources for ${o.kernel.qualifiedName}: nothing compiled for it (a template kernel is compiled only where it is instantiated)`] };
  return { resources: resourcesOf(record), mangledName: record.mangledName, notes: [] };
}

/** SASS facts and the per-line mix of the kernel `mangledName` from a version's disassembly. */
export function sassOf(disassembly: Disassembly, mangledName: string, userFile: string, targetPath?: string): { sass?: SassFacts; lines: LineFacts[] } {
  const instructions = parseSass(disassembly.sass).get(mangledName);
  const lined = disassembly.nvdisasm ? parseSass(disassembly.nvdisasm).get(mangledName) : undefined;
  return { ...(instructions ? { sass: sassFacts(instructions) } : {}), lines: lined ? sassLineMix(lined, userFile, targetPath) : [] };
}
