// verify() at the edges the mutation run found untested: malformed dumps and reports, declared poison bytes,
// inout outputs, the weak-spec and determinism probes' verdicts, and what every probe records. Dumps are served
// from memory (readDump), so each case states its bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CheckRun, fsDumpReader, type Probe, verify, type VerifyInput, type VerifyResult } from '../../server/src/bench/verify';
import type { BenchSpec, Dtype } from '../../server/src/benchspec/model';
import type { CheckReport, DeviceInfo, OutputDump } from '../../server/src/harness/protocol';

const device: DeviceInfo = { name: 'GPU', computeCapability: '9.0', smCount: 1, l2Bytes: 1, globalMemBytes: 1, driverVersion: 1, runtimeVersion: 1 };
const N = 4;

function spec(role: 'output' | 'inout' = 'output', dtype: Dtype = 'float32'): BenchSpec {
  return {
    version: 1,
    kernel: 'k',
    sizes: { n: N },
    args: [
      { name: 'x', role: 'input', dtype, shape: ['n'], init: { kind: 'normal', mean: 0, std: 1 } },
      { name: 'y', role, dtype, shape: ['n'], ...(role === 'inout' ? { init: { kind: 'normal' as const, mean: 0, std: 1 } } : {}) },
    ],
    launch: { grid: ['1'], block: ['4'] },
  };
}

/** Dumps by "dir/file", served by the in-memory reader. */
const dumps = new Map<string, Uint8Array>();
let runs = 0;
const readDump = async (dir: string, file: string) => {
  const bytes = dumps.get(`${dir}/${file}`);
  if (!bytes) throw new Error(`no ${file}`);
  return bytes;
};

function run(seed: number, values: ArrayLike<number>, dump: Partial<OutputDump> = {}, report: Partial<CheckReport> = {}): CheckRun {
  const dir = `run-${runs++}`;
  dumps.set(`${dir}/y.bin`, new Uint8Array(Float32Array.from(values).buffer));
  return {
    dir,
    report: {
      kind: 'check',
      seed,
      device,
      outputs: [{ name: 'y', dtype: 'float32', elements: N, file: 'y.bin', ...dump }],
      inputChecksumsBefore: { x: '1' },
      inputChecksumsAfter: { x: '1' },
      pointers: { x: '0x1000', y: '0x2000' },
      kernelMs: 1,
      ...report,
    },
  };
}

const Y = [1, -2, 3, -4];
const SEEDS = [1, 2, 3];
const probe = (r: VerifyResult, name: Probe['name']) => r.probes.find((p) => p.name === name)!;
const check = (candidate: CheckRun[], extra: Partial<VerifyInput> = {}, s = spec()) => verify({ spec: s, baseline: SEEDS.map((seed) => run(seed, Y)), candidate, readDump, ...extra });

