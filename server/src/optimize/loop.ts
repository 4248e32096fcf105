// The optimize loop: rounds of K candidates, each from one strategy chosen by the bandit, proposed in parallel
// and verified by the evaluator (which serializes the GPU); failures go back for a bounded repair; the best
// verified candidate seeds the next round. It does no I/O of its own: proposers, the evaluator and the record
// sink are given, and so is the clock. With the same seed and the same answers it makes the same choices, and a
// run given its earlier records replays them instead of asking again, then carries on.

import { gainReward, slotRandom, StrategyBandit } from './bandit';
import { addSpend, costOf, NO_SPEND, type Spend } from './budget';
import type { CandidateEvaluator, CandidateInput, CandidateOutcome, CandidateProfiler } from './evaluator';
import { isVerifiedGain } from './evaluator';
import { feedbackFor, needsRepair, resultLine } from './feedback';
import type { AttemptFeedback, OptimizeProblem, Parent, Proposal, Proposer, ProposalRequest, Tried } from './proposer';
import { attemptId, candidateDiff, candidateKey, type AttemptRecord, type BestRef, type LoopOptions, type RecordedRun, type RunSink, type StopReason } from './record';
import { STRATEGY_TITLES, type StrategyId } from './strategies';

export type LoopEvent =
  | { kind: 'round-start'; round: number; rounds: number; parent: string; parentSpeedup: number }
  | { kind: 'attempt-start'; id: string; strategy: StrategyId; proposer: 'llm' | 'search'; repair: boolean }
  | { kind: 'attempt-end'; record: AttemptRecord; line: string; replayed: boolean }
  | { kind: 'round-end'; round: number; best?: BestRef; spend: Spend; elapsedMs: number }
  /** The round's parent was profiled (or could not be): one line for the log. */
  | { kind: 'profile'; parent: string; line: string }
  | { kind: 'stop'; reason: StopReason; detail: string };

export interface LoopDeps {
  problem: OptimizeProblem;
  proposers: readonly Proposer[];
  evaluator: CandidateEvaluator;
  /** Profiles each round's parent once, for the prompts (present only where ncu runs). */
  profiler?: CandidateProfiler;
  sink: RunSink;
  options: LoopOptions;
  /** The records of an interrupted run of the same kernel and options: replayed, then the run continues. */
  resume?: Pick<RecordedRun, 'attempts' | 'events'>;
  signal?: AbortSignal;
  onEvent?: (event: LoopEvent) => void;
  /** Milliseconds; default performance.now. */
  now?: () => number;
}

export interface BestCandidate extends BestRef {
  record: AttemptRecord;
  outcome: Extract<CandidateOutcome, { verdict: 'accepted' }>;
}

export interface LoopResult {
  stop: { reason: StopReason; detail: string };
  best?: BestCandidate;
  /** Every attempt, replayed ones included, in attempt order. */
  attempts: AttemptRecord[];
  spend: Spend;
  elapsedMs: number;
  /** One sentence: the verified gain, or that none was found. */
  message: string;
}

class Stop extends Error {
  constructor(readonly reason: StopReason, readonly detail: string) {
    super(detail);
  }
}

/** Attempt order: by round, slot, then attempt (ids compare wrongly as text from round 100 on). */
/** Attempts in the order they were made (round, slot, attempt): ids compare wrongly as text from round 100 on. */
export const inAttemptOrder = (a: AttemptRecord, b: AttemptRecord) => a.round - b.round || a.slot - b.slot || a.attempt - b.attempt;

/** The best verified gain among `records` (ties: the earliest attempt), or undefined. */
export function bestOf(records: readonly AttemptRecord[]): BestCandidate | undefined {
  let best: BestCandidate | undefined;
  for (const record of [...records].sort(inAttemptOrder)) {
    const outcome = record.outcome;
    if (!isVerifiedGain(outcome)) continue;
    if (!best || outcome.timing.speedup > best.speedup) best = { id: record.id, speedup: outcome.timing.speedup, record, outcome };
  }
  return best;
}

