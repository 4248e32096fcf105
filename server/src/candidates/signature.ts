// Does the candidate define the kernel the harness launches? Same qualified name, same number of parameters,
// the same parameter types once spelling is set aside (`float const*` = `const float*`; `__restrict__` and a
// by-value parameter's own `const` do not change the call). Template kernels are compared as the spec
// instantiates them: template parameters replaced by the spec's template arguments on both sides.

import type { Kernel, KernelParam } from '../kernels/model';
import { Lexer } from './lexer';
import type { Problem } from './problem';

const IGNORED = new Set(['__restrict__', '__restrict', 'restrict']);

/** A parameter type in one spelling, with template parameters replaced through `bindings`. */
export function canonicalType(param: KernelParam, bindings: ReadonlyMap<string, string>): string {
  const tokens = new Lexer(param.type, { inDirective: true })
    .tokens()
    .map((t) => bindings.get(t.text) ?? t.text)
    .flatMap((t) => t.split(/\s+/))
    .filter((t) => t && !IGNORED.has(t));
  const indirect = tokens.findIndex((t) => t === '*' || t === '&' || t === '&&' || t === '[');
  if (indirect < 0) return tokens.filter((t) => t !== 'const' && t !== 'volatile').join(' ');
  // `float const *` → `const float *`; a const after the last `*` qualifies the pointer itself (a copy).
  const head = tokens.slice(0, indirect);
  let tail = tokens.slice(indirect);
  const lastStar = tail.lastIndexOf('*');
  tail = tail.filter((t, i) => !(i > lastStar && lastStar >= 0 && (t === 'const' || t === 'volatile')));
  const pointeeConst = head.includes('const');
  return [...(pointeeConst ? ['const'] : []), ...head.filter((t) => t !== 'const'), ...tail].join(' ');
}

function bindingsOf(kernel: Kernel, templateArgs: readonly string[]): Map<string, string> {
  return new Map(kernel.templateParams.map((p, i): [string, string] => [p.name, templateArgs[i] ?? p.default ?? p.name]));
}

/**
 * The candidate's definition of `baseline` among `found` (the candidate's kernels), or the problem that says what
 * is missing or different.
 */
export function matchKernel(found: readonly Kernel[], baseline: Kernel, templateArgs: readonly string[]): { kernel: Kernel } | { problem: Problem } {
  const same = found.filter((k) => k.qualifiedName === baseline.qualifiedName);
  if (same.length === 0) {
    const others = found.map((k) => k.qualifiedName);
    const byName = found.find((k) => k.name === baseline.name);
    const hint = byName
      ? `it defines ${byName.qualifiedName}: put it in the same namespace as the baseline's`
      : others.length
        ? `it defines ${others.join(', ')}`
        : 'it defines no __global__ function';
    return { problem: { line: 0, construct: `kernel ${baseline.qualifiedName}`, reason: `missing: the candidate must define the kernel it replaces (${hint})` } };
  }
  const reasons: string[] = [];
  for (const k of same) {
    const where = `line ${k.nameRange.start.line + 1}`;
    if (baseline.templateParams.length > 0 && k.templateParams.length === 0) {
      reasons.push(`${where}: not a template, but the baseline is one (launched as ${baseline.qualifiedName}<${templateArgs.join(', ')}>)`);
      continue;
    }
    if (baseline.templateParams.length === 0 && k.templateParams.some((p) => p.default === undefined)) {
      reasons.push(`${where}: a template without defaults, but the baseline is launched without template arguments`);
      continue;
    }
    if (k.params.length !== baseline.params.length) {
      reasons.push(`${where}: ${k.params.length} parameter(s), the baseline has ${baseline.params.length} (${baseline.params.map((p) => p.type).join(', ')})`);
      continue;
    }
    const theirs = bindingsOf(baseline, templateArgs);
    const ours = bindingsOf(k, templateArgs);
    const differ = k.params.map((p, i) => ({ i, a: canonicalType(baseline.params[i], theirs), b: canonicalType(p, ours) })).filter(({ a, b }) => a !== b);
    if (differ.length === 0) return { kernel: k };
    reasons.push(`${where}: ${differ.map(({ i, a, b }) => `parameter ${i + 1} is '${b}', the baseline's is '${a}'`).join('; ')}`);
  }
  const at = same[0].nameRange.start.line;
  return { problem: { line: at, construct: `kernel ${baseline.qualifiedName}`, reason: `its signature differs from the baseline's, which the harness launches: ${reasons.join('; ')}` } };
}
