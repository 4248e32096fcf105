// What editor commands act on: the kernel a command names (by qualified name, by a position in its document, or
// the file's only CUDA kernel) and the workspace folder whose .kernelpilot/ holds its specs and runs.
import { dirname, sep } from 'node:path';
import type { Kernel, KernelLanguage } from '../kernels/model';
import { contains } from './convert';
import { pathOf, type Documents } from './documents';

export interface KernelRef {
  uri: string;
  /** A qualified name (lenses), a position (code actions, the context menu), or neither (the palette). */
  name?: string;
  position?: { line: number; character: number };
}

/** Command arguments as clients send them: `[uri]`, `[uri, name]` or `[uri, {line, character}]`. */
export function kernelRefOf(args: unknown[] | undefined, what: string): KernelRef {
  const [uri, second] = args ?? [];
  if (typeof uri !== 'string') throw new Error(`KernelPilot: ${what} needs a CUDA file open in the editor.`);
  if (typeof second === 'string') return { uri, name: second };
  if (second && typeof second === 'object' && typeof (second as { line?: unknown }).line === 'number') {
    const p = second as { line: number; character?: number };
    return { uri, position: { line: p.line, character: p.character ?? 0 } };
  }
  return { uri };
}

/** The kernel a command is about, or an error that says what to do instead. `languages`: the kinds the command works on. */
export async function resolveKernelRef(documents: Documents, ref: KernelRef, what: string, languages: readonly KernelLanguage[] = ['cuda']): Promise<Kernel> {
  const document = await documents.get(ref.uri);
  if (!document) throw new Error(`KernelPilot: ${what}: ${pathOf(ref.uri)} is not open in the editor; open it and try again.`);
  const kernels = document.kernels().kernels;
  const usable = kernels.filter((k) => languages.includes(k.language));
  let kernel: Kernel | undefined;
  if (ref.name !== undefined) {
    kernel = kernels.find((k) => k.qualifiedName === ref.name) ?? kernels.find((k) => k.name === ref.name);
    if (!kernel) throw new Error(`KernelPilot: ${what}: no kernel '${ref.name}' in ${pathOf(ref.uri)} any more (it has ${kernels.map((k) => k.qualifiedName).join(', ') || 'none'}).`);
  } else if (ref.position) {
    const position = ref.position;
    kernel = kernels.find((k) => contains(k.range, position));
  }
  const names = languages.map((l) => LANGUAGE_NAMES[l]);
  const kinds = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
  if (!kernel) {
    if (usable.length === 1) kernel = usable[0];
    else if (usable.length === 0) {
      const problems = document.kernels().problems.map((p) => p.message);
      throw new Error(`KernelPilot: ${what}: ${pathOf(ref.uri)} has no ${kinds}${problems.length ? ` (${problems.join('; ')})` : ''}.`);
    }
    else throw new Error(`KernelPilot: ${what}: ${pathOf(ref.uri)} has ${usable.length} kernels; put the cursor inside one, or use its CodeLens.`);
  }
  if (!languages.includes(kernel.language)) throw new Error(`KernelPilot: ${what}: ${kernel.qualifiedName} is a ${LANGUAGE_NAMES[kernel.language]}; ${what} works on a ${kinds} so far.`);
  return kernel;
}

/** What ▶ Benchmark runs on: CUDA and Triton kernels through the gate, a KernelBench task's Model through the Python gate. */
export const BENCHMARKABLE: readonly KernelLanguage[] = ['cuda', 'triton', 'kernelbench'];

/** A kernel with a "▶ Benchmark" lens and code action: CUDA and Triton kernels, a task's Model (not a solution's ModelNew). */
export function benchmarkable(kernel: Kernel): boolean {
  return kernel.language === 'kernelbench' ? kernel.name === 'Model' : BENCHMARKABLE.includes(kernel.language);
}

/** What ⚡ Optimize runs on: CUDA and Triton kernels, a KernelBench task's Model (bench/optimize-prepare.ts picks each one's gate). */
export const OPTIMIZABLE: readonly KernelLanguage[] = ['cuda', 'triton', 'kernelbench'];

/** A kernel with a "⚡ Optimize" lens and code actions: the same kernels as ▶ Benchmark (a task's Model, not a solution's ModelNew). */
export function optimizable(kernel: Kernel): boolean {
  return benchmarkable(kernel);
}

const LANGUAGE_NAMES: Record<KernelLanguage, string> = { cuda: 'CUDA __global__ kernel', triton: 'Triton kernel', kernelbench: 'KernelBench Model' };

/** The workspace folder holding the file (the deepest one), else the file's own folder. */
export function workspaceRootFor(file: string, roots: readonly string[]): string {
  const holding = roots.filter((r) => file === r || file.startsWith(r.endsWith(sep) ? r : r + sep));
  return holding.sort((a, b) => b.length - a.length)[0] ?? dirname(file);
}
