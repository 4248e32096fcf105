// The probes at their edges (derive/probes.ts over the runtime's events): when two buffers overlap, when an
// output counts as written, what a weak spec and nondeterminism mean for the verdict, which seeds count, and what
// the verdict says. Ported from the tests of the dump-based probes the gate runtime replaced (issue 15).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { probesOf, verdictOf } from '../../server/src/derive/probes';
import type { BaselineCheckEvent } from '../../server/src/harness/protocol';
import { check, clean, evidence, probe, span, spec } from './gate-evidence';

/** The no-aliasing probe when every check reports these addresses (out is 4×8 floats: 128 bytes). */
const aliasing = (pointers: Record<string, string>, on: BenchSpec = spec) => probe(probesOf(on, evidence({ checks: [1, 2, 3].map((s) => check(s, {}, { pointers })) })), 'no-aliasing');

test('aliasing: addresses must be 0x-hex; touching is not overlapping; inputs may share; an inout may not', { timeout: 10_000 }, () => {
  for (const bad of ['0x', 'zz', '0x12g', '10000', ' 0x10000', '0x10000 ', 'x10000']) {
    const p = aliasing({ a: bad, b: '0x20000', out: '0x30000' });
    assert.equal(p.passed, false, bad);
    assert.match(p.reason, /^seed 1: no address reported for buffer 'a', so aliasing cannot be ruled out$/);
  }
  assert.equal(aliasing({ a: '0xABC00', b: '0x20000', out: '0x30000' }).passed, true, 'upper-case hex');
  // Two inputs at one address: reading a buffer twice is harmless.
  const shared = aliasing({ a: '0x10000', b: '0x10000', out: '0x30000' });
  assert.deepEqual([shared.passed, shared.gate, shared.details], [true, true, { overlaps: [] }]);
  assert.equal(shared.reason, 'no output overlaps another buffer on 3 candidate check(s)');
  // An input right after the output's 128 bytes touches it but does not overlap; one byte earlier does, either way round.
  assert.equal(aliasing({ a: '0x30080', b: '0x20000', out: '0x30000' }).passed, true);
  assert.equal(aliasing({ a: '0x2ff80', b: '0x20000', out: '0x30000' }).passed, true);
  const overlap = aliasing({ a: '0x3007f', b: '0x20000', out: '0x30000' });
  assert.deepEqual([overlap.passed, overlap.gate], [false, true]);
  assert.deepEqual(overlap.details, { overlaps: [1, 2, 3].map((seed) => ({ seed, a: 'a', b: 'out' })) });
  assert.match(overlap.reason, /^seed 1: buffers 'a' and 'out' overlap in device memory/);
  assert.equal(aliasing({ a: '0x2ff81', b: '0x20000', out: '0x30000' }).passed, false, 'a ends inside out');
  // An inout is written: sharing it with an input is aliasing.
  const inout: BenchSpec = { ...spec, args: spec.args.map((a) => (a.name === 'b' ? { ...a, role: 'inout' as const } : a)) };
  assert.equal(aliasing({ a: '0x10000', b: '0x10000', out: '0x30000' }, inout).passed, false);
  // Scalars have no address; a buffer whose shape cannot be evaluated still spans one element.
  const withScalar: BenchSpec = { ...spec, args: [...spec.args, { name: 'n', role: 'scalar', dtype: 'int32', value: 'rows' }] };
  assert.equal(aliasing({ a: '0x10000', b: '0x20000', out: '0x30000' }, withScalar).passed, true);
  const unsized: BenchSpec = { ...spec, args: spec.args.map((a) => (a.name === 'out' ? { ...a, shape: ['depth'] } : a)) };
  assert.equal(aliasing({ a: '0x30003', b: '0x20000', out: '0x30000' }, unsized).passed, false);
  assert.equal(aliasing({ a: '0x30004', b: '0x20000', out: '0x30000' }, unsized).passed, true);
});

test('written: inouts start from data, so their poison is not looked for; with no pure output the probe is skipped', { timeout: 10_000 }, () => {
  const inoutOnly = { name: 'out', elements: 32, failures: 0, nonFiniteBaseline: 0, nonFiniteCandidate: 0, maxAbsErr: 0, maxRelErr: 0 };
  const skipped = probe(probesOf(spec, evidence({ checks: [1, 2, 3].map((s) => check(s, inoutOnly, { outputs: [inoutOnly] })) })), 'written');
  assert.deepEqual([skipped.passed, skipped.gate, skipped.skipped, skipped.details], [true, true, true, { outputs: [] }]);
  const written = probe(probesOf(spec, evidence()), 'written');
  assert.deepEqual([written.passed, written.gate, written.skipped], [true, true, undefined]);
  assert.equal(written.reason, 'every element of 1 output(s) written on every seed');
});

