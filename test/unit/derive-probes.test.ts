// derive/probes.ts and derive/trust.ts: every probe and the trust report from what the gate runtime recorded
// (comparison counts, digests, the repeat, the timed pairs, the baseline's own checks), as pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchSpec } from '../../server/src/benchspec/model';
import type { BaselineCheckEvent } from '../../server/src/harness/protocol';
import { probesOf, verdictOf } from '../../server/src/derive/probes';
import { trustOf } from '../../server/src/derive/trust';
import { check, clean, evidence, probe, span, spec, timing } from './gate-evidence';

test('a clean evaluation passes every gate probe, the timed one included', () => {
  const probes = probesOf(spec, evidence());
  assert.deepEqual(probes.map((p) => p.name), ['runs', 'seeds', 'match', 'written', 'inputs-unchanged', 'no-aliasing', 'timed', 'deterministic']);
  const v = verdictOf(probes);
  assert.equal(v.accepted, true, v.summary);
  assert.match(probe(probes, 'timed').reason, /^all 10 timed launches \(and 2 warm-up launches\) matched/);
  assert.match(v.summary, /on 3 seeds/);
});

test('a wrong value fails match and names the multi-dimensional index; later seeds are skipped, not failed', () => {
  const probes = probesOf(spec, evidence({ checks: [check(1, { failures: 3, first: { index: 13, baseline: 1, candidate: 1.5 } })], timing: undefined, repeat: undefined }));
  assert.match(probe(probes, 'match').reason, /^seed 1: out\[1, 5\] = 1\.5, baseline 1 \(\|Δ\| 0\.5 > allowed 2\.00e-4\); 3 of 32 elements fail$/);
  assert.equal(probe(probes, 'seeds').skipped, true);
  assert.deepEqual(verdictOf(probes).failed, ['match']);
});

