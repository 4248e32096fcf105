// Puts each resource record on the kernel discovery found for it. ptxas knows compiled entries
// (one per template instance per arch); discovery knows definitions. The join key is the qualified
// name (`ns::k`), or the plain name for `extern "C"` kernels, whose symbol carries no namespace.
// Overloads share a qualified name, so the parameter list decides between them.

import type { Kernel } from '../kernels/model';
import { isMangled } from './demangle';
import type { ResourceRecord } from './types';

/** `(anonymous namespace)::k`, `::k` and `k` are the same kernel as far as one file goes. */
export function normalizeQualifiedName(name: string): string {
  return name
    .replace(/\(anonymous namespace\)::|\{anonymous\}::|<anonymous>::/g, '')
    .replace(/^::/, '')
    .replace(/\s+/g, '');
}

/**
 * Kernel id → its records in ptxas order, for every CUDA kernel; `[]` means nothing was compiled for it
 * (an uninstantiated template). Records whose kernel is not in the list (kernels from included headers)
 * are left out: see unmatchedResources.
 */
export function matchResources(kernels: readonly Kernel[], records: readonly ResourceRecord[]): Map<string, ResourceRecord[]> {
  const cuda = kernels.filter((k) => k.language === 'cuda');
  const byKernel = new Map<string, ResourceRecord[]>();
  for (const k of cuda) byKernel.set(k.id, []);

  for (const record of records) {
    let candidates: Kernel[];
    if (!isMangled(record.mangledName)) {
      // extern "C": the symbol is the bare identifier, wherever the kernel is nested.
      candidates = cuda.filter((k) => k.name === record.mangledName);
      const externC = candidates.filter((k) => k.attributes.some((a) => /extern\s*"C"/.test(a)));
      if (externC.length > 0) candidates = externC;
    } else {
      const key = normalizeQualifiedName(record.qualifiedName);
      candidates = cuda.filter((k) => normalizeQualifiedName(k.qualifiedName) === key);
    }
    const kernel = candidates.length > 1 ? bestByParams(candidates, record) : candidates[0];
    if (kernel) byKernel.get(kernel.id)?.push(record);
  }
  return byKernel;
}

/** Records no kernel received (e.g. kernels defined in an included header). */
export function unmatchedResources(records: readonly ResourceRecord[], byKernel: ReadonlyMap<string, readonly ResourceRecord[]>): ResourceRecord[] {
  const matched = new Set([...byKernel.values()].flat());
  return records.filter((r) => !matched.has(r));
}

/** A type reduced to what mangling keeps: no cv-qualifiers or restrict, no spaces. */
function typeKey(type: string): string {
  return type
    .replace(/\b(const|volatile|__restrict__|__restrict|restrict)\b/g, '')
    .replace(/\s+/g, '');
}

/**
 * Among overloads, the one whose parameters agree with the record's demangled parameter types.
 * A template parameter in a declared type (`const T*`) matches anything. Without demangled
 * parameters (heuristic demangling), the first candidate is the honest best guess.
 */
function bestByParams(candidates: Kernel[], record: ResourceRecord): Kernel | undefined {
  const params = record.params;
  if (!params) return candidates[0];
  let best: Kernel | undefined;
  let bestScore = -1;
  for (const k of candidates) {
    if (k.params.length !== params.length) continue;
    const templateNames = new Set(k.templateParams.map((t) => t.name));
    let score = 0;
    k.params.forEach((p, i) => {
      if (templateNames.has(p.baseType) || typeKey(p.type) === typeKey(params[i])) score++;
    });
    if (score > bestScore) {
      best = k;
      bestScore = score;
    }
  }
  return best ?? candidates[0];
}
