// The source a candidate is compiled as: the user's file with only its kernel replaced by the candidate's code.
// The user's host code (launchers, its own main, helpers) stays as the user wrote it; the candidate's code goes
// where the kernel was, at namespace scope (the blocks around the kernel are closed before it and reopened after,
// so a candidate that spells its namespaces out, as a drop-in file does, lands in the same ones). `#line`
// directives keep every compiler message on the user's or the candidate's own file and line; the candidate's
// macros are undefined after its code, so they cannot reach the user's code after the kernel or the harness.

import type { BaselineView } from './baseline';

/** `#line N "file"`; a file name with a line break cannot be spelled in C. */
function lineDirective(line: number, file: string): string {
  if (/[\n\r]/.test(file)) throw new Error(`the file name ${JSON.stringify(file)} has a line break: rename it`);
  return `#line ${line} "${file.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

type Rewrite = { start: number; end: number; text: string };

/** `text` between two offsets with the rewrites (sorted, not overlapping) inside them applied. */
function rewritten(text: string, rewrites: readonly Rewrite[], from = 0, to = text.length): string {
  let out = '';
  let at = from;
  for (const r of rewrites) {
    if (r.start < from || r.end > to) continue;
    out += text.slice(at, r.start) + r.text;
    at = r.end;
  }
  return out + text.slice(at, to);
}

/** A candidate's `#include "…"` of the baseline's headers, pointed at the same files as the baseline's. */
export interface CandidateInclude {
  start: number;
  end: number;
  name: string;
}

/**
 * The translation unit: `candidateText` is the candidate's own code (its items identical to the baseline's
 * blanked), `ownMacros` the macros it defines.
 */
export function translationUnit(view: BaselineView, candidate: { file: string; text: string; includes: readonly CandidateInclude[] }, ownMacros: Iterable<string>): string {
  const { input, start, end, blocks } = view;
  const candidateRewrites = candidate.includes.flatMap((i) => {
    const text = view.headers.get(i.name);
    return text ? [{ start: i.start, end: i.end, text }] : [];
  });
  const kernelEndLine = input.text.slice(0, end).split('\n').length;
  return [
    lineDirective(1, input.file),
    rewritten(input.text, view.includeRewrites, 0, start),
    ...blocks.map(() => '}'),
    lineDirective(1, candidate.file),
    rewritten(candidate.text, candidateRewrites),
    ...[...ownMacros].map((m) => `#undef ${m}`),
    ...blocks.map((b) => `${b}{`),
    lineDirective(kernelEndLine, input.file),
    rewritten(input.text, view.includeRewrites, end),
  ].join('\n');
}
