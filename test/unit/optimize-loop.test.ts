// The optimize loop on a stand-in gate (FakeEvaluator) and scripted proposers: selection, repairs, the bandit,
// budget accounting, every stop rule, cancel, and resume from the records of an interrupted run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLoop, type LoopDeps, type LoopResult } from '../../server/src/optimize/loop';
import type { Proposal, Proposer } from '../../server/src/optimize/proposer';
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
  const tokens = await run(slow(), new FakeEvaluator([]), { ...one, maxTokens: 2500 });
  assert.equal(tokens.result.stop.reason, 'tokens');
  assert.equal(tokens.result.attempts.length, 3);
  assert.equal(tokens.result.spend.inputTokens + tokens.result.spend.outputTokens, 3000);

  const prices = { scripted: { inputPerMillion: 1, outputPerMillion: 1 } };
  const money = await run(slow(), new FakeEvaluator([]), { ...one, budgetUsd: 0.0025, prices });
  assert.equal(money.result.stop.reason, 'budget');
  assert.equal(money.result.attempts.length, 3);
  assert.ok(Math.abs((money.result.spend.costUsd ?? 0) - 0.003) < 1e-12);
  await assert.rejects(run(slow(), new FakeEvaluator([]), { ...one, budgetUsd: 1 }), /a money budget needs the price of model scripted/);

  let clock = 0;
  const time = await run(slow(), new FakeEvaluator([]), { ...one, timeLimitMs: 5000 }, { now: () => (clock += 1000) });
  assert.equal(time.result.stop.reason, 'time');
  assert.ok(time.result.attempts.length < 10);

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
