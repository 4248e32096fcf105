// The optimize loop on a stand-in gate (FakeEvaluator) and scripted proposers: selection, repairs, the bandit,
// budget accounting, every stop rule, cancel, and resume from the records of an interrupted run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getEventListeners } from 'node:events';
import { bestOf, runLoop, type LoopDeps, type LoopEvent, type LoopResult } from '../../server/src/optimize/loop';
import type { AttemptFeedback, Proposal, ProposalRequest, Proposer } from '../../server/src/optimize/proposer';
import { attemptId, candidateKey, type AttemptRecord } from '../../server/src/optimize/record';
import type { LoopOptions } from '../../server/src/optimize/record';
import { MODEL_STRATEGIES } from '../../server/src/optimize/strategies';
import { accepted, FakeEvaluator, MemorySink, rejected, ScriptedProposer, vectorAddProblem } from './optimize-helpers';

const T = { timeout: 60_000 };
const OPTIONS: LoopOptions = { rounds: 2, candidatesPerRound: 3, seed: 7, maxRepairs: 1 };

async function run(proposer: Proposer, evaluator: FakeEvaluator, options: Partial<LoopOptions> = {}, extra: Partial<LoopDeps> = {}): Promise<{ result: LoopResult; sink: MemorySink }> {
  const sink = (extra.sink as MemorySink | undefined) ?? new MemorySink();
  const result = await runLoop({ problem: await vectorAddProblem(), proposers: [proposer], evaluator, sink, options: { ...OPTIONS, ...options }, ...extra });
  return { result, sink };
}

/** `inner` with each proposal taking `ms` on `clock`. */
function ticking(inner: Proposer, clock: { ms: number }, ms: number): Proposer {
  return { kind: inner.kind, strategies: inner.strategies, ...(inner.model ? { model: inner.model } : {}), propose: async (request, signal) => {
    clock.ms += ms;
    return inner.propose(request, signal);
  } };
}

/** The round and slot of a request, from its attempt id (`r01-c02-a0`). */
const roundOf = (r: { id: string }) => Number(r.id.slice(1, 3));
const slotOf = (r: { id: string }) => Number(r.id.slice(5, 7));

const strategiesOf = (result: LoopResult) => result.attempts.map((a) => `${a.id}:${a.strategy}`);

test('the best verified candidate seeds the next round; cheats, slower and rejected ones never become best', T, async () => {
  const proposer = new ScriptedProposer(['memory-coalescing', 'shared-memory-tiling'], (r) =>
    r.id.startsWith('r01') ? ({ 'r01-c01-a0': 'SPEED=1.30', 'r01-c02-a0': 'CHEAT zeros', 'r01-c03-a0': 'SPEED=0.80' } as Record<string, string>)[r.id] : `SPEED=1.60 from ${r.parent.id}`,
  );
  const evaluator = new FakeEvaluator([['CHEAT', rejected('probes', 'match', 'outputs differ from the baseline in 4096 of 4096 elements')]]);
  const { result, sink } = await run(proposer, evaluator, { maxRepairs: 0 });
  assert.equal(result.stop.reason, 'rounds');
  assert.equal(result.best?.id, 'r02-c01-a0');
  assert.equal(result.best?.speedup, 1.6);
  for (const r of proposer.requests.filter((q) => q.id.startsWith('r02'))) {
    assert.equal(r.parent.id, 'r01-c01-a0', 'round 2 starts from the best of round 1');
    assert.match(r.parent.candidate.source, /SPEED=1\.30/);
    assert.ok(r.tried.some((t) => t.id === 'r01-c02-a0' && /rejected at probes \(match\)/.test(t.result)), 'the history tells the model about the cheat');
  }
  assert.match(result.message, /^1\.60× faster than the baseline .*verified by the gate: r02-c01-a0/);
  assert.equal(sink.attempts.length, 6);
  assert.ok(sink.attempts.every((a) => a.candidate?.diff.includes('+  // ')), 'every candidate has its diff against the baseline');
  assert.deepEqual(sink.events.map((e) => e.kind), ['round-end', 'round-end', 'stop']);
  assert.deepEqual(sink.events.map((e) => e.best?.id), ['r01-c01-a0', 'r02-c01-a0', 'r02-c01-a0'], 'each round-end and the stop record the best so far');
});