test('written: a baseline that leaves elements unwritten is noted, not blamed on the candidate', { timeout: 10_000 }, () => {
  const probes = probesOf(spec, evidence({ checks: [1, 2, 3].map((s) => check(s, { baselineUnwritten: 2 })) }));
  const written = probe(probes, 'written');
  assert.equal(written.passed, true);
  assert.match(written.reason, /; note: the baseline itself leaves 2 element\(s\) of 'out' unwritten, so the spec's shape may be larger than what the kernel writes$/);
  assert.equal(verdictOf(probes).accepted, true);
  // Both at once: the candidate is blamed for its own gaps only, and the note stays.
  const both = probe(probesOf(spec, evidence({ checks: [check(1, { unwritten: 1, baselineUnwritten: 2 }), check(2), check(3)] })), 'written');
  assert.equal(both.passed, false);
  assert.match(both.reason, /^seed 1: 1 element\(s\) of 'out' still hold the harness's poison: the candidate never wrote them; note: the baseline itself/);
});

test('match: the largest errors over every seed are recorded; a non-finite baseline is named as such', { timeout: 10_000 }, () => {
  const probes = probesOf(spec, evidence({ checks: [check(1, { maxAbsErr: 2e-5, maxRelErr: 1e-5 }), check(2, { maxAbsErr: 1e-5, maxRelErr: 3e-5 }), check(3, { maxAbsErr: null, maxRelErr: null })] }));
  const match = probe(probes, 'match');
  assert.equal(match.passed, true);
  assert.equal(match.details?.['maxAbsErr'], 2e-5);
  assert.equal(match.details?.['maxRelErr'], 3e-5);
  assert.equal(match.reason, '3 output comparisons within tolerance (max |Δ| 2.00e-5, max rel 3.00e-5)');
  const nan = probesOf(spec, evidence({ checks: [check(1, { failures: 1, nonFiniteBaseline: 1, first: { index: 0, baseline: 'NaN', candidate: 'NaN' } })] }));
  assert.match(probe(nan, 'match').reason, /^seed 1: the baseline's out\[0, 0\] is NaN \(the spec's inputs may be outside the kernel's domain\); 1 of 32 elements fail$/);
  const counted = probesOf(spec, evidence({ checks: [check(1, { failures: 5 })] }));
  assert.equal(probe(counted, 'match').reason, "seed 1: 5 of 32 elements of 'out' fail");
  const none = probesOf(spec, evidence({ checks: [check(1, {}, { outputs: [] })] }));
  assert.deepEqual([probe(none, 'match').passed, probe(none, 'match').reason], [false, 'no outputs were compared']);
});

test('seeds: fewer than three planned fails; checks that stopped early skip it; a repeated seed counts once', { timeout: 10_000 }, () => {
  const stopped = probesOf(spec, evidence({ checks: [check(1, { failures: 1 })] }));
  assert.deepEqual([probe(stopped, 'seeds').passed, probe(stopped, 'seeds').skipped], [true, true]);
  assert.match(probe(stopped, 'seeds').reason, /^not run: the checks stopped after 1 of 3 seeds$/);
  const none = probesOf(spec, evidence({ checks: [], crash: { kind: 'report', stage: 'sync', message: 'fault' } }));
  for (const name of ['match', 'written', 'inputs-unchanged', 'no-aliasing'] as const) assert.deepEqual([probe(none, name).passed, probe(none, name).skipped], [true, true], name);
  assert.deepEqual(verdictOf(none).failed, ['runs']);
  const repeated = probesOf(spec, evidence({ checks: [check(1), check(1), check(2)] }));
  assert.equal(probe(repeated, 'seeds').reason, '2 distinct seeds compared (1, 2)');
  const one = probesOf(spec, evidence({ plan: { seeds: [1], sweep: [], sizes: spec.sizes }, checks: [check(1)] }));
  assert.deepEqual(verdictOf(one).failed, ['seeds']);
});

test('a sweep point reports only what failed there, named by the point; a candidate passing every point is accepted', { timeout: 10_000 }, () => {
  const plan = { seeds: [1, 2, 3], sweep: [{ rows: 8 }, { rows: 16 }], sizes: spec.sizes };
  const at = (rows: number, out = {}, extra = {}) => check(1, out, { sizes: { rows, cols: 8 }, ...extra });
  const fine = probesOf(spec, evidence({ plan, checks: [check(1), check(2), check(3), at(8), at(16)] }));
  assert.equal(fine.filter((p) => p.name === 'match').length, 1);
  assert.equal(verdictOf(fine).accepted, true);
  const moved = at(16, {}, { inputs: [{ name: 'a', before: 'aa', after: 'ab' }, { name: 'b', before: 'bb', after: 'bb' }] });
  const bad = probesOf(spec, evidence({ plan, checks: [check(1), check(2), check(3), at(8, { unwritten: 3 }), moved] }));
  assert.deepEqual(verdictOf(bad).failed, ['written', 'inputs-unchanged']);
  const written = bad.filter((p) => p.name === 'written' && !p.passed);
  assert.match(written[0].reason, /^at rows=8: seed 1: 3 element\(s\) of 'out'/);
  assert.deepEqual(written[0].details?.['sizes'], { rows: 8, cols: 8 });
  assert.match(bad.filter((p) => p.name === 'inputs-unchanged' && !p.passed)[0].reason, /^at rows=16: seed 1: the candidate changed input\(s\) 'a'/);
  // A point the plan does not name is named by the sizes it ran at.
  const unplanned = probesOf(spec, evidence({ checks: [check(1), check(2), check(3), at(32, { failures: 1 })] }));
  assert.match(unplanned.filter((p) => p.name === 'match' && !p.passed)[0].reason, /^at rows=32, cols=8: /);
});

test('the verdict names the first failed probe with its reason, each failed probe once', { timeout: 10_000 }, () => {
  const ok = verdictOf(probesOf(spec, evidence()));
  assert.equal(ok.summary, 'accepted: outputs match the baseline within tolerance on 3 seeds, every output written, inputs untouched, no aliasing');
  assert.deepEqual([ok.accepted, ok.weakSpec, ok.failed], [true, false, []]);
  const plan = { seeds: [1, 2, 3], sweep: [{ rows: 8 }, { rows: 16 }], sizes: spec.sizes };
  const wrongEverywhere = probesOf(spec, evidence({ plan, checks: [check(1, { failures: 2 }), check(2), check(3), check(1, { failures: 1 }, { sizes: { rows: 8, cols: 8 } }), check(1, { failures: 1 }, { sizes: { rows: 16, cols: 8 } })] }));
  const v = verdictOf(wrongEverywhere);
  assert.deepEqual(v.failed, ['match']);
  assert.equal(v.summary, "rejected: match failed — seed 1: 2 of 32 elements of 'out' fail");
});

const baselineCheck = (seed: number, out: Partial<BaselineCheckEvent['outputs'][number]>): BaselineCheckEvent => ({
  kind: 'baseline-check',
  seed,
  sizes: { rows: 4, cols: 8 },
  launch: span,
  inputs: [],
  outputs: [{ name: 'out', elements: 32, unwritten: 0, zerosFailures: 32, mean: 0.5, meanFailures: 32, inputs: [{ name: 'a', failures: 32 }, { name: 'b', failures: 32 }], ...out }],
});

test('weak spec: zeros, a constant or an input passing on every seed is said, never gated; passing on some seeds is not weak', { timeout: 10_000 }, () => {
  const weak = (outs: Array<Partial<BaselineCheckEvent['outputs'][number]>>) => probe(probesOf(spec, evidence(), { checks: outs.map((o, i) => baselineCheck(i + 1, o)) }), 'not-trivial');
  const zeros = weak([{ zerosFailures: 0 }, { zerosFailures: 0 }]);
  assert.deepEqual([zeros.passed, zeros.gate, zeros.details], [false, false, { checked: ['out'], identityChecked: true, weak: ["an all-zero 'out'"] }]);
  assert.equal(zeros.reason, "weak spec: an all-zero 'out' would also pass the tolerance on every seed; tighten the tolerance or vary the input distribution");
  assert.deepEqual(weak([{ meanFailures: 0 }, { meanFailures: 0 }]).details?.['weak'], ["a constant 'out' (its mean)"]);
  // Zeros passing is reported without also reporting the constant (zeros are a constant).
  assert.deepEqual(weak([{ zerosFailures: 0, meanFailures: 0 }]).details?.['weak'], ["an all-zero 'out'"]);
  assert.deepEqual(weak([{ zerosFailures: 0 }, { zerosFailures: 1 }]).passed, true);
  assert.deepEqual(weak([{ meanFailures: 0 }, { meanFailures: 3 }]).passed, true);
  assert.deepEqual(weak([{ inputs: [{ name: 'a', failures: 0 }] }, { inputs: [{ name: 'a', failures: 0 }] }]).details?.['weak'], ["'out' = input 'a'"]);
  assert.deepEqual(weak([{ inputs: [{ name: 'a', failures: 0 }] }, { inputs: [{ name: 'a', failures: 5 }] }]).passed, true);
  // An inout compared with its own initial values: the do-nothing kernel.
  assert.deepEqual(weak([{ inputs: [{ name: 'out', failures: 0 }] }]).details?.['weak'], ["'out' left at its initial values"]);
  // Each input is judged by its own comparison, not the first one listed.
  assert.deepEqual(weak([{ inputs: [{ name: 'a', failures: 32 }, { name: 'b', failures: 0 }] }]).details?.['weak'], ["'out' = input 'b'"]);
  // Each output is judged by its own comparisons, not by the first output a check lists.
  const twoOutputs = (seed: number): BaselineCheckEvent => {
    const check = baselineCheck(seed, {});
    return { ...check, outputs: [check.outputs[0], { ...check.outputs[0], name: 'out2', zerosFailures: 0 }] };
  };
  assert.deepEqual(probe(probesOf(spec, evidence(), { checks: [twoOutputs(1), twoOutputs(2)] }), 'not-trivial').details?.['weak'], ["an all-zero 'out2'"]);
  // An output one check did not report is judged by the checks that did.
  const partial = probesOf(spec, evidence(), { checks: [baselineCheck(1, { zerosFailures: 0 }), { ...baselineCheck(2, {}), outputs: [] }] });
  assert.deepEqual(probe(partial, 'not-trivial').details?.['weak'], ["an all-zero 'out'"]);
  const strong = weak([{}]);
  assert.deepEqual([strong.passed, strong.gate, strong.reason], [true, false, 'no all-zero or constant output passes the tolerance']);
  // Without baseline checks there is nothing to judge the spec by.
  assert.equal(probesOf(spec, evidence(), { checks: [] }).some((p) => p.name === 'not-trivial'), false);
  const v = verdictOf(probesOf(spec, evidence(), { checks: [baselineCheck(1, { zerosFailures: 0 })] }));
  assert.deepEqual([v.accepted, v.weakSpec], [true, true]);
  assert.match(v.summary, /^accepted: .*; weak spec: an all-zero 'out'/);
});

test('determinism: reported from the repeat, never gating; said when there was none', { timeout: 10_000 }, () => {
  const differs = probesOf(spec, evidence({ repeat: { kind: 'repeat', seed: 2, outputs: [{ name: 'out', differing: 0 }, { name: 'out', differing: 3, firstIndex: 7 }] } }));
  const det = probe(differs, 'deterministic');
  assert.deepEqual([det.passed, det.gate], [false, false]);
  assert.match(det.reason, /^two runs with seed 2 differ in 3 element\(s\) of 'out', first at flat index 7/);
  assert.equal(verdictOf(differs).accepted, true);
  const same = probe(probesOf(spec, evidence()), 'deterministic');
  assert.deepEqual([same.passed, same.gate, same.reason], [true, false, 'bitwise identical across two runs with seed 1']);
  const none = probe(probesOf(spec, evidence({ repeat: undefined })), 'deterministic');
  assert.deepEqual([none.passed, none.gate, none.skipped], [true, false, true]);
  assert.doesNotMatch(verdictOf(probesOf(spec, evidence({ repeat: undefined }))).summary, /deterministic/);
});

test('timed: every verified pair counts, the first or the last alike; no timing means no timed probe', { timeout: 10_000 }, () => {
  const pairs = (field: 'failures' | 'unwritten' | 'inputs', at: number) => {
    const t = evidence().timing;
    assert.ok(t?.verification);
    if (field === 'inputs') t.verification.inputsChanged[at] = 1;
    else t.verification.outputs[0][field][at] = 2;
    return probe(probesOf(spec, evidence({ timing: t })), 'timed');
  };
  for (const field of ['failures', 'unwritten', 'inputs'] as const) {
    for (const at of [0, 9]) {
      const p = pairs(field, at);
      assert.equal(p.passed, false, `${field} at ${at}`);
      assert.equal(p.reason, `timed pair ${at} did not match the reference`);
    }
  }
  assert.equal(probesOf(spec, evidence({ timing: undefined })).some((p) => p.name === 'timed'), false);
  const noWarmup = evidence().timing;
  assert.ok(noWarmup);
  noWarmup.verifiedLaunches = 10;
  assert.match(probe(probesOf(spec, evidence({ timing: noWarmup })), 'timed').reason, /^all 10 timed launches matched/);
  noWarmup.verifiedLaunches = 11;
  assert.match(probe(probesOf(spec, evidence({ timing: noWarmup })), 'timed').reason, /^all 10 timed launches \(and 1 warm-up launch\) matched/);
  const stopped = evidence().timing;
  assert.ok(stopped);
  stopped.stoppedAt = { pair: 4, warmup: false, seed: 55, inputsChanged: 2, outputs: [clean] };
  assert.equal(probe(probesOf(spec, evidence({ timing: stopped })), 'timed').reason, 'in timed pair 4 (seed 55): 2 input(s) changed');
});
