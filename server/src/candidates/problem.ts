// One reason a candidate is refused: the construct, where it is, and why.

export interface Problem {
  /** Zero-based line in the candidate file. */
  line: number;
  /** What was found, as the candidate spells it: `host function 'helper'`, `#include <thread>`. */
  construct: string;
  /** Why it is refused and what to do instead. */
  reason: string;
}

/** `cand.cu:12: host function 'helper': …` — the form the CLI prints and the editor shows. */
export function formatProblem(file: string, p: Problem): string {
  return `${file}:${p.line + 1}: ${p.construct}: ${p.reason}`;
}