test('a compile error and failed probes go back for a bounded repair; the repaired candidate counts', T, async () => {
  const proposer = new ScriptedProposer(['memory-coalescing'], (_r, attempt) => (attempt === 0 ? 'BROKEN' : attempt === 1 ? 'WRONG' : 'SPEED=1.25'));
  const evaluator = new FakeEvaluator([
    ['BROKEN', rejected('compile', undefined, "identifier 'x4' is undefined")],
    ['WRONG', rejected('probes', 'written', '2048 elements of c were never written')],
  ]);
  const { result } = await run(proposer, evaluator, { rounds: 1, candidatesPerRound: 1, maxRepairs: 2 });
  assert.deepEqual(result.attempts.map((a) => a.id), ['r01-c01-a0', 'r01-c01-a1', 'r01-c01-a2']);
  assert.match(proposer.feedback[0], /did not compile:\n- line 5: error: identifier 'x4' is undefined/);
  assert.match(proposer.feedback[1], /correctness probes rejected it:\n- written: 2048 elements/);
  assert.equal(result.best?.id, 'r01-c01-a2');

  const stubborn = new ScriptedProposer(['memory-coalescing'], () => 'BROKEN');
  const bounded = await run(stubborn, evaluator, { rounds: 1, candidatesPerRound: 1, maxRepairs: 2 });
  assert.equal(bounded.result.attempts.length, 3, 'one proposal and two repairs, no more');
  assert.equal(bounded.result.best, undefined);
  assert.match(bounded.result.message, /^nothing faster found: 1 candidate verified, 0 correct but none significantly faster than the baseline, 1 rejected/);
});

test('the same seed and answers give the same choices; another seed gives others', T, async () => {
  const answer = (r: { id: string; strategy: string }) => `SPEED=${r.strategy === 'fusion' ? '1.5' : '0.9'} ${r.id}`;
  const a = await run(new ScriptedProposer(MODEL_STRATEGIES, answer), new FakeEvaluator([]), { rounds: 3 });
  const b = await run(new ScriptedProposer(MODEL_STRATEGIES, answer), new FakeEvaluator([]), { rounds: 3 });
  const c = await run(new ScriptedProposer(MODEL_STRATEGIES, answer), new FakeEvaluator([]), { rounds: 3, seed: 8 });
  assert.deepEqual(strategiesOf(a.result), strategiesOf(b.result));
  assert.notDeepEqual(strategiesOf(a.result), strategiesOf(c.result));
});

test('the bandit turns to the strategy that keeps paying', T, async () => {
  const proposer = new ScriptedProposer(MODEL_STRATEGIES, (r) => `SPEED=${(r.parent.speedup * (r.strategy === 'shared-memory-tiling' ? 1.4 : 0.95)).toFixed(4)} ${r.id}`);
  const { result } = await run(proposer, new FakeEvaluator([]), { rounds: 10, candidatesPerRound: 3 });
  const late = result.attempts.filter((a) => a.round > 6);
  const tiling = late.filter((a) => a.strategy === 'shared-memory-tiling').length;
  assert.ok(tiling >= late.length / 2, `tiling chosen ${tiling} of ${late.length} times in rounds 7-10`);
  assert.ok((result.best?.speedup ?? 0) > 2, `best ${result.best?.speedup}`);
});

test('a candidate proposed twice is evaluated once; the duplicate shares its outcome', T, async () => {
  const proposer = new ScriptedProposer(['memory-coalescing'], () => 'SPEED=1.2 same');
  const evaluator = new FakeEvaluator([]);
  const { result } = await run(proposer, evaluator, { rounds: 1, candidatesPerRound: 3 });
  assert.equal(evaluator.calls.length, 1);
  assert.equal(result.attempts.filter((a) => a.duplicateOf).length, 2);
  assert.equal(result.best?.id, 'r01-c01-a0');
});

