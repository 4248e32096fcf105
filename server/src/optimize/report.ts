// The history of an optimize run, derived from its records: the best verified candidate of each round and overall,
// every attempt with its verdict, tokens and cost (re-priced from the recorded usage), and a check that the round
// and stop events say what the attempts give. The gate's own figures (speedup, interval, p-value, times, probes)
// come from the gate record each attempt references (`evidence`), re-derived by the caller (bench/optimize-gate.ts):
// where an attempt's copy disagrees with its gate record, the gate record counts and the difference is listed. A
// figure the records do not support is listed as a mismatch, never shown as a result.

import { addSpend, costOf, formatSpend, NO_SPEND, type Spend } from './budget';
import { bestOf, resultMessage } from './loop';
import { resultLine } from './feedback';
import type { CandidateOutcome } from './evaluator';
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
  /** The attempt it repeats (its outcome is that attempt's). */
  duplicateOf?: string;
  /** The gate's record of its evaluation, as the attempt names it. */
  evidence?: string;
}

/** A gate record read back and re-derived: the outcome it gives, and where its stored summary differs from it. */
export type GateRecordCheck = { outcome: CandidateOutcome; differences: string[] } | { problem: string };

export interface GateRecordsReport {
  /** Evaluations whose gate record was read and re-derived (each record once; duplicates share one). */
  rederived: number;
  /** Attempts with an outcome but no gate record: refused before the gate (a launch the spec cannot take). */
  withoutRecord: number;
  /** Records referenced but not checked (the caller read none: a stand-in gate). */
  unchecked: number;
}

export interface Throughput {
  /** Distinct candidates the gate gave a verdict on. */
  evaluated: number;
  /** The loop's own time (after the gate was prepared), summed over resumed sessions. */
  elapsedMs: number;
  perMinute: number;
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
  gateRecords: GateRecordsReport;
  throughput: Throughput;
  /** Where the record's events or an attempt's copy of the gate's figures disagree with what the records give. */
  mismatches: string[];
}

function sameBest(a: BestRef | undefined, b: BestRef | undefined): boolean {
  return a?.id === b?.id && (a === undefined || Math.abs(a.speedup - (b as BestRef).speedup) < 1e-12);
}

function refText(best: BestRef | undefined): string {
  return best ? `${best.id} ${best.speedup.toFixed(2)}×` : 'none';
}

/** What the gate decided and measured, as comparable values (the evidence path and compiler messages aside). */
function gateFigures(outcome: CandidateOutcome): Record<string, unknown> {
  if (outcome.verdict === 'accepted') {
    const t = outcome.timing;
    return { verdict: outcome.verdict, status: t.status, baselineMs: t.baselineMs, candidateMs: t.candidateMs, speedup: t.speedup, ciLow: t.ci.low, ciHigh: t.ci.high, confidence: t.ci.confidence, pValue: t.pValue, fractionOfRoofline: outcome.fractionOfRoofline, warnings: outcome.warnings };
  }
  return { verdict: outcome.verdict, stage: outcome.stage, reasons: outcome.reasons, failedProbes: outcome.failedProbes };
}

function outcomeDifferences(id: string, recorded: CandidateOutcome, rederived: CandidateOutcome): string[] {
  const a = gateFigures(recorded);
  const b = gateFigures(rederived);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => `${id}: ${key} is ${JSON.stringify(a[key])} in the attempt record, ${JSON.stringify(b[key])} re-derived from its gate record`);
}

/** Each attempt with the outcome its gate record gives (where one was read), and what disagrees. */
function withGateOutcomes(attempts: readonly AttemptRecord[], gateRecords: ReadonlyMap<string, GateRecordCheck>, mismatches: string[]): { attempts: AttemptRecord[]; report: GateRecordsReport } {
  const report: GateRecordsReport = { rederived: 0, withoutRecord: 0, unchecked: 0 };
  const seen = new Set<string>();
  const out = attempts.map((a) => {
    const evidence = a.outcome?.evidence;
    if (!a.outcome || a.duplicateOf) return a;
    if (evidence === undefined) {
      report.withoutRecord++;
      return a;
    }
    const check = gateRecords.get(evidence);
    if (!check) {
      report.unchecked++;
      return a;
    }
    if ('problem' in check) {
      mismatches.push(`${a.id}: its gate record cannot be re-derived: ${check.problem}`);
      return { ...a, outcome: undefined };
    }
    if (!seen.has(evidence)) {
      seen.add(evidence);
      report.rederived++;
      mismatches.push(...check.differences.map((d) => `${a.id}: gate record ${evidence}: ${d}`));
    }
    mismatches.push(...outcomeDifferences(a.id, a.outcome, check.outcome));
    return { ...a, outcome: check.outcome };
  });
  // A duplicate shares the outcome of the attempt it repeats.
  const byId = new Map(out.map((a) => [a.id, a]));
  return { attempts: out.map((a) => (a.duplicateOf && a.outcome ? { ...a, outcome: byId.get(a.duplicateOf)?.outcome ?? a.outcome } : a)), report };
}

function throughputOf(attempts: readonly AttemptRecord[], events: readonly RunEvent[]): Throughput {
  const evaluated = attempts.filter((a) => a.outcome && !a.duplicateOf).length;
  const elapsedMs = Math.max(0, ...attempts.map((a) => a.startedAtMs + a.durationMs), ...events.map((e) => e.elapsedMs));
  return { evaluated, elapsedMs, perMinute: elapsedMs > 0 ? evaluated / (elapsedMs / 60_000) : 0 };
}

/**
 * The report of a recorded run. `gateRecords`: the gate records the attempts reference (by `evidence`), read back
 * and re-derived; without them the attempts' own copies of the gate's figures are shown, marked unchecked.
 */
export function deriveReport(run: RecordedRun, gateRecords: ReadonlyMap<string, GateRecordCheck> = new Map()): RunReport {
  const { header, events } = run;
  const prices = header.options.prices;
  const mismatches: string[] = [];
  const { attempts, report: gateReport } = withGateOutcomes(run.attempts, gateRecords, mismatches);
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
      ...(a.duplicateOf ? { duplicateOf: a.duplicateOf } : {}),
      ...(a.outcome?.evidence ? { evidence: a.outcome.evidence } : {}),
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
    gateRecords: gateReport,
    throughput: throughputOf(attempts, events),
    mismatches,
  };
}

function gateRecordsLine(g: GateRecordsReport): string {
  const parts = [`${g.rederived} re-derived from their records`];
  if (g.unchecked) parts.push(`${g.unchecked} not checked (no gate records were read)`);
  if (g.withoutRecord) parts.push(`${g.withoutRecord} with no gate record to re-derive`);
  return `gate verdicts: ${parts.join(', ')}`;
}

export function formatReport(report: RunReport): string {
  const t = report.throughput;
  const lines = [
    `optimize run ${report.id}: ${report.kernel} in ${report.file}`,
    report.status,
    `result: ${report.message}`,
    `spend: ${formatSpend(report.spend)}`,
    `${gateRecordsLine(report.gateRecords)}; ${t.evaluated} candidate${t.evaluated === 1 ? '' : 's'} evaluated in ${(t.elapsedMs / 60_000).toFixed(1)} min (${t.perMinute.toFixed(1)} per minute)`,
    '',
  ];
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
