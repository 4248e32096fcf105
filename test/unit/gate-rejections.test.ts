// Every way the runtime can say a candidate failed rejects it, found untested by the mutation run (issue 15):
// a refusal, a build error, a check that compared nothing, a stopped or unaccounted timed run, one bad output of
// several in a timed pair, and an output aliasing an input that comes after it in the spec.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probesOf, verdictOf } from '../../server/src/derive/probes';
import type { BaselineEvidence } from '../../server/src/derive/probes';
import type { BaselineOutputCheck } from '../../server/src/harness/protocol';
import { check, clean, evidence, probe, spec, timing } from './gate-evidence';

const T = { timeout: 10_000 };
const failed = (e: Parameters<typeof probesOf>[1], s = spec) => verdictOf(probesOf(s, e)).failed;

test('a refused candidate fails structure and nothing else is judged', T, () => {
  const probes = probesOf(spec, evidence({ refused: 'it defines no kernel named add' }));
  assert.deepEqual(probes.map((p) => [p.name, p.passed, p.gate]), [['structure', false, true]]);
  assert.equal(verdictOf(probes).accepted, false);
});

test('a candidate that does not compile fails builds', T, () => {
  const probes = probesOf(spec, evidence({ buildErrors: ['error: expected ;'] }));
  assert.deepEqual(probes.map((p) => [p.name, p.passed, p.gate]), [['builds', false, true]]);
  assert.deepEqual(verdictOf(probes).failed, ['builds']);
});

test('checks that compared no output reject by match: nothing was shown to be right', T, () => {
  const empty = [1, 2, 3].map((seed) => ({ ...check(seed), outputs: [] }));
  assert.deepEqual(failed(evidence({ checks: empty })), ['match']);
});

test('a timed run the runtime stopped, or GPU work outside the timed windows, rejects by timed', T, () => {
  const stopped = timing(10, { stoppedAt: { pair: 3, seed: 53, warmup: false, outputs: [clean], inputsChanged: 1 } });
  assert.deepEqual(failed(evidence({ timing: stopped })), ['timed']);
  assert.deepEqual(failed(evidence({ timing: timing(10, { unaccountedActivities: 2 }) })), ['timed']);
  assert.deepEqual(failed(evidence({ timing: timing(10) })), []);
});

test('one bad output of two in a timed pair fails timed', T, () => {
  const two = timing(4);
  two.verification = { inputsChanged: [0, 0, 0, 0], outputs: [{ name: 'out', failures: [0, 0, 0, 0], unwritten: [0, 0, 0, 0] }, { name: 'aux', failures: [0, 0, 1, 0], unwritten: [0, 0, 0, 0] }] };
  assert.deepEqual(failed(evidence({ timing: two })), ['timed']);
});

test('timed pairs the runtime reported no verification for fail timed (an unchecked launch is not a match)', T, () => {
  const none = timing(4);
  delete none.verification;
  const short = timing(4);
  short.verification = { inputsChanged: [0, 0], outputs: [{ name: 'out', failures: [0, 0], unwritten: [0, 0] }] };
  const noOutputs = timing(4);
  noOutputs.verification = { inputsChanged: [0, 0, 0, 0], outputs: [] };
  // One output's written-check short while everything else covers every pair: the shortest list counts.
  const oneShort = timing(4);
  oneShort.verification = { inputsChanged: [0, 0, 0, 0], outputs: [{ name: 'out', failures: [0, 0, 0, 0], unwritten: [0, 0] }] };
  for (const t of [none, short, noOutputs, oneShort]) assert.deepEqual(failed(evidence({ timing: t })), ['timed']);
  assert.match(probesOf(spec, evidence({ timing: short })).find((p) => p.name === 'timed')?.reason ?? '', /verification of 2 of 4 timed pairs/);
});

test('an output listed before the input it aliases is still caught', T, () => {
  const outFirst = { ...spec, args: [spec.args[2], spec.args[0], spec.args[1]] };
  const aliased = [1, 2, 3].map((seed) => check(seed, {}, { pointers: { out: '0x10000', a: '0x10000', b: '0x20000' } }));
  assert.deepEqual(failed(evidence({ checks: aliased }), outFirst), ['no-aliasing']);
});

test('an output that equals an input is a weak spec only when that input would pass on every check', T, () => {
  const output = (identityFailures: number): BaselineOutputCheck => ({ name: 'out', elements: 32, unwritten: 0, zerosFailures: 32, mean: 1, meanFailures: 32, inputs: [{ name: 'a', failures: identityFailures }] });
  const baseline = (first: number, second: number): BaselineEvidence => ({ checks: [1, 2].map((seed, i) => ({ kind: 'baseline-check', seed, sizes: spec.sizes, launch: { kernelMs: 0.01, launchMs: 0.004, wallMs: 0.02, activities: 1, streams: 1 }, inputs: [], outputs: [output(i ? second : first)] })) });
  const trivial = (b: BaselineEvidence) => probe(probesOf(spec, evidence(), b), 'not-trivial');
  assert.equal(trivial(baseline(0, 0)).passed, false);
  assert.equal(trivial(baseline(0, 5)).passed, true);
  assert.equal(trivial(baseline(5, 5)).passed, true);
});