test('stop rules: tokens, money, time, roofline, no gain, nothing left, and a money budget needs a price', T, async () => {
  const slow = () => new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=0.9 ${r.id}`, 1000);
  const one = { rounds: 10, candidatesPerRound: 1, maxRepairs: 0 };
  // Each limit is set to exactly what three attempts spend: reaching it stops the run, as passing it does.
  const tokens = await run(slow(), new FakeEvaluator([]), { ...one, maxTokens: 3000 });
  assert.equal(tokens.result.stop.reason, 'tokens');
  assert.equal(tokens.result.attempts.length, 3);
  assert.equal(tokens.result.spend.inputTokens + tokens.result.spend.outputTokens, 3000);

  const prices = { scripted: { inputPerMillion: 1, outputPerMillion: 1 } };
  const money = await run(slow(), new FakeEvaluator([]), { ...one, budgetUsd: 0.003, prices });
  assert.equal(money.result.stop.reason, 'budget');
  assert.equal(money.result.attempts.length, 3);
  assert.ok(Math.abs((money.result.spend.costUsd ?? 0) - 0.003) < 1e-12);
  await assert.rejects(run(slow(), new FakeEvaluator([]), { ...one, budgetUsd: 1 }), /a money budget needs the price of model scripted/);

  // The clock reads 50 s when the loop starts and each proposal takes 1 s: the limit counts the loop's own time.
  const clock = { ms: 50_000 };
  const time = await run(ticking(slow(), clock, 1000), new FakeEvaluator([]), { ...one, timeLimitMs: 3000 }, { now: () => clock.ms });
  assert.equal(time.result.stop.reason, 'time');
  assert.deepEqual(time.result.attempts.map((a) => [a.startedAtMs, a.durationMs]), [[0, 1000], [1000, 1000], [2000, 1000]]);
  assert.equal(time.result.elapsedMs, 3000);

  const roof = await run(new ScriptedProposer(['memory-coalescing'], () => 'SPEED=1.3@0.95'), new FakeEvaluator([]), { ...one, rooflineTarget: 0.9 });
  assert.equal(roof.result.stop.reason, 'roofline');
  assert.equal(roof.result.attempts.length, 1);
  const already = await run(slow(), new FakeEvaluator([]), { ...one, rooflineTarget: 0.5 });
  assert.equal(already.result.stop.reason, 'roofline');
  assert.equal(already.result.attempts.length, 0);
  assert.match(already.result.stop.detail, /baseline already runs at 60 %/);

  const patience = await run(slow(), new FakeEvaluator([]), { ...one, patience: 2 });
  assert.equal(patience.result.stop.reason, 'no-gain');
  assert.equal(patience.result.attempts.length, 2);

  const empty: Proposer = { kind: 'search', strategies: ['block-size', 'unroll-pragmas'], propose: async (): Promise<Proposal> => ({ kind: 'exhausted', reason: 'none' }) };
  const exhausted = await run(empty, new FakeEvaluator([]), one);
  assert.equal(exhausted.result.stop.reason, 'exhausted');
});

test('cancel stops in-flight evaluations at once and records the run as cancelled', T, async () => {
  const controller = new AbortController();
  const evaluator = new FakeEvaluator([], accepted(1.1), undefined, 60_000);
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const { result, sink } = await run(new ScriptedProposer(['memory-coalescing'], (r) => `x ${r.id}`), evaluator, {}, { signal: controller.signal });
  assert.ok(Date.now() - started < 20_000, 'the 60 s evaluations were cut short (the margin is for a loaded machine)');
  assert.equal(result.stop.reason, 'cancelled');
  assert.equal(result.attempts.length, 0);
  assert.deepEqual(sink.events.at(-1), { ...sink.events.at(-1), kind: 'stop', reason: 'cancelled' });
});

test('a run interrupted mid-round resumes from its records and ends as an uninterrupted one would', T, async () => {
  const answer = (r: { id: string; strategy: string; parent: { speedup: number } }) => `SPEED=${(r.parent.speedup * (r.strategy === 'fusion' || r.strategy === 'tensor-cores' ? 1.3 : 0.97)).toFixed(4)} ${r.id}`;
  const options = { rounds: 4, candidatesPerRound: 2, maxRepairs: 0 };
  const whole = await run(new ScriptedProposer(MODEL_STRATEGIES, answer), new FakeEvaluator([]), options);

  const controller = new AbortController();
  const sink = new MemorySink();
  const interruptAfter3: MemorySink = Object.assign(Object.create(MemorySink.prototype) as MemorySink, sink, {
    attempt: async (record: Parameters<MemorySink['attempt']>[0]) => {
      await sink.attempt(record);
      if (sink.attempts.length === 3) controller.abort();
    },
  });
  const first = await run(new ScriptedProposer(MODEL_STRATEGIES, answer), new FakeEvaluator([], accepted(1), undefined, 10), options, { sink: interruptAfter3, signal: controller.signal });
  assert.equal(first.result.stop.reason, 'cancelled');
  assert.equal(sink.attempts.length, 3);

  const again = new ScriptedProposer(MODEL_STRATEGIES, answer);
  const resumed = await run(again, new FakeEvaluator([]), options, { resume: { attempts: sink.attempts, events: sink.events } });
  assert.equal(again.requests.length, whole.result.attempts.length - 3, 'recorded attempts are replayed, not asked again');
  assert.deepEqual(strategiesOf(resumed.result), strategiesOf(whole.result));
  assert.equal(resumed.result.best?.id, whole.result.best?.id);
  assert.deepEqual(resumed.result.spend, whole.result.spend);
});

test('a broken proposer ends the run with an error event; finished attempts stay recorded', T, async () => {
  const proposer = new ScriptedProposer(['memory-coalescing'], (r) => {
    if (r.id === 'r01-c02-a0') throw new Error('endpoint down');
    return `SPEED=1.1 ${r.id}`;
  });
  const sink = new MemorySink();
  await assert.rejects(run(proposer, new FakeEvaluator([]), { maxRepairs: 0 }, { sink }), /endpoint down/);
  assert.equal(sink.events.at(-1)?.kind, 'stop');
  assert.equal((sink.events.at(-1) as { reason: string }).reason, 'error');

  const later = new ScriptedProposer(['memory-coalescing'], (r) => {
    if (r.id === 'r02-c02-a0') throw new Error('endpoint down');
    return `SPEED=1.1 ${r.id}`;
  });
  const laterSink = new MemorySink();
  await assert.rejects(run(later, new FakeEvaluator([]), { maxRepairs: 0 }, { sink: laterSink }), /endpoint down/);
  assert.deepEqual(laterSink.events.at(-1), { ...laterSink.events.at(-1), reason: 'error', best: { id: 'r01-c01-a0', speedup: 1.1 } }, 'the error event keeps the best found before it');
});

/** A proposer that answers `answer(request)`'s marker after a short pause, or waits for the cancel on 'hang'. */
class PausingProposer implements Proposer {
  readonly model = 'scripted';
  readonly requests: ProposalRequest[] = [];
  readonly repairs: Array<readonly AttemptFeedback[]> = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    readonly strategies: Proposer['strategies'],
    private readonly answer: (request: ProposalRequest) => string,
    readonly kind: Proposer['kind'] = 'llm',
    readonly sequential = false,
  ) {}

  async propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal> {
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const marker = this.answer(request);
      await new Promise((resolve, reject) => {
        if (marker !== 'hang') setTimeout(resolve, 5);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
      return { kind: 'candidate', candidate: { source: request.parent.candidate.source.replace('int i = blockIdx.x', `// ${marker}\n  int i = blockIdx.x`) }, notes: [] };
    } finally {
      this.inFlight--;
    }
  }
}