export function resultMessage(best: BestCandidate | undefined, attempts: readonly AttemptRecord[]): string {
  if (best) {
    const t = best.outcome.timing;
    return `${t.speedup.toFixed(2)}× faster than the baseline (${(t.ci.confidence * 100).toFixed(0)} % CI ${t.ci.low.toFixed(2)}–${t.ci.high.toFixed(2)}×, p = ${t.pValue.toPrecision(2)}), verified by the gate: ${best.id} (${STRATEGY_TITLES[best.record.strategy]})`;
  }
  const evaluated = attempts.filter((a) => a.outcome && !a.duplicateOf);
  const accepted = evaluated.filter((a) => a.outcome?.verdict === 'accepted').length;
  return `nothing faster found: ${evaluated.length} candidate${evaluated.length === 1 ? '' : 's'} verified, ${accepted} correct but none significantly faster than the baseline, ${evaluated.length - accepted} rejected`;
}

/** Runs the loop to a stop rule; records every attempt through the sink as it ends. */
export async function runLoop(deps: LoopDeps): Promise<LoopResult> {
  const { problem, options, evaluator, sink } = deps;
  const now = deps.now ?? (() => performance.now());
  const outer = deps.signal ?? new AbortController().signal;
  const byStrategy = new Map<StrategyId, Proposer>();
  for (const proposer of deps.proposers) for (const s of proposer.strategies) if (!byStrategy.has(s)) byStrategy.set(s, proposer);
  if (byStrategy.size === 0) throw new Error('the optimize loop needs at least one proposer with at least one strategy');
  if (options.budgetUsd !== undefined) {
    const unpriced = deps.proposers.filter((p) => p.kind === 'llm' && (p.model === undefined || !options.prices?.[p.model]));
    if (unpriced.length) throw new Error(`a money budget needs the price of model ${unpriced.map((p) => p.model ?? '(unnamed)').join(', ')}: give its USD per million input and output tokens, or drop the budget`);
  }
  const bandit = new StrategyBandit([...byStrategy.keys()]);
  const prior = new Map((deps.resume?.attempts ?? []).map((a) => [a.id, a]));
  const baseline: Parent = { id: 'baseline', candidate: { source: problem.source }, speedup: 1, ...(problem.baseline.autotunePick ? { autotunePick: problem.baseline.autotunePick } : {}) };
  const seen = new Set<string>([candidateKey(baseline.candidate)]);
  const outcomes = new Map<string, { id: string; outcome: Promise<CandidateOutcome> }>();
  for (const a of prior.values()) {
    if (!a.candidate) continue;
    seen.add(a.candidate.key);
    if (a.outcome && !outcomes.has(a.candidate.key)) outcomes.set(a.candidate.key, { id: a.id, outcome: Promise.resolve(a.outcome) });
  }
  const elapsedBefore = Math.max(0, ...[...prior.values()].map((a) => a.startedAtMs + a.durationMs), ...(deps.resume?.events ?? []).map((e) => e.elapsedMs));
  const startedAt = now();
  const elapsed = () => elapsedBefore + (now() - startedAt);
  let spend: Spend = NO_SPEND;
  // In attempt order as built: rounds in turn, each round's slots in order, each slot's attempts in order.
  const attempts: AttemptRecord[] = [];
  const tried: Tried[] = [];
  const locks = new Map<Proposer, Promise<unknown>>();
  let pending: Stop | undefined;

  const emit = (event: LoopEvent) => deps.onEvent?.(event);
  const checkStop = (): void => {
    if (pending) throw pending;
    let stop: Stop | undefined;
    if (outer.aborted) stop = new Stop('cancelled', 'cancelled');
    else if (options.timeLimitMs !== undefined && elapsed() >= options.timeLimitMs) stop = new Stop('time', `the time limit of ${(options.timeLimitMs / 60000).toFixed(1)} min was reached`);
    else if (options.maxTokens !== undefined && spend.inputTokens + spend.outputTokens >= options.maxTokens) stop = new Stop('tokens', `the token budget of ${options.maxTokens} was spent`);
    else if (options.budgetUsd !== undefined && (spend.costUsd ?? 0) >= options.budgetUsd) stop = new Stop('budget', `the budget of $${options.budgetUsd} was spent`);
    if (stop) {
      pending = stop;
      throw stop;
    }
  };
  const serialized = <T>(proposer: Proposer, work: () => Promise<T>): Promise<T> => {
    if (!proposer.sequential) return work();
    const run = (locks.get(proposer) ?? Promise.resolve()).then(work, work);
    locks.set(proposer, run.catch(() => undefined));
    return run;
  };

  /** Turns a proposal into a record: dedupes, evaluates, prices. */
  const settle = async (proposal: Exclude<Proposal, { kind: 'exhausted' }>, base: Omit<AttemptRecord, 'notes' | 'durationMs'>, parent: Parent, signal: AbortSignal): Promise<AttemptRecord> => {
    const record: AttemptRecord = { ...base, notes: [], durationMs: 0 };
    if (proposal.exchange) {
      record.exchange = proposal.exchange;
      const cost = costOf(proposal.exchange.usage, proposal.exchange.model, options.prices);
      if (cost !== undefined) record.costUsd = cost;
    }
    if (proposal.kind === 'unusable') {
      record.problem = proposal.problem;
      return record;
    }
    record.notes = proposal.notes;
    if (proposal.description) record.description = proposal.description;
    const candidate: CandidateInput = proposal.candidate;
    const key = candidateKey(candidate);
    if (key === candidateKey(parent.candidate)) {
      record.problem = `it is identical to ${parent.id === 'baseline' ? 'the baseline' : `its parent ${parent.id}`}: nothing was changed`;
      return record;
    }
    record.candidate = { ...candidate, key, diff: candidateDiff(problem.file, problem.source, candidate) };
    const earlier = outcomes.get(key);
    if (earlier) {
      record.duplicateOf = earlier.id;
      record.outcome = await earlier.outcome;
      return record;
    }
    const evaluation = evaluator.evaluate({ id: record.id, strategy: record.strategy, ...candidate }, signal);
    outcomes.set(key, { id: record.id, outcome: evaluation });
    evaluation.catch(() => outcomes.delete(key));
    record.outcome = await evaluation;
    return record;
  };

  /** The bandit's choice of strategy and its proposal; a strategy with nothing left is set aside and another drawn. */
  const firstProposal = async (partial: Omit<ProposalRequest, 'strategy'>, random: () => number, signal: AbortSignal) => {
    const exhausted = new Set<StrategyId>();
    for (;;) {
      const strategy = bandit.choose(random, exhausted);
      if (!strategy) return undefined;
      checkStop();
      const proposer = byStrategy.get(strategy) as Proposer;
      const request: ProposalRequest = { ...partial, strategy };
      emit({ kind: 'attempt-start', id: request.id, strategy, proposer: proposer.kind, repair: false });
      const proposal = await serialized(proposer, async () => {
        const answer = await proposer.propose(request, signal);
        if (answer.kind === 'candidate') seen.add(candidateKey(answer.candidate));
        return answer;
      });
      if (proposal.kind !== 'exhausted') return { request, proposer, proposal };
      exhausted.add(strategy);
    }
  };

  /** The attempts of one slot; a stop rule or a cancel ends it with what it has, any other failure is thrown. */
  const runSlot = async (round: number, slot: number, parent: Parent, history: readonly Tried[], signal: AbortSignal): Promise<AttemptRecord[]> => {
    const records: AttemptRecord[] = [];
    try {
      await slotAttempts(round, slot, parent, history, signal, records);
    } catch (error) {
      if (!(error instanceof Stop) && !signal.aborted) throw error;
    }
    return records;
  };

  const slotAttempts = async (round: number, slot: number, parent: Parent, history: readonly Tried[], signal: AbortSignal, records: AttemptRecord[]): Promise<void> => {
    const random = slotRandom(options.seed, round, slot);
    let request: ProposalRequest | undefined;
    const earlier: AttemptFeedback[] = [];
    for (let attempt = 0; attempt <= options.maxRepairs; attempt++) {
      const id = attemptId(round, slot, attempt);
      let record = prior.get(id);
      if (record) {
        request ??= { id, problem, parent, strategy: record.strategy, tried: history, seen };
        emit({ kind: 'attempt-end', record, line: resultLine(record), replayed: true });
      } else {
        const start = elapsed();
        const began = now();
        let made: { request: ProposalRequest; proposer: Proposer; proposal: Exclude<Proposal, { kind: 'exhausted' }> } | undefined;
        if (!request) {
          made = await firstProposal({ id, problem, parent, tried: history, seen }, random, signal);
        } else {
          const proposer = byStrategy.get(request.strategy) as Proposer;
          if (!proposer.repair) return;
          checkStop();
          emit({ kind: 'attempt-start', id, strategy: request.strategy, proposer: proposer.kind, repair: true });
          const proposal = await proposer.repair({ ...request, id }, earlier, signal);
          if (proposal.kind === 'candidate') seen.add(candidateKey(proposal.candidate));
          if (proposal.kind !== 'exhausted') made = { request, proposer, proposal };
        }
        if (!made) return;
        request = made.request;
        const { proposer, proposal } = made;
        const base = { id, round, slot, attempt, strategy: request.strategy, proposer: proposer.kind, parent: parent.id, parentSpeedup: parent.speedup, startedAtMs: start };
        record = await settle(proposal, base, parent, signal);
        record.durationMs = now() - began;
        await sink.attempt(record);
        emit({ kind: 'attempt-end', record, line: resultLine(record), replayed: false });
      }
      spend = addSpend(spend, record.exchange?.usage ?? { inputTokens: 0, outputTokens: 0 }, record.exchange ? record.costUsd : 0);
      records.push(record);
      const proposer = byStrategy.get(record.strategy);
      if (!needsRepair(record) || !proposer?.repair) break;
      earlier.push({ proposal: recordedProposal(record), feedback: feedbackFor(record) });
    }
  };

  /**
   * The parent with its profile for the prompts. A round being replayed asks nothing new, so it is not profiled; a
   * failed profile is a log line, never the run's end.
   */
  const profileTried = new Set<string>();
  const profiled = async (round: number, of: Parent): Promise<Parent> => {
    if (!deps.profiler || profileTried.has(of.id) || [...prior.values()].some((a) => a.round === round)) return of;
    profileTried.add(of.id);
    let text: string | undefined;
    try {
      text = await deps.profiler.profile(of.id === 'baseline' ? undefined : of.candidate, outer);
    } catch (error) {
      checkStop();
      emit({ kind: 'profile', parent: of.id, line: `profiling ${of.id} failed: ${(error as Error).message}` });
      return of;
    }
    emit({ kind: 'profile', parent: of.id, line: text ? `profiled ${of.id} for the prompts` : `no live profile of ${of.id}` });
    return text ? { ...of, profile: text } : of;
  };

  let parent = baseline;
  let best: BestCandidate | undefined;
  let roundsWithoutGain = 0;
  let stop: Stop | undefined;
  try {
    if (options.rooflineTarget !== undefined && (evaluator.baseline.fractionOfRoofline ?? 0) >= options.rooflineTarget) {
      throw new Stop('roofline', `the baseline already runs at ${((evaluator.baseline.fractionOfRoofline ?? 0) * 100).toFixed(0)} % of the roofline (target ${(options.rooflineTarget * 100).toFixed(0)} %)`);
    }
    for (let round = 1; round <= options.rounds; round++) {
      checkStop();
      emit({ kind: 'round-start', round, rounds: options.rounds, parent: parent.id, parentSpeedup: parent.speedup });
      parent = await profiled(round, parent);
      const history = [...tried];
      const inner = new AbortController();
      const onAbort = () => inner.abort(outer.reason);
      outer.addEventListener('abort', onAbort, { once: true });
      const slots = Array.from({ length: options.candidatesPerRound }, (_, i) =>
        runSlot(round, i + 1, parent, history, inner.signal).catch((error: unknown) => {
          // A failure (not a stop rule) ends the round: the other slots are cancelled, their finished attempts kept.
          inner.abort(error);
          throw error;
        }),
      );
      const settled = await Promise.allSettled(slots);
      outer.removeEventListener('abort', onAbort);
      const perSlot = settled.map((s) => (s.status === 'fulfilled' ? s.value : []));
      const records = perSlot.flat();
      attempts.push(...records);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure && !outer.aborted) throw failure.reason;
      for (const slotRecords of perSlot) {
        const last = slotRecords.at(-1);
        if (last) bandit.update(last.strategy, gainReward(last.outcome, last.parentSpeedup));
      }
      for (const r of records) tried.push({ id: r.id, strategy: r.strategy, parent: r.parent, result: resultLine(r), ...(r.description ? { description: r.description } : {}), ...(r.candidate ? { source: r.candidate.source } : {}) });
      const roundBest = bestOf(records);
      if (roundBest && (!best || roundBest.speedup > best.speedup)) {
        best = roundBest;
        parent = { id: best.id, candidate: best.record.candidate as CandidateInput, speedup: best.speedup, ...(best.outcome.autotunePick ? { autotunePick: best.outcome.autotunePick } : {}) };
        roundsWithoutGain = 0;
      } else {
        roundsWithoutGain++;
      }
      const event = { kind: 'round-end' as const, round, ...(best ? { best: { id: best.id, speedup: best.speedup } } : {}), ...(roundBest ? { roundBest: { id: roundBest.id, speedup: roundBest.speedup } } : {}), spend, elapsedMs: elapsed() };
      await sink.event(event);
      emit({ kind: 'round-end', round, ...(event.best ? { best: event.best } : {}), spend, elapsedMs: event.elapsedMs });
      if (pending || outer.aborted) checkStop();
      if (records.length === 0) throw new Stop('exhausted', 'no strategy has anything left to propose');
      const fraction = best?.outcome.fractionOfRoofline;
      if (options.rooflineTarget !== undefined && fraction !== undefined && fraction >= options.rooflineTarget) {
        throw new Stop('roofline', `the best candidate runs at ${(fraction * 100).toFixed(0)} % of the roofline (target ${(options.rooflineTarget * 100).toFixed(0)} %)`);
      }
      if (options.patience !== undefined && roundsWithoutGain >= options.patience) throw new Stop('no-gain', `no new best in ${roundsWithoutGain} round${roundsWithoutGain === 1 ? '' : 's'}`);
    }
    stop = new Stop('rounds', `all ${options.rounds} rounds ran`);
  } catch (error) {
    if (error instanceof Stop) stop = error;
    else if (outer.aborted) stop = new Stop('cancelled', 'cancelled');
    else {
      await sink.event({ kind: 'stop', reason: 'error', detail: (error as Error).message, ...(best ? { best: { id: best.id, speedup: best.speedup } } : {}), spend, elapsedMs: elapsed() });
      throw error;
    }
  }
  best = bestOf(attempts);
  await sink.event({ kind: 'stop', reason: stop.reason, detail: stop.detail, ...(best ? { best: { id: best.id, speedup: best.speedup } } : {}), spend, elapsedMs: elapsed() });
  emit({ kind: 'stop', reason: stop.reason, detail: stop.detail });
  return { stop: { reason: stop.reason, detail: stop.detail }, ...(best ? { best } : {}), attempts, spend, elapsedMs: elapsed(), message: resultMessage(best, attempts) };
}

/** The proposal an attempt record came from, for the repair conversation (also after a resume). */
function recordedProposal(record: AttemptRecord): Proposal {
  if (record.candidate) {
    const { key: _key, diff: _diff, ...candidate } = record.candidate;
    return { kind: 'candidate', candidate, notes: record.notes, ...(record.exchange ? { exchange: record.exchange } : {}) };
  }
  return { kind: 'unusable', problem: record.problem ?? 'unusable answer', ...(record.exchange ? { exchange: record.exchange } : {}) };
}
