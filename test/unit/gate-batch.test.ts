// The Python gates' batching (bench/gate-batch.ts): requests that arrive together are one gate run, those that arrive
// while it runs wait for the next, a cancelled request leaves its batch without stopping the others, the run stops
// only when all of its requests are cancelled, and a broken gate fails every request of its batch.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { batchedEvaluate, withRetried } from '../../server/src/bench/gate-batch';
import type { CandidateOutcome, EvaluationRequest } from '../../server/src/optimize/evaluator';

const request = (id: string): EvaluationRequest => ({ id, strategy: 'triton-block', source: id });
const outcome = (id: string): CandidateOutcome => ({ verdict: 'rejected', stage: 'probes', reasons: [id], failedProbes: [], diagnostics: [] });

/** A runner that records each batch and finishes it when told. */
function gate() {
  const batches: Array<{ ids: string[]; signal: AbortSignal; finish: () => void; fail: (e: Error) => void }> = [];
  const run = (requests: readonly EvaluationRequest[], signal: AbortSignal) =>
    new Promise<CandidateOutcome[]>((resolve, reject) => {
      batches.push({ ids: requests.map((r) => r.id), signal, finish: () => resolve(requests.map((r) => outcome(r.id))), fail: reject });
    });
  return { batches, evaluate: batchedEvaluate(run) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 60));
const reasonOf = async (p: Promise<CandidateOutcome>) => ((await p) as { reasons: string[] }).reasons[0];

test('a round that arrives together is one gate run; what arrives during it waits for the next', { timeout: 10_000 }, async () => {
  const { batches, evaluate } = gate();
  const live = new AbortController().signal;
  const first = ['a', 'b', 'c'].map((id) => evaluate(request(id), live));
  await settle();
  assert.deepEqual(batches.map((b) => b.ids), [['a', 'b', 'c']]);
  const later = ['d', 'e'].map((id) => evaluate(request(id), live));
  await settle();
  assert.equal(batches.length, 1, 'no second run while the first runs');
  batches[0].finish();
  assert.deepEqual(await Promise.all(first.map(reasonOf)), ['a', 'b', 'c'], 'each request gets its own outcome');
  await settle();
  assert.deepEqual(batches.map((b) => b.ids), [['a', 'b', 'c'], ['d', 'e']]);
  batches[1].finish();
  assert.deepEqual(await Promise.all(later.map(reasonOf)), ['d', 'e']);
});

test('cancels: a waiting request leaves the queue; the run stops only when all of its requests are cancelled', { timeout: 10_000 }, async () => {
  const { batches, evaluate } = gate();
  const [a, b, c] = [new AbortController(), new AbortController(), new AbortController()];
  const running = [evaluate(request('a'), a.signal), evaluate(request('b'), b.signal)];
  await settle();
  const waiting = evaluate(request('c'), c.signal);
  c.abort(new Error('c cancelled'));
  await assert.rejects(waiting, /c cancelled/);
  a.abort(new Error('a cancelled'));
  await assert.rejects(running[0], /a cancelled/);
  assert.equal(batches[0].signal.aborted, false, 'b still wants its verdict');
  b.abort(new Error('b cancelled'));
  await assert.rejects(running[1], /b cancelled/);
  assert.equal(batches[0].signal.aborted, true, 'nobody waits for the run: it is stopped');
  batches[0].finish();
  await settle();
  assert.deepEqual(batches.map((x) => x.ids), [['a', 'b']], 'the cancelled waiting request never ran');
});

test('a broken gate fails every request of its batch, and the next batch still runs', { timeout: 10_000 }, async () => {
  const { batches, evaluate } = gate();
  const live = new AbortController().signal;
  const first = [evaluate(request('a'), live), evaluate(request('b'), live)];
  await settle();
  const next = evaluate(request('c'), live);
  batches[0].fail(new Error('python could not be started'));
  for (const p of first) await assert.rejects(p, /could not be started/);
  await settle();
  batches[1].finish();
  assert.equal(await reasonOf(next), 'c');
});

test('what a batch did not run (its process ended by the candidate before them) runs again in a batch of its own', { timeout: 10_000 }, async () => {
  const live = new AbortController().signal;
  const requests = ['a', 'b', 'c'].map(request);
  const asked: string[][] = [];
  const rerun = async (again: readonly EvaluationRequest[]) => {
    asked.push(again.map((r) => r.id));
    return again.map((r) => outcome(`${r.id} again`));
  };
  const out = await withRetried(requests, [outcome('a'), outcome('b killed the gate'), undefined], live, rerun);
  assert.deepEqual(out.map((o) => (o as { reasons: string[] }).reasons[0]), ['a', 'b killed the gate', 'c again']);
  assert.deepEqual(asked, [['c']]);
  assert.deepEqual(await withRetried(requests, requests.map((r) => outcome(r.id)), live, rerun), requests.map((r) => outcome(r.id)), 'nothing to run again');
  assert.equal(asked.length, 1);
  await assert.rejects(withRetried(requests, [undefined, undefined, undefined], live, rerun), /the gate ran none of attempts a, b, c/, 'no endless retry');
});

test('edges: an already-cancelled request never runs, a batch that loses all its requests while gathering does not run, a missing outcome is an error, no listener is left on a signal, and a later request runs after the queue emptied', { timeout: 10_000 }, async () => {
  const { batches, evaluate } = gate();
  const gone = new AbortController();
  gone.abort(new Error('cancelled before'));
  await assert.rejects(evaluate(request('x'), gone.signal), /cancelled before/);
  const quick = new AbortController();
  const dropped = evaluate(request('y'), quick.signal);
  quick.abort(new Error('cancelled while gathering'));
  await assert.rejects(dropped, /cancelled while gathering/);
  await settle();
  assert.equal(batches.length, 0, 'nothing to run');

  const live = new AbortController().signal;
  const first = evaluate(request('a'), live);
  await settle();
  batches[0].finish();
  assert.equal(await reasonOf(first), 'a');
  assert.equal(getEventListeners(live, 'abort').length, 0, 'every listener removed once settled');
  const later = evaluate(request('b'), live);
  await settle();
  assert.deepEqual(batches.map((b) => b.ids), [['a'], ['b']], 'the queue runs again after it emptied');
  const cancelled = new AbortController();
  const leaving = evaluate(request('c'), cancelled.signal);
  const staying = evaluate(request('d'), live);
  cancelled.abort(new Error('c cancelled'));
  await assert.rejects(leaving, /c cancelled/);
  batches[1].finish();
  await later;
  await settle();
  assert.deepEqual(batches[2]?.ids, ['d'], 'a cancel takes only its own request out of the queue');
  batches[2].finish();
  await staying;

  const short = batchedEvaluate(async () => []);
  await assert.rejects(short(request('z'), live), /the gate gave no verdict for attempt z/);
  assert.equal(getEventListeners(live, 'abort').length, 0);
});