test('bestOf: the highest verified gain, the earliest attempt on a tie (round 11 before round 100), and the caller\'s list left as it was', T, async () => {
  const record = (round: number, slot: number, attempt: number, speedup: number): AttemptRecord => ({ id: attemptId(round, slot, attempt), round, slot, attempt, strategy: 'fusion', proposer: 'llm', parent: 'baseline', parentSpeedup: 1, notes: [], durationMs: 0, startedAtMs: 0, outcome: accepted(speedup) });
  const records = [record(100, 1, 0, 1.5), record(11, 2, 0, 1.5), record(11, 1, 2, 1.5), record(11, 1, 1, 1.5), record(3, 1, 0, 1.2), record(101, 1, 0, 0.9)];
  const ids = records.map((r) => r.id);
  assert.equal(bestOf(records)?.id, 'r11-c01-a1');
  assert.deepEqual(records.map((r) => r.id), ids);
  assert.equal(bestOf([record(1, 1, 0, 1.0)]), undefined, 'no significant gain is no best');
});

test('proposers: none is refused; the first one listed owns a shared strategy; a search needs no price under a money budget', T, async () => {
  const problem = await vectorAddProblem();
  await assert.rejects(runLoop({ problem, proposers: [], evaluator: new FakeEvaluator([]), sink: new MemorySink(), options: OPTIONS }), /needs at least one proposer/);

  const first = new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=1.1 ${r.id}`);
  const second = new ScriptedProposer(['memory-coalescing', 'fusion'], (r) => `SPEED=1.2 ${r.id}`);
  const result = await runLoop({ problem, proposers: [first, second], evaluator: new FakeEvaluator([]), sink: new MemorySink(), options: { ...OPTIONS, rounds: 3, maxRepairs: 0 } });
  assert.ok(first.requests.length > 0 && first.requests.every((r) => r.strategy === 'memory-coalescing'));
  assert.ok(second.requests.every((r) => r.strategy === 'fusion'), 'the second proposer is asked only for the strategy the first lacks');
  assert.equal(result.attempts.length, 9);

  const search = new PausingProposer(['block-size'], (r) => `SPEED=1.1 ${r.id}`, 'search');
  const budgeted = await runLoop({ problem, proposers: [search], evaluator: new FakeEvaluator([]), sink: new MemorySink(), options: { ...OPTIONS, rounds: 1, budgetUsd: 1 } });
  assert.equal(budgeted.stop.reason, 'rounds');
});

test('round one starts from the baseline, which counts as seen; a candidate identical to its parent is not evaluated', T, async () => {
  const problem = await vectorAddProblem();
  const unchanged: Proposer = { kind: 'llm', strategies: ['fusion'], propose: async (request) => ({ kind: 'candidate', candidate: request.parent.candidate, notes: [] }) };
  const requests: ProposalRequest[] = [];
  // `seen` as it was when the proposer was asked (the loop adds each answer to it afterwards).
  const spy: Proposer = { ...unchanged, propose: async (request, signal) => (requests.push({ ...request, seen: new Set(request.seen) }), unchanged.propose(request, signal)) };
  const evaluator = new FakeEvaluator([]);
  const { result } = await run(spy, evaluator, { rounds: 1, candidatesPerRound: 1, maxRepairs: 0 });
  assert.equal(requests[0].parent.id, 'baseline');
  assert.ok(requests[0].seen.has(candidateKey({ source: problem.source })), 'a search is told the baseline is already made');
  assert.equal(evaluator.calls.length, 0);
  assert.equal(result.attempts[0].candidate, undefined);
  assert.match(result.attempts[0].problem ?? '', /identical to the baseline/);
});

test('the roofline target: a baseline exactly at it stops at once; a best below it carries on; a best exactly at it stops', T, async () => {
  const one = { rounds: 3, candidatesPerRound: 1, maxRepairs: 0 };
  const at = await run(new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=1.1 ${r.id}`), new FakeEvaluator([]), { ...one, rooflineTarget: 0.6 });
  assert.equal(at.result.stop.reason, 'roofline');
  assert.equal(at.result.attempts.length, 0);

  const below = await run(new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=${roundOf(r) === 2 ? '1.3@0.9' : '1.2@0.8'} ${r.id}`), new FakeEvaluator([]), { ...one, rooflineTarget: 0.9 });
  assert.equal(below.result.stop.reason, 'roofline');
  assert.equal(below.result.attempts.length, 2, 'round 1 reached 80 % of a 90 % target; round 2 reached it exactly');
});

test('a round whose best is no better than the best so far neither replaces the parent nor counts as a gain', T, async () => {
  const speeds: Record<number, string> = { 1: '1.30', 2: '1.30', 3: '1.10' };
  const proposer = new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=${speeds[roundOf(r)] ?? '1.05'} ${r.id}`);
  const { result, sink } = await run(proposer, new FakeEvaluator([]), { rounds: 5, candidatesPerRound: 1, maxRepairs: 0, patience: 2 });
  assert.equal(result.stop.reason, 'no-gain');
  assert.equal(result.attempts.length, 3);
  assert.deepEqual(proposer.requests.map((r) => r.parent.id), ['baseline', 'r01-c01-a0', 'r01-c01-a0']);
  // The record keeps each round's own best beside the best so far.
  const rounds = sink.events.filter((e) => e.kind === 'round-end');
  assert.deepEqual(rounds.map((e) => [e.best?.id, e.roundBest?.id]), [['r01-c01-a0', 'r01-c01-a0'], ['r01-c01-a0', 'r02-c01-a0'], ['r01-c01-a0', 'r03-c01-a0']]);
});