test('NaN in the candidate, poison left, a changed input, overlapping buffers: each its own probe', () => {
  const nan = probesOf(spec, evidence({ checks: [check(1, { failures: 1, nonFiniteCandidate: 1, first: { index: 0, baseline: 2, candidate: 'NaN' } })] }));
  assert.match(probe(nan, 'match').reason, /out\[0, 0\] is NaN \(baseline 2\)/);
  const poison = probesOf(spec, evidence({ checks: [check(1, { unwritten: 2, firstUnwritten: 9 })] }));
  assert.match(probe(poison, 'written').reason, /^seed 1: 2 element\(s\) of 'out' still hold the harness's poison, first out\[1, 1\]/);
  const mutated = check(1);
  mutated.inputs[0].after = 'ff';
  assert.match(probe(probesOf(spec, evidence({ checks: [mutated] })), 'inputs-unchanged').reason, /^seed 1: the candidate changed input\(s\) 'a'/);
  const alias = probesOf(spec, evidence({ checks: [check(1, {}, { pointers: { a: '0x10000', b: '0x20000', out: '0x10040' } }), check(2), check(3)] }));
  assert.match(probe(alias, 'no-aliasing').reason, /buffers 'a' and 'out' overlap/);
});

test('64-bit integer values keep their exact difference', () => {
  const ints: BenchSpec = { ...spec, args: spec.args.map((a) => ({ ...a, dtype: 'int64' as const })) };
  const probes = probesOf(ints, evidence({ checks: [check(1, { failures: 1, first: { index: 3, baseline: '1152921504606846976', candidate: '1152921504606846977' } })] }));
  assert.match(probe(probes, 'match').reason, /out\[0, 3\] = 1152921504606846977, baseline 1152921504606846976 \(\|Δ\| 1 > allowed 0\)/);
});

test('a failure at a sweep point is named by the point; fewer than three seeds fails seeds', () => {
  const swept = probesOf(spec, evidence({ plan: { seeds: [1, 2, 3], sweep: [{ rows: 5 }], sizes: spec.sizes }, checks: [check(1), check(2), check(3), check(1, { failures: 4, first: { index: 0, baseline: 1, candidate: 2 } }, { sizes: { rows: 5, cols: 8 } })] }));
  assert.match(swept.filter((p) => p.name === 'match' && !p.passed)[0].reason, /^at rows=5: seed 1: out\[0, 0\] = 2/);
  const two = probesOf(spec, evidence({ plan: { seeds: [1, 2], sweep: [], sizes: spec.sizes }, checks: [check(1), check(2)] }));
  assert.match(probe(two, 'seeds').reason, /only 2 check seed\(s\) planned/);
});

test('timed: a pair that did not match stops the timing and fails the probe; so does GPU work outside the windows', () => {
  const stopped = timing(3, { stoppedAt: { pair: 2, warmup: false, seed: 54, inputsChanged: 0, outputs: [{ ...clean, failures: 12, unwritten: 12, first: { index: 0, baseline: 1, candidate: 'NaN' } }] } });
  const p = probe(probesOf(spec, evidence({ timing: stopped })), 'timed');
  assert.equal(p.passed, false);
  assert.match(p.reason, /^in timed pair 2 \(seed 54\): out\[0, 0\] is NaN .*; 12 element\(s\) of 'out' unwritten \(still poison\)$/);
  const warm = timing(0, { stoppedAt: { pair: -1, warmup: true, seed: 51, inputsChanged: 1, outputs: [clean] } });
  assert.match(probe(probesOf(spec, evidence({ timing: warm })), 'timed').reason, /^in warm-up launch \(seed 51\): 1 input\(s\) changed/);
  const outside = probe(probesOf(spec, evidence({ timing: timing(10, { unaccountedActivities: 2 }) })), 'timed');
  assert.match(outside.reason, /^2 GPU activities ran outside the timed windows/);
});

test('timed (Python gate): work a candidate leaves running after its end event fails the probe; sync jitter does not', () => {
  const series = (kernel: number, tail: number) => ({ ...timing(4).baseline, kernelMs: [kernel, kernel, kernel, kernel], tailMs: [tail, tail, tail * 1.5, tail] });
  const withTails = (candidateTail: number, kernel = 0.1) => probe(probesOf(spec, evidence({ timing: timing(4, { method: 'cuda-events', baseline: series(0.3, 0.015), candidate: series(kernel, candidateTail) }) })), 'timed');
  const escaped = withTails(0.3);
  assert.equal(escaped.passed, false);
  assert.equal(escaped.gate, true, 'it rejects the candidate');
  assert.match(escaped.reason, /^the GPU stayed busy a median 0\.285 ms longer than for the reference after each timed call's end event \(timed: 0\.100 ms\)/);
  // Within the slack (0.02 ms + 10 % of the candidate's time) it is the synchronize waking up, not work.
  assert.equal(withTails(0.015 + 0.029).passed, true);
  assert.equal(withTails(0.015 + 0.031).passed, false);
  assert.equal(withTails(0.015 + 0.2, 2).passed, true, 'a slow candidate is allowed a tenth of its time');
  // Exactly at the slack is still allowed (baseline tail 0, so the excess is the tail itself).
  const atSlack = 0.02 + 0.1 * 0.8;
  const exact = (tail: number) => probe(probesOf(spec, evidence({ timing: timing(1, { method: 'cuda-events', baseline: { ...timing(1).baseline, tailMs: [0] }, candidate: { ...timing(1).baseline, kernelMs: [0.8], tailMs: [tail] } }) })), 'timed').passed;
  assert.equal(exact(atSlack), true);
  assert.equal(exact(atSlack + 1e-9), false);
  // Series without tails (the CUDA gate's) are not judged by them.
  assert.equal(probe(probesOf(spec, evidence({ timing: timing(4, { candidate: { ...series(0.1, 0.5), tailMs: undefined } }) })), 'timed').passed, true);
});

test('a crash is the runs probe; a compile error is the builds probe and nothing else', () => {
  const crashed = probesOf(spec, evidence({ checks: [check(1)], timing: undefined, crash: { kind: 'report', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'the kernel failed while running' } }));
  assert.equal(probe(crashed, 'runs').passed, false);
  assert.deepEqual(verdictOf(crashed).failed, ['runs']);
  const broken = probesOf(spec, evidence({ buildErrors: ['k.cu:3: error: x is undefined'] }));
  assert.deepEqual(broken.map((p) => p.name), ['builds']);
  assert.match(broken[0].reason, /^the candidate does not compile: k\.cu:3/);
});

test('the weak-spec probe judges the baseline evidence: a trivial output passing on every seed is flagged, not gated', () => {
  const baselineCheck = (seed: number, zerosFailures: number, inputFailures: number): BaselineCheckEvent => ({
    kind: 'baseline-check',
    seed,
    sizes: { rows: 4, cols: 8 },
    launch: span,
    inputs: [],
    outputs: [{ name: 'out', elements: 32, unwritten: 0, zerosFailures, mean: 0, meanFailures: 32, inputs: [{ name: 'a', failures: inputFailures }] }],
  });
  const weak = probesOf(spec, evidence(), { checks: [baselineCheck(1, 0, 5), baselineCheck(2, 0, 5)] });
  assert.match(probe(weak, 'not-trivial').reason, /^weak spec: an all-zero 'out' would also pass/);
  assert.equal(verdictOf(weak).accepted, true);
  assert.equal(verdictOf(weak).weakSpec, true);
  const identity = probesOf(spec, evidence(), { checks: [baselineCheck(1, 3, 0), baselineCheck(2, 3, 0)] });
  assert.match(probe(identity, 'not-trivial').reason, /'out' = input 'a'/);
  const fine = probesOf(spec, evidence(), { checks: [baselineCheck(1, 0, 5), baselineCheck(2, 4, 5)] });
  assert.equal(probe(fine, 'not-trivial').passed, true, 'zeros fail on one seed: not weak');
});

test('determinism is reported, not gated', () => {
  const probes = probesOf(spec, evidence({ repeat: { kind: 'repeat', seed: 1, outputs: [{ name: 'out', differing: 2, firstIndex: 7 }] } }));
  assert.equal(probe(probes, 'deterministic').passed, false);
  assert.equal(verdictOf(probes).accepted, true);
  assert.match(verdictOf(probes).summary, /not bitwise deterministic/);
});

test('trust: device state that changed, streams per launch, and what could not be read', () => {
  const t = trustOf(
    evidence({
      timing: timing(4, { candidate: { kernelMs: [1, 1, 1, 1], launchMs: [0, 0, 0, 0], wallMs: [1, 1, 1, 1], activities: [2, 2, 2, 2], streams: [1, 2, 2, 1] } }),
      state: [
        { kind: 'state', role: 'candidate', phase: 'checks', variables: [{ name: 'counter', bytes: 4, managed: false, compared: true, changed: true }, { name: 'm', bytes: 8, managed: true, compared: false }] },
        { kind: 'state', role: 'candidate', phase: 'timing', variables: [{ name: 'counter', bytes: 4, managed: false, compared: true, changed: true }] },
      ],
    }),
  );
  assert.equal(t.keepsDeviceState, true);
  assert.deepEqual(t.variables.find((v) => v.name === 'counter')?.changedDuring, ['checks', 'timing']);
  assert.equal(t.maxStreamsPerLaunch, 2);
  assert.match(t.notes.join('\n'), /keeps device state across launches: 'counter' \(4 B, changed during checks and timing\)/);
  assert.match(t.notes.join('\n'), /could not be read back to compare/);
  assert.match(t.notes.join('\n'), /up to 2 streams; all of its GPU work is inside the measured time/);
  assert.equal(trustOf(evidence()).keepsDeviceState, false);
  assert.deepEqual(trustOf(evidence()).notes, []);
});
