// What goes back to a proposer after an attempt: the compiler's errors on the candidate's own lines, the probes
// that failed and why, or why the answer could not be used. Plain facts; llm/ frames them for the model.

import { outcomeLine } from './evaluator';
import type { AttemptRecord } from './record';

const MAX_DIAGNOSTICS = 12;

/** Whether the attempt is worth a repair: it gave no candidate, or the gate rejected it. */
export function needsRepair(record: AttemptRecord): boolean {
  if (!record.candidate) return true;
  return record.outcome?.verdict === 'rejected';
}

function compileFeedback(record: AttemptRecord): string {
  const outcome = record.outcome;
  if (outcome?.verdict !== 'rejected') return '';
  const lines = record.candidate?.source.split('\n') ?? [];
  const shown = outcome.diagnostics.filter((d) => d.severity === 'error').slice(0, MAX_DIAGNOSTICS);
  const located = shown.map((d) => {
    const code = lines[d.line]?.trim();
    return `- line ${d.line + 1}: ${d.severity}: ${d.message}${code ? `\n  \`${code}\`` : ''}`;
  });
  return located.length ? located.join('\n') : outcome.reasons.join('\n');
}

export function feedbackFor(record: AttemptRecord): string {
  if (!record.candidate) return `The answer could not be used: ${record.problem ?? 'no candidate in it'}.`;
  const outcome = record.outcome;
  if (!outcome) return 'The candidate was not evaluated.';
  const same = record.duplicateOf ? ` It is the same candidate as attempt ${record.duplicateOf}; propose a different one.` : '';
  if (outcome.verdict === 'accepted') return `The gate accepted it: ${outcomeLine(outcome)}.${same}`;
  switch (outcome.stage) {
    case 'compile':
      return `It did not compile:\n${compileFeedback(record)}${same}`;
    case 'launch':
      return `Its launch could not be used: ${outcome.reasons.join('; ')}${same}`;
    case 'probes':
      return `It compiled, but the correctness probes rejected it:\n${outcome.failedProbes.map((p) => `- ${p.name}: ${p.reason}`).join('\n') || outcome.reasons.join('\n')}${same}`;
    case 'roofline':
      return `It measured faster than the hardware allows, so it cannot be doing all the work: ${outcome.reasons.join('; ')}${same}`;
    case 'run':
      return `It failed when run: ${outcome.reasons.join('; ')}${same}`;
  }
}

/** The one-line history entry for later prompts. */
export function resultLine(record: AttemptRecord): string {
  if (!record.candidate) return `no candidate: ${record.problem ?? 'unusable answer'}`;
  if (!record.outcome) return 'not evaluated';
  return outcomeLine(record.outcome) + (record.duplicateOf ? ` (same as ${record.duplicateOf})` : '');
}