test('a report whose dump disagrees with the spec or the baseline fails match, saying how', { timeout: 10_000 }, async () => {
  const cases: Array<[Partial<OutputDump>, RegExp]> = [
    [{ dtype: 'float8' }, /output 'y' is float8 in the candidate but float32 in the baseline/],
    [{ elements: 3 }, /output 'y' has 3 elements in the candidate but 4 in the baseline/],
    [{ name: 'z' }, /seed 1: the candidate did not report output 'y'/],
  ];
  for (const [dump, message] of cases) {
    const r = await check([run(1, Y, dump), run(2, Y), run(3, Y)]);
    assert.equal(probe(r, 'match').passed, false, String(message));
    assert.match(probe(r, 'match').reason, message);
  }
  const unknown = await verify({ spec: spec(), baseline: [run(1, Y, { dtype: 'float8' })], candidate: [run(1, Y, { dtype: 'float8' })], minSeeds: 1, readDump });
  assert.match(probe(unknown, 'match').reason, /output 'y' has unknown dtype 'float8'/);
  const declared = await verify({ spec: spec('output', 'float64'), baseline: [run(1, Y)], candidate: [run(1, Y)], minSeeds: 1, readDump });
  assert.match(probe(declared, 'match').reason, /output 'y' is float32 but the spec declares float64/);
  const shaped = await verify({ spec: spec(), sizes: { n: 5 }, baseline: [run(1, Y)], candidate: [run(1, Y)], minSeeds: 1, readDump });
  assert.match(probe(shaped, 'match').reason, /output 'y' has 4 elements but the spec's shape \[5\] has 5/);
  const none = await verify({ spec: spec(), baseline: [run(1, Y, {}, { outputs: [] })], candidate: [run(1, Y, {}, { outputs: [] })], minSeeds: 1, readDump });
  assert.equal(probe(none, 'match').passed, false);
  assert.equal(probe(none, 'match').reason, 'no outputs were compared');
});

test('declared poison bytes: a number, hex with or without 0x in any case; anything else is refused', { timeout: 10_000 }, async () => {
  const poisoned = [1, -2, 3, new Float32Array(new Uint32Array([0x5a5a5a5a]).buffer)[0]];
  for (const poison of [0x5a, '0x5a', '0X5A', '5a'] as const) {
    const r = await check([run(1, poisoned, { poison: poison as string }), run(2, Y), run(3, Y)]);
    assert.match(probe(r, 'written').reason, /seed 1: 1 element\(s\) of 'y'.*y\[3\]/, String(poison));
  }
  for (const poison of ['0x5a5', 'x5a', '0x', 'ff ']) await assert.rejects(check([run(1, Y, { poison }), run(2, Y), run(3, Y)]), /declares poison ".*", not a byte/, poison);
});

test('inout outputs start from data, so leftover poison is not looked for; with none, written is skipped', { timeout: 10_000 }, async () => {
  const r = await check(SEEDS.map((seed) => run(seed, Y)), {}, spec('inout'));
  const written = probe(r, 'written');
  assert.deepEqual([written.passed, written.gate, written.skipped], [true, true, true]);
  assert.deepEqual(written.details, { outputs: [] });
  const ok = await check(SEEDS.map((seed) => run(seed, Y)));
  assert.deepEqual([probe(ok, 'written').passed, probe(ok, 'written').gate, probe(ok, 'written').skipped], [true, true, undefined]);
  assert.match(probe(ok, 'written').reason, /^every element of 1 output\(s\) written on every seed$/);
});

test('a baseline that leaves elements unwritten is noted, not blamed on the candidate', { timeout: 10_000 }, async () => {
  const gap = [1, -2, 3, new Float32Array(new Uint32Array([0xffffffff]).buffer)[0]];
  const r = await verify({ spec: spec(), baseline: SEEDS.map((seed) => run(seed, gap)), candidate: SEEDS.map((seed) => run(seed, gap)), readDump });
  const written = probe(r, 'written');
  assert.equal(written.passed, true);
  assert.match(written.reason, /; note: the baseline itself leaves 1 element\(s\) of 'y' unwritten, so the spec's shape may be larger than what the kernel writes$/);
});

test('match records its largest errors and names non-finite values on the right side', { timeout: 10_000 }, async () => {
  const r = await check([run(1, [1.5, -2, 3, -4]), run(2, [1, -2, 3, -6]), run(3, Y)]);
  const details = probe(r, 'match').details!;
  assert.equal(details['maxAbsErr'], 2);
  assert.equal(details['maxRelErr'], 0.5);
  assert.equal((details['outputs'] as unknown[]).length, 3);
  const nanBaseline = await verify({ spec: spec(), baseline: [run(1, [Number.NaN, 1, 1, 1])], candidate: [run(1, [Number.NaN, 1, 1, 1])], minSeeds: 1, readDump });
  assert.match(probe(nanBaseline, 'match').reason, /^seed 1: the baseline's y\[0\] is NaN \(the spec's inputs may be outside the kernel's domain\); 1 of 4 elements fail$/);
  const infCandidate = await verify({ spec: spec(), baseline: [run(1, Y)], candidate: [run(1, [1, Number.POSITIVE_INFINITY, 3, -4])], minSeeds: 1, readDump });
  assert.match(probe(infCandidate, 'match').reason, /^seed 1: y\[1\] is Infinity \(baseline -2\); 1 of 4 elements fail$/);
});

test('weak spec: zeros, a constant, or an output equal to an input pass the tolerance; the probe advises, never gates', { timeout: 10_000 }, async () => {
  const tiny = [1e-5, -1e-5, 2e-5, 0];
  const zeros = await verify({ spec: spec(), baseline: SEEDS.map((s) => run(s, tiny)), candidate: SEEDS.map((s) => run(s, tiny)), readDump });
  const weak = probe(zeros, 'not-trivial');
  assert.deepEqual([weak.passed, weak.gate], [false, false]);
  assert.deepEqual(weak.details, { checked: ['y'], identityChecked: false, weak: ["an all-zero 'y'"] });
  assert.match(weak.reason, /\(output = input not checked: the harness does not dump inputs\)$/);
  assert.equal(zeros.verdict.accepted, true);
  assert.match(zeros.verdict.summary, /; weak spec: an all-zero 'y'/);
  const flat = [5, 5.0001, 4.9999, 5];
  const constant = await verify({ spec: spec(), baseline: SEEDS.map((s) => run(s, flat)), candidate: SEEDS.map((s) => run(s, flat)), readDump });
  assert.deepEqual(probe(constant, 'not-trivial').details?.['weak'], ["a constant 'y' (its mean)"]);
  const x = new Uint8Array(Float32Array.from(Y).buffer);
  const identity = await check(SEEDS.map((s) => run(s, Y)), { readInput: async () => x });
  assert.deepEqual(probe(identity, 'not-trivial').details, { checked: ['y'], identityChecked: true, weak: ["'y' = input 'x'"] });
  const strong = await check(SEEDS.map((s) => run(s, Y)), { readInput: async () => undefined });
  assert.deepEqual([probe(strong, 'not-trivial').passed, probe(strong, 'not-trivial').gate], [true, false]);
  assert.equal(probe(strong, 'not-trivial').reason, 'no all-zero or constant output passes the tolerance');
});

test('determinism: reported from a repeated seed, never gating; said when it cannot run', { timeout: 10_000 }, async () => {
  const differs = await check(SEEDS.map((s) => run(s, Y)), { candidateRepeat: run(2, [1, -2, 3, -4.5]) });
  const det = probe(differs, 'deterministic');
  assert.deepEqual([det.passed, det.gate], [false, false]);
  assert.deepEqual(det.details, { seed: 2, outputs: [{ output: 'y', differing: 1, firstIndex: [3] }] });
  assert.equal(differs.verdict.accepted, true);
  assert.match(differs.verdict.summary, /; the candidate is not bitwise deterministic$/);
  const same = probe(await check(SEEDS.map((s) => run(s, Y)), { candidateRepeat: run(2, Y) }), 'deterministic');
  assert.deepEqual([same.passed, same.gate, same.details], [true, false, { seed: 2, outputs: [{ output: 'y', differing: 0 }] }]);
  const unmatched = probe(await check(SEEDS.map((s) => run(s, Y)), { candidateRepeat: run(7, Y) }), 'deterministic');
  assert.deepEqual([unmatched.passed, unmatched.gate, unmatched.skipped, unmatched.reason], [true, false, true, 'not run: no first candidate check with seed 7']);
  const reshaped = probe(await check(SEEDS.map((s) => run(s, Y)), { candidateRepeat: run(2, Y, { elements: 3 }) }), 'deterministic');
  assert.deepEqual([reshaped.passed, reshaped.gate], [false, false]);
  assert.match(reshaped.reason, /reports output 'y' differently/);
  const none = probe(await check(SEEDS.map((s) => run(s, Y))), 'deterministic');
  assert.deepEqual([none.passed, none.gate, none.skipped], [true, false, true]);
});

test('the verdict names the first failed probe and its reason; sizes given to verify override the spec', { timeout: 10_000 }, async () => {
  const r = await check([run(1, [9, -2, 3, -4]), run(2, Y), run(3, Y)]);
  assert.match(r.verdict.summary, /^rejected: match failed — seed 1: y\[0\] = 9/);
  const ok = await check(SEEDS.map((s) => run(s, Y)));
  assert.equal(ok.verdict.summary, 'accepted: outputs match the baseline within tolerance on 3 seeds, every output written, inputs untouched, no aliasing');
  const eight = (seed: number) => run(seed, [...Y, ...Y], { elements: 8 });
  const sized = await verify({ spec: spec(), sizes: { n: 8 }, baseline: SEEDS.map(eight), candidate: SEEDS.map(eight), readDump });
  assert.equal(sized.verdict.accepted, true, sized.verdict.summary);
});

test('a dump that cannot be read names the side, output, seed and folder; dump names stay inside their folder', { timeout: 10_000 }, async () => {
  const missing: CheckRun = { ...run(1, Y), dir: 'elsewhere' };
  await assert.rejects(check([missing, run(2, Y), run(3, Y)]), /^Error: reading the candidate dump of 'y' \(seed 1\) from elsewhere: no y\.bin$/);
  for (const name of ['.', '..', '', 'a/b']) await assert.rejects(fsDumpReader('/tmp', name), /is not a plain file name/, name);
});
