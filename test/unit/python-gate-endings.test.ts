// How a Python gate run that ended without `done` is read (harness/python/run.ts blameRunningCandidate), on recorded
// event shapes: the candidate whose child was running (no `finished` from the parent) is rejected for ending the
// process, whatever its child printed after; the ones after it were not run; with no candidate running, nothing is
// blamed and the run is the gate's failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blameRunningCandidate, type CandidateRunEvidence, type KernelBenchRun } from '../../server/src/harness/python/run';

const labels = ['a.py', 'b.py', 'c.py'];
const done = (file: string): CandidateRunEvidence => ({ file, checks: [], ended: true, seconds: 1.5 });
const reference = { checks: [], reference: { kind: 'reference' } } as unknown as KernelBenchRun['reference'];
const ENDED = "the gate's process ended without finishing (exit 137) on target 'local'";

test('the running candidate is blamed, those before keep their evidence, those after were not run', () => {
  const printedAfter: CandidateRunEvidence = { file: 'b.py', checks: [], ended: true };
  const run = blameRunningCandidate({ reference, candidates: [done('a.py'), printedAfter] }, labels, ENDED);
  assert.ok(run);
  assert.deepEqual(run.candidates[0], done('a.py'));
  assert.equal(run.candidates[1].ended, false, 'its own end event, printed after the parent died, does not count');
  assert.equal(run.candidates[1].error?.stage, 'gate-ended');
  assert.match(run.candidates[1].error?.message ?? '', /^the gate's process ended without finishing \(exit 137\) on target 'local' while this candidate ran: the candidate is taken to have ended it/);
  assert.deepEqual(run.candidates.slice(2), [{ file: 'c.py', checks: [], ended: false, notRun: `not run: ${ENDED} while b.py ran, before this candidate's turn` }]);
});

test('nothing is blamed when no candidate was running: the reference had not finished, none had started, or the last had finished', () => {
  assert.equal(blameRunningCandidate({ reference: { checks: [] }, candidates: [{ file: 'a.py', checks: [], ended: false }] }, labels, ENDED), undefined, 'the reference never reported');
  assert.equal(blameRunningCandidate({ reference, candidates: [] }, labels, ENDED), undefined, 'between the reference and the first candidate');
  assert.equal(blameRunningCandidate({ reference, candidates: [done('a.py')] }, labels, ENDED), undefined, 'between two candidates');
});

test('the last candidate is the running one, however many finished before it', () => {
  const run = blameRunningCandidate({ reference, candidates: [done('a.py'), done('b.py'), { file: 'c.py', checks: [], ended: false }] }, [...labels, 'd.py'], ENDED);
  assert.deepEqual(run?.candidates.map((c) => [c.file, c.error?.stage ?? (c.notRun ? 'not run' : 'judged')]), [['a.py', 'judged'], ['b.py', 'judged'], ['c.py', 'gate-ended'], ['d.py', 'not run']]);
});
