// The history of an optimize run, derived from its attempt records alone: the best verified candidate of each
// round and overall, every attempt with its verdict, tokens and cost (re-priced from the recorded usage), and a
// check that the round and stop events say what the attempts give. A figure the attempts do not support is
// listed as a mismatch, never shown as a result.

import { addSpend, costOf, formatSpend, NO_SPEND, type Spend } from './budget';
import { bestOf, resultMessage } from './loop';
import { resultLine } from './feedback';
import type { AttemptRecord, BestRef, RecordedRun, RunEvent } from './record';
import { STRATEGY_TITLES } from './strategies';

export interface RoundReport {
  round: number;
  attempts: number;
  /** Best verified candidate of this round, and best so far after it. */
  roundBest?: BestRef;
  best?: BestRef;
}

export interface AttemptReport {
  id: string;
  strategy: string;
  proposer: 'llm' | 'search';
  parent: string;
  result: string;
  accepted: boolean;
  speedup?: number;
  tokens: number;
  costUsd?: number;
  description?: string;
}

export interface RunReport {
  id: string;
  kernel: string;
  file: string;
  status: string;
  message: string;
  best?: BestRef & { strategy: string; fractionOfRoofline?: number };
  rounds: RoundReport[];
  attempts: AttemptReport[];
  spend: Spend;
  /** Where the record's events disagree with what the attempts give. */
  mismatches: string[];
}

function sameBest(a: BestRef | undefined, b: BestRef | undefined): boolean {
  return a?.id === b?.id && (a === undefined || Math.abs(a.speedup - (b as BestRef).speedup) < 1e-12);
}

function refText(best: BestRef | undefined): string {
  return best ? `${best.id} ${best.speedup.toFixed(2)}×` : 'none';
}

export function deriveReport(run: RecordedRun): RunReport {
  const { header, attempts, events } = run;
  const prices = header.options.prices;
  const mismatches: string[] = [];
  let spend: Spend = NO_SPEND;
  const attemptReports = attempts.map((a: AttemptRecord): AttemptReport => {
    const usage = a.exchange?.usage ?? { inputTokens: 0, outputTokens: 0 };
    const cost = a.exchange ? costOf(usage, a.exchange.model, prices) : 0;
    if (a.exchange && cost !== a.costUsd && !(cost !== undefined && a.costUsd !== undefined && Math.abs(cost - a.costUsd) < 1e-12)) mismatches.push(`${a.id}: recorded cost ${a.costUsd} but its usage at the run's prices gives ${cost}`);
    spend = addSpend(spend, usage, cost);
    const outcome = a.outcome;
    return {
      id: a.id,
      strategy: a.strategy,
      proposer: a.proposer,
      parent: a.parent,
      result: resultLine(a),
      accepted: outcome?.verdict === 'accepted',
      ...(outcome?.verdict === 'accepted' ? { speedup: outcome.timing.speedup } : {}),
      tokens: usage.inputTokens + usage.outputTokens,
      ...(cost !== undefined ? { costUsd: cost } : {}),
      ...(a.description ? { description: a.description } : {}),
    };
  });

  const roundNumbers = [...new Set(attempts.map((a) => a.round))].sort((x, y) => x - y);
  let bestSoFar: ReturnType<typeof bestOf>;
  const rounds = roundNumbers.map((round): RoundReport => {
    const records = attempts.filter((a) => a.round === round);
    const roundBest = bestOf(records);
    if (roundBest && (!bestSoFar || roundBest.speedup > bestSoFar.speedup)) bestSoFar = roundBest;
    const report: RoundReport = { round, attempts: records.length, ...(roundBest ? { roundBest: { id: roundBest.id, speedup: roundBest.speedup } } : {}), ...(bestSoFar ? { best: { id: bestSoFar.id, speedup: bestSoFar.speedup } } : {}) };
    const event = events.find((e): e is Extract<RunEvent, { kind: 'round-end' }> => e.kind === 'round-end' && e.round === round);
    if (event && !sameBest(event.best, report.best)) mismatches.push(`round ${round}: the record says best ${refText(event.best)}, the attempts give ${refText(report.best)}`);
    return report;
  });

  const best = bestOf(attempts);
  const stop = [...events].reverse().find((e): e is Extract<RunEvent, { kind: 'stop' }> => e.kind === 'stop');
  if (stop && !sameBest(stop.best, best)) mismatches.push(`the stop event says best ${refText(stop.best)}, the attempts give ${refText(best)}`);
  const status = stop ? `stopped: ${stop.reason} (${stop.detail})` : 'interrupted: no stop recorded (it can be resumed)';
  return {
    id: header.id,
    kernel: header.kernel,
    file: header.file,
    status,
    message: resultMessage(best, attempts),
    ...(best ? { best: { id: best.id, speedup: best.speedup, strategy: best.record.strategy, ...(best.outcome.fractionOfRoofline !== undefined ? { fractionOfRoofline: best.outcome.fractionOfRoofline } : {}) } } : {}),
    rounds,
    attempts: attemptReports,
    spend,
    mismatches,
  };
}

export function formatReport(report: RunReport): string {
  const lines = [`optimize run ${report.id}: ${report.kernel} in ${report.file}`, report.status, `result: ${report.message}`, `spend: ${formatSpend(report.spend)}`, ''];
  for (const round of report.rounds) {
    lines.push(`round ${round.round}: ${round.attempts} attempt${round.attempts === 1 ? '' : 's'}, best of round ${refText(round.roundBest)}, best so far ${refText(round.best)}`);
    for (const a of report.attempts.filter((x) => x.id.startsWith(`r${String(round.round).padStart(2, '0')}-`))) {
      const title = STRATEGY_TITLES[a.strategy as keyof typeof STRATEGY_TITLES] ?? a.strategy;
      lines.push(`  ${a.id}  ${a.proposer === 'search' ? 'search' : 'model'} · ${title} · from ${a.parent}: ${a.result}${a.tokens ? ` · ${a.tokens} tokens` : ''}`);
    }
  }
  if (report.mismatches.length) lines.push('', 'the record does not re-derive:', ...report.mismatches.map((m) => `  ${m}`));
  return lines.join('\n');
}
