// Turns code from an answer into a candidate file: the parent file with the answer's declarations merged in,
// declaration by declaration. An answer may hold just the kernel, the kernel with new helpers, or a whole file:
// declarations the parent has (same kind and name) are replaced, new ones go just before the kernel (includes at
// the top), and host functions are left out — the harness launches the kernel itself, so host code could only
// run unchecked. The result must define the kernel with the parent's parameters, else it is no candidate.

import { discover } from '../kernels/discover';
import type { Kernel, KernelParam } from '../kernels/model';
import { kernelUnit } from './context';
import { parseUnits, type Unit } from './units';

export type Assembly = { ok: true; source: string; notes: string[] } | { ok: false; problem: string };

interface Edit {
  start: number;
  end: number;
  text: string;
}

function matchIn(parent: readonly Unit[], unit: Unit, used: Set<Unit>): Unit | undefined {
  const same = parent.filter((p) => !used.has(p) && p.kind === unit.kind && p.name === unit.name && unit.name !== '');
  return same.find((p) => p.scope === unit.scope) ?? (same.length === 1 ? same[0] : undefined);
}

function applyEdits(source: string, edits: Edit[]): string {
  let out = source;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function paramText(params: readonly KernelParam[]): string {
  return `(${params.map((p) => p.type).join(', ')})`;
}

/** Same number of parameters, each a pointer or not as before, with the same base type; names and qualifiers may change. */
function signatureProblem(before: Kernel, after: Kernel): string | undefined {
  const same = before.params.length === after.params.length && before.params.every((p, i) => p.pointer === after.params[i].pointer && p.baseType === after.params[i].baseType);
  if (!same) return `the kernel's parameters changed from ${paramText(before.params)} to ${paramText(after.params)}: keep their number, order and types (const and __restrict__ may be added)`;
  if (before.templateParams.length !== after.templateParams.length) return `the kernel's template parameters changed from ${before.templateParams.length} to ${after.templateParams.length}: keep them`;
  return undefined;
}

/** Merges `code` into `parentSource`, whose kernel is `kernel`; checks the result defines a compatible kernel. */
export async function assembleCandidate(parentSource: string, parentFile: string, kernel: Kernel, code: string): Promise<Assembly> {
  const [parent, answer] = await Promise.all([parseUnits(parentSource), parseUnits(code)]);
  if (answer.errorLine !== undefined && parent.errorLine === undefined) {
    const line = code.split('\n')[answer.errorLine]?.trim() ?? '';
    return { ok: false, problem: `line ${answer.errorLine + 1} of the code does not parse as CUDA C++: \`${line}\`` };
  }
  const target = kernelUnit(parent.units, kernel);
  if (!target) return { ok: false, problem: `the parent file has no definition of ${kernel.qualifiedName}` };
  if (!kernelUnit(answer.units, kernel)) return { ok: false, problem: `the code does not define the __global__ kernel ${kernel.name}` };

  const notes: string[] = [];
  const edits: Edit[] = [];
  const newIncludes: string[] = [];
  const newDeclarations: string[] = [];
  const used = new Set<Unit>();
  for (const unit of answer.units) {
    if (unit.kind === 'function' && !unit.device) {
      notes.push(`left out host function ${unit.name} (the harness launches the kernel; give a launch as a JSON block instead)`);
      continue;
    }
    const match = matchIn(parent.units, unit, used);
    if (match) {
      used.add(match);
      if (match.text !== unit.text) edits.push({ start: match.start, end: match.end, text: unit.text });
    } else if (unit.kind === 'include') {
      newIncludes.push(unit.text.trimEnd());
    } else if (!(unit.kind === 'other' && parentSource.includes(unit.text))) {
      newDeclarations.push(unit.text.trimEnd());
    }
  }
  if (newDeclarations.length) edits.push({ start: target.start, end: target.start, text: `${newDeclarations.join('\n\n')}\n\n` });
  if (newIncludes.length) {
    const lastInclude = parent.units.filter((u) => u.kind === 'include').at(-1);
    const at = lastInclude ? lastInclude.end : 0;
    const text = newIncludes.join('\n') + '\n';
    edits.push({ start: at, end: at, text: lastInclude && !lastInclude.text.endsWith('\n') ? `\n${text}` : text });
  }
  const source = applyEdits(parentSource, edits);
  const { kernels } = await discover(parentFile, source);
  const rewritten = kernels.find((k) => k.qualifiedName === kernel.qualifiedName);
  if (!rewritten) return { ok: false, problem: `after merging, the file no longer defines ${kernel.qualifiedName}` };
  const problem = signatureProblem(kernel, rewritten);
  return problem ? { ok: false, problem } : { ok: true, source, notes };
}