test('a sequential proposer is asked one slot at a time; any other is asked for every slot at once', T, async () => {
  const answer = (r: ProposalRequest) => `SPEED=1.1 ${r.id}`;
  const sequential = new PausingProposer(['block-size'], answer, 'search', true);
  await run(sequential, new FakeEvaluator([]), { rounds: 1, candidatesPerRound: 3, maxRepairs: 0 });
  assert.equal(sequential.maxInFlight, 1);
  assert.deepEqual(sequential.requests.map((r) => r.id), ['r01-c01-a0', 'r01-c02-a0', 'r01-c03-a0']);
  const parallel = new PausingProposer(['block-size'], answer, 'search');
  await run(parallel, new FakeEvaluator([]), { rounds: 1, candidatesPerRound: 3, maxRepairs: 0 });
  assert.equal(parallel.maxInFlight, 3);
});

test('a stop rule met mid-round keeps the attempts made; the first rule met is the reason; a limit passed in the last round does not relabel it', T, async () => {
  // Slot 1's first attempt spends the token budget and its repair is refused; slot 2's evaluation meanwhile runs
  // past the time limit. Both slots' attempts count, and the run stopped for tokens.
  const clock = { ms: 0 };
  const evaluator = new FakeEvaluator([['BROKEN', rejected('compile', undefined, 'x')]]);
  const slowGate = Object.assign(Object.create(FakeEvaluator.prototype) as FakeEvaluator, evaluator, {
    evaluate: async (request: Parameters<FakeEvaluator['evaluate']>[0], signal: AbortSignal) => {
      if (request.source.includes('SLOW')) await new Promise((resolve) => setTimeout(resolve, 20)).then(() => (clock.ms += 60_000));
      return evaluator.evaluate(request, signal);
    },
  });
  const proposer = new ScriptedProposer(['memory-coalescing'], (r) => (slotOf(r) === 1 ? 'BROKEN' : `SPEED=1.2 SLOW ${r.id}`));
  const mid = await run(proposer, slowGate, { rounds: 3, candidatesPerRound: 2, maxRepairs: 2, maxTokens: 1000, timeLimitMs: 30_000 }, { now: () => clock.ms });
  assert.equal(mid.result.stop.reason, 'tokens');
  assert.deepEqual(mid.result.attempts.map((a) => a.id), ['r01-c01-a0', 'r01-c02-a0']);

  const last = { ms: 0 };
  const finished = await run(ticking(new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=1.2 ${r.id}`), last, 1000), new FakeEvaluator([]), { rounds: 1, candidatesPerRound: 1, maxRepairs: 0, timeLimitMs: 500 }, { now: () => last.ms });
  assert.equal(finished.result.stop.reason, 'rounds');
  assert.equal(finished.result.best?.id, 'r01-c01-a0');
});

test('a repair is shown the candidate or the unusable answer that failed, with its exchange', T, async () => {
  const proposer = new ScriptedProposer(['memory-coalescing'], (_r, attempt) => (attempt === 0 ? undefined : attempt === 1 ? 'BROKEN' : 'SPEED=1.2'));
  const earlier: Array<readonly AttemptFeedback[]> = [];
  const repair = proposer.repair.bind(proposer);
  proposer.repair = async (request, feedback) => (earlier.push([...feedback]), repair(request, feedback));
  const { result } = await run(proposer, new FakeEvaluator([['BROKEN', rejected('compile', undefined, 'x')]]), { rounds: 1, candidatesPerRound: 1, maxRepairs: 2 });
  assert.deepEqual(result.attempts[0].notes, [], 'an unusable answer has no notes of its own');
  const [unusable, broken] = earlier[1].map((e) => e.proposal);
  assert.equal(unusable.kind, 'unusable');
  assert.equal(unusable.kind === 'unusable' && unusable.problem, 'no code block');
  assert.equal(unusable.kind === 'unusable' && unusable.exchange?.response, 'no idea');
  assert.equal(broken.kind, 'candidate');
  assert.match(broken.kind === 'candidate' ? broken.candidate.source : '', /\/\/ BROKEN/);
  assert.equal(broken.kind === 'candidate' && broken.exchange?.response, 'BROKEN');
  assert.equal(result.best?.id, 'r01-c01-a2');
});

test('resume: a recorded candidate is not evaluated again, an interrupted repair goes on as a repair, and a killed run\'s time counts', T, async () => {
  // Interrupted after slot 1's attempt while slot 2 was still asking; on resume slot 2 proposes the same candidate.
  const controller = new AbortController();
  const sink = new MemorySink();
  const stopAfterFirst = Object.assign(Object.create(MemorySink.prototype) as MemorySink, sink, { attempt: async (record: AttemptRecord) => (await sink.attempt(record), controller.abort()) });
  const options = { rounds: 1, candidatesPerRound: 2, maxRepairs: 0 };
  await run(new PausingProposer(['memory-coalescing'], (r) => (slotOf(r) === 1 ? 'SPEED=1.2 same' : 'hang')), new FakeEvaluator([]), options, { sink: stopAfterFirst, signal: controller.signal });
  assert.deepEqual(sink.attempts.map((a) => a.id), ['r01-c01-a0']);
  const evaluator = new FakeEvaluator([]);
  const again = new PausingProposer(['memory-coalescing'], () => 'SPEED=1.2 same');
  const resumed = await run(again, evaluator, options, { resume: { attempts: sink.attempts, events: sink.events } });
  assert.ok(again.requests[0].seen.has(sink.attempts[0].candidate?.key ?? ''), 'the recorded candidate counts as seen');
  assert.equal(evaluator.calls.length, 0);
  assert.equal(resumed.result.attempts[1].duplicateOf, 'r01-c01-a0');

  // Interrupted after a rejected first attempt, before its repair.
  const repairing = new AbortController();
  const repairSink = new MemorySink();
  const stopAfterBroken = Object.assign(Object.create(MemorySink.prototype) as MemorySink, repairSink, { attempt: async (record: AttemptRecord) => (await repairSink.attempt(record), repairing.abort()) });
  const broken = (_r: ProposalRequest, attempt: number) => (attempt === 0 ? 'BROKEN' : 'SPEED=1.2');
  const gate = new FakeEvaluator([['BROKEN', rejected('compile', undefined, 'x')]]);
  const repairOptions = { rounds: 1, candidatesPerRound: 1, maxRepairs: 1 };
  await run(new ScriptedProposer(['memory-coalescing'], broken), gate, repairOptions, { sink: stopAfterBroken, signal: repairing.signal });
  assert.deepEqual(repairSink.attempts.map((a) => a.id), ['r01-c01-a0']);
  const repairer = new ScriptedProposer(['memory-coalescing'], broken);
  const repaired = await run(repairer, gate, repairOptions, { resume: { attempts: repairSink.attempts, events: repairSink.events } });
  assert.equal(repairer.feedback.length, 1, 'the recorded attempt goes back as feedback');
  assert.equal(repaired.result.best?.id, 'r01-c01-a1');

  // Killed (no events written) after two 1-s attempts: one more fits a 3-s limit.
  const clock = { ms: 10_000 };
  const killed = new AbortController();
  const killedSink = new MemorySink();
  const killAfter2 = Object.assign(Object.create(MemorySink.prototype) as MemorySink, killedSink, { attempt: async (record: AttemptRecord) => (await killedSink.attempt(record), killedSink.attempts.length === 2 && killed.abort()) });
  const one = { rounds: 10, candidatesPerRound: 1, maxRepairs: 0, timeLimitMs: 3000 };
  const answer = (r: ProposalRequest) => `SPEED=0.9 ${r.id}`;
  await run(ticking(new ScriptedProposer(['memory-coalescing'], answer), clock, 1000), new FakeEvaluator([]), one, { sink: killAfter2, signal: killed.signal, now: () => clock.ms });
  const later = { ms: 90_000 };
  const rest = await run(ticking(new ScriptedProposer(['memory-coalescing'], answer), later, 1000), new FakeEvaluator([]), one, { resume: { attempts: killedSink.attempts, events: [] }, now: () => later.ms });
  assert.equal(rest.result.stop.reason, 'time');
  assert.equal(rest.result.attempts.length, 3);
  assert.equal(rest.result.elapsedMs, 3000);
});

test('a cancel that makes the progress callback fail still ends the run as cancelled; no listener is left on the caller\'s signal', T, async () => {
  const controller = new AbortController();
  const onEvent = (event: LoopEvent) => {
    if (controller.signal.aborted && event.kind === 'round-end') throw new Error('the panel is gone');
  };
  const { result } = await run(new ScriptedProposer(['memory-coalescing'], (r) => (controller.abort(), `SPEED=1.1 ${r.id}`)), new FakeEvaluator([]), { rounds: 2, candidatesPerRound: 1, maxRepairs: 0 }, { signal: controller.signal, onEvent });
  assert.equal(result.stop.reason, 'cancelled');

  const kept = new AbortController();
  await run(new ScriptedProposer(['memory-coalescing'], (r) => `SPEED=1.1 ${r.id}`), new FakeEvaluator([]), { rounds: 3, candidatesPerRound: 1, maxRepairs: 0 }, { signal: kept.signal });
  assert.equal(getEventListeners(kept.signal, 'abort').length, 0);
});

test('with a profiler, each round\'s parent is profiled once and its block reaches the proposals; a failing profile is a log line', T, async () => {
  const proposer = new ScriptedProposer(['memory-coalescing'], (r) => (r.id.startsWith('r01') ? 'SPEED=1.30' : `SPEED=1.10 from ${r.parent.id}`));
  const profiled: string[] = [];
  const profiler = {
    async profile(candidate: { source: string } | undefined) {
      profiled.push(candidate ? (/SPEED=[\d.]+/.exec(candidate.source)?.[0] ?? '?') : 'baseline');
      if (candidate) throw new Error('ncu timed out');
      return 'memory-bound: 91 % of peak; hint: uncoalesced load';
    },
  };
  const events: string[] = [];
  const { result } = await run(proposer, new FakeEvaluator([]), { rounds: 3, candidatesPerRound: 1, maxRepairs: 0 }, { profiler, onEvent: (e) => void (e.kind === 'profile' && events.push(e.line)) });
  assert.equal(result.best?.id, 'r01-c01-a0');
  // The baseline for round 1; round 1's best for rounds 2 and 3, asked once (it failed: not asked again).
  assert.deepEqual(profiled, ['baseline', 'SPEED=1.30']);
  assert.equal(proposer.requests.find((r) => r.id === 'r01-c01-a0')?.parent.profile, 'memory-bound: 91 % of peak; hint: uncoalesced load');
  assert.equal(proposer.requests.find((r) => r.id === 'r02-c01-a0')?.parent.profile, undefined);
  assert.deepEqual(events, ['profiled baseline for the prompts', 'profiling r01-c01-a0 failed: ncu timed out']);
});

test('an autotuned kernel\'s pick goes with its parent: the baseline\'s in round one, the best candidate\'s after it', async () => {
  const problem = await vectorAddProblem();
  const basePick = { kwargs: { BLOCK: 128 }, numWarps: 4, numStages: 3 };
  const candidatePick = { kwargs: { BLOCK: 256 }, numWarps: 8, numStages: 3 };
  const evaluator = new FakeEvaluator([['PICKED', { ...accepted(1.5), autotunePick: candidatePick }]]);
  const proposer = new ScriptedProposer(['memory-coalescing'], (r) => (roundOf(r) === 1 ? `PICKED ${r.id}` : `SPEED=1.1 ${r.id}`));
  // What each proposal says it changed goes into the next rounds' history with its source.
  const describing: Proposer = { kind: proposer.kind, strategies: proposer.strategies, propose: async (request) => {
    const made = await proposer.propose(request);
    return made.kind === 'candidate' ? { ...made, description: `changed in ${request.id}` } : made;
  } };
  await runLoop({ problem: { ...problem, baseline: { ...problem.baseline, autotunePick: basePick } }, proposers: [describing], evaluator, sink: new MemorySink(), options: { ...OPTIONS, rounds: 2, candidatesPerRound: 1, maxRepairs: 0 } });
  assert.deepEqual(proposer.requests.map((r) => [r.parent.id, r.parent.autotunePick]), [['baseline', basePick], ['r01-c01-a0', candidatePick]]);
  assert.match(proposer.requests[1].tried[0]?.source ?? '', /PICKED r01-c01-a0/, 'what was tried comes with its source');
  assert.equal(proposer.requests[1].tried[0]?.description, 'changed in r01-c01-a0');
});
