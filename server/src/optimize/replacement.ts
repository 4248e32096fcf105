// What accepting a candidate writes into the user's file: the text that replaces the kernel's range, and nothing
// else. A candidate is a whole file (assemble.ts merges an answer into the baseline); it can be applied only when it
// equals the baseline before and after the kernel's range, so what lands in the file is exactly what the gate
// compiled there (helpers the candidate adds sit just before the kernel, inside that span). The editor then checks
// that the user's kernel still reads as the baseline's did, wherever it has moved to: edits elsewhere survive.

import type { Range } from '../kernels/model';
import { indexLines, offsetAt } from '../kernels/lines';

export type KernelReplacement =
  /** `text` replaces the kernel's range; `unchanged`: the candidate's gain is not in its code (its launch or nvcc options). */
  | { ok: true; text: string; unchanged: boolean }
  | { ok: false; problem: string };

/** The text of `range` in `source`, by the LSP's rules for lines and columns. */
export function textIn(source: string, range: Range): string {
  const lines = indexLines(source);
  return source.slice(offsetAt(source, lines, range.start), offsetAt(source, lines, range.end));
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The candidate's text for the kernel's range of the baseline (`kernel`: that range in `baseline`), or why the candidate
 * changes more than the kernel (with the candidate's line where it does).
 */
export function kernelReplacement(baseline: string, kernel: Range, candidate: string, kernelName: string): KernelReplacement {
  const lines = indexLines(baseline);
  const start = offsetAt(baseline, lines, kernel.start);
  const end = offsetAt(baseline, lines, kernel.end);
  const before = baseline.slice(0, start);
  const after = baseline.slice(end);
  const outside = (where: 'before' | 'after', at: number) => {
    const line = lineAt(candidate, at);
    const code = candidate.split('\n')[line - 1]?.trim() ?? '';
    return { ok: false as const, problem: `the candidate also changes the file ${where} ${kernelName} (its line ${line}: \`${code}\`); only the kernel's own text can be applied` };
  };
  if (!candidate.startsWith(before)) return outside('before', firstDifference(before, candidate));
  if (candidate.length < before.length + after.length || !candidate.endsWith(after)) {
    const reversed = (s: string) => [...s].reverse().join('');
    return outside('after', Math.max(0, candidate.length - 1 - firstDifference(reversed(after), reversed(candidate))));
  }
  const text = candidate.slice(start, candidate.length - after.length);
  return { ok: true, text, unchanged: text === baseline.slice(start, end) };
}
