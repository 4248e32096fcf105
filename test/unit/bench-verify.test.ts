import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckReport, DeviceInfo } from '../../server/src/harness/protocol';
import type { BenchSpec, Dtype } from '../../server/src/benchspec/model';
import { bfloat16ToFloat, decodeValues, halfToFloat, unravelIndex } from '../../server/src/bench/dtype';
import { POISON_BYTE, poisonPattern } from '../../server/src/harness/poison';
import { fsDumpReader, verify } from '../../server/src/bench/verify';
import type { CheckRun, Probe, VerifyResult } from '../../server/src/bench/verify';
import { mulberry32 } from '../../server/src/bench/prng';

const device: DeviceInfo = { name: 'NVIDIA H200', computeCapability: '9.0', smCount: 132, l2Bytes: 60 << 20, globalMemBytes: 141e9, driverVersion: 13000, runtimeVersion: 13000 };
const ROWS = 4;
const COLS = 8;
const N = ROWS * COLS;

function spec(dtype: Dtype = 'float32', extra: Partial<BenchSpec> = {}): BenchSpec {
  return {
    version: 1,
    kernel: 'add',
    sizes: { rows: ROWS, cols: COLS },
    args: [
      { name: 'a', role: 'input', dtype, shape: ['rows', 'cols'], init: { kind: 'normal', mean: 0, std: 1 } },
      { name: 'b', role: 'input', dtype, shape: ['rows', 'cols'], init: { kind: 'normal', mean: 0, std: 1 } },
      { name: 'out', role: 'output', dtype, shape: ['rows', 'cols'] },
      { name: 'n', role: 'scalar', dtype: 'int32', value: 'rows * cols' },
    ],
    launch: { grid: ['1'], block: ['32'] },
    ...extra,
  };
}

const root = mkdtempSync(join(tmpdir(), 'kp-verify-'));
let dirCounter = 0;

interface RunOptions {
  seed: number;
  out: ArrayBufferView;
  dtype?: Dtype;
  checksumAfterA?: string;
  pointers?: Record<string, string>;
  /** The poison byte the dump declares, as the CUDA harness reports it. */
  poison?: string;
}

/** Writes one check run's dump to a fresh folder and returns it with its report. */
function run(o: RunOptions): CheckRun {
  const dir = join(root, `run-${dirCounter++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'out.bin'), new Uint8Array(o.out.buffer, o.out.byteOffset, o.out.byteLength));
  const report: CheckReport = {
    kind: 'check',
    seed: o.seed,
    device,
    outputs: [{ name: 'out', dtype: o.dtype ?? 'float32', elements: N, file: 'out.bin', ...(o.poison ? { poison: o.poison } : {}) }],
    inputChecksumsBefore: { a: 'aaaa', b: 'bbbb' },
    inputChecksumsAfter: { a: o.checksumAfterA ?? 'aaaa', b: 'bbbb' },
    pointers: o.pointers ?? { a: '0x7f0000000000', b: '0x7f0000010000', out: '0x7f0000020000' },
    kernelMs: 0.01,
  };
  return { report, dir };
}

/** Deterministic "baseline result" per seed: values of both signs and magnitudes around 1. */
function result(seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: N }, () => (r() - 0.5) * 4);
}

const SEEDS = [1, 2, 3];

function scenario(candidateFor: (seed: number) => Partial<RunOptions>, s: BenchSpec = spec()): Promise<VerifyResult> {
  return verify({
    spec: s,
    baseline: SEEDS.map((seed) => run({ seed, out: result(seed) })),
    candidate: SEEDS.map((seed) => run({ seed, out: result(seed), ...candidateFor(seed) })),
  });
}

function probe(r: VerifyResult, name: Probe['name']): Probe {
  const p = r.probes.find((x) => x.name === name);
  assert.ok(p, `probe ${name} missing`);
  return p;
}

test('an exact match passes every gate probe', async () => {
  const r = await scenario(() => ({}));
  for (const p of r.probes.filter((x) => x.gate)) assert.equal(p.passed, true, `${p.name}: ${p.reason}`);
  assert.equal(r.verdict.accepted, true);
  assert.deepEqual(r.verdict.failed, []);
  assert.equal(r.verdict.weakSpec, false, probe(r, 'not-trivial').reason);
  assert.equal(probe(r, 'deterministic').skipped, true);
  assert.match(r.verdict.summary, /accepted.*3 seeds/);
});

test('a wrong value fails match and names the multi-dimensional index', async () => {
  const r = await scenario((seed) => {
    const out = result(seed);
    if (seed === 2) out[2 * COLS + 5] += 0.5;
    return { out };
  });
  const m = probe(r, 'match');
  assert.equal(m.passed, false);
  assert.match(m.reason, /seed 2: out\[2, 5\]/);
  assert.match(m.reason, /1 of 32 elements fail/);
  assert.equal(r.verdict.accepted, false);
  assert.deepEqual(r.verdict.failed, ['match']);
  assert.ok((m.details?.['maxAbsErr'] as number) > 0.49);
});

test('an error inside the tolerance passes; relative tolerance scales with |baseline|', async () => {
  const r = await scenario((seed) => ({ out: result(seed).map((v) => v * (1 + 5e-5)) }));
  assert.equal(probe(r, 'match').passed, true, probe(r, 'match').reason);
});

test('NaN in the candidate fails match', async () => {
  const r = await scenario((seed) => {
    const out = result(seed);
    out[7] = Number.NaN;
    return { out };
  });
  assert.equal(probe(r, 'match').passed, false);
  assert.match(probe(r, 'match').reason, /out\[0, 7\] is NaN/);
  // An ordinary NaN is not the harness's poison: it was written.
  assert.equal(probe(r, 'written').passed, true);
});

test('Inf on both sides still fails match', async () => {
  const base = result(1);
  base[0] = Number.POSITIVE_INFINITY;
  const r = await verify({
    spec: spec(),
    baseline: [run({ seed: 1, out: base }), run({ seed: 2, out: result(2) }), run({ seed: 3, out: result(3) })],
    candidate: [run({ seed: 1, out: base }), run({ seed: 2, out: result(2) }), run({ seed: 3, out: result(3) })],
  });
  assert.equal(probe(r, 'match').passed, false);
  assert.match(probe(r, 'match').reason, /baseline's out\[0, 0\] is Infinity/);
});

test('leftover poison fails written and names the element', async () => {
  const r = await scenario((seed) => {
    const out = result(seed);
    new Uint32Array(out.buffer)[3 * COLS + 1] = Number(poisonPattern(POISON_BYTE.float32, 4));
    return { out };
  });
  const w = probe(r, 'written');
  assert.equal(w.passed, false);
  assert.match(w.reason, /out\[3, 1\]/);
  assert.match(w.reason, /never wrote/);
  assert.deepEqual(r.verdict.failed.sort(), ['match', 'written']);
});

test('a poison byte declared by the dump overrides the default', async () => {
  const r = await scenario((seed) => {
    const out = result(seed);
    if (seed === 1) new Uint32Array(out.buffer)[2] = 0x5a5a5a5a; // a finite float: only the poison check sees it
    return { out, poison: '0x5a' };
  });
  assert.match(probe(r, 'written').reason, /seed 1: 1 element\(s\) of 'out'.*out\[0, 2\]/);
  await assert.rejects(scenario(() => ({ poison: 'lots' })), /declares poison "lots", not a byte/);
});

test('a changed input checksum fails inputs-unchanged', async () => {
  const r = await scenario((seed) => (seed === 3 ? { checksumAfterA: '0000' } : {}));
  const p = probe(r, 'inputs-unchanged');
  assert.equal(p.passed, false);
  assert.match(p.reason, /seed 3: the candidate changed input\(s\) 'a'/);
  assert.deepEqual(r.verdict.failed, ['inputs-unchanged']);
});

test('an output aliasing an input fails no-aliasing, equal or overlapping', async () => {
  const equal = await scenario(() => ({ pointers: { a: '0x7f0000000000', b: '0x7f0000010000', out: '0x7f0000000000' } }));
  assert.equal(probe(equal, 'no-aliasing').passed, false);
  assert.match(probe(equal, 'no-aliasing').reason, /'a' and 'out' overlap/);
  // out starts 64 bytes into b's 128-byte buffer.
  const overlap = await scenario(() => ({ pointers: { a: '0x7f0000000000', b: '0x7f0000010000', out: '0x7f0000010040' } }));
  assert.equal(probe(overlap, 'no-aliasing').passed, false);
  // Adjacent (out starts right after b's 128 bytes) is fine.
  const adjacent = await scenario(() => ({ pointers: { a: '0x7f0000000000', b: '0x7f0000010000', out: '0x7f0000010080' } }));
  assert.equal(probe(adjacent, 'no-aliasing').passed, true, probe(adjacent, 'no-aliasing').reason);
});

test('fewer than three seeds fails the seeds probe', async () => {
  const r = await verify({
    spec: spec(),
    baseline: [1, 2].map((seed) => run({ seed, out: result(seed) })),
    candidate: [1, 2].map((seed) => run({ seed, out: result(seed) })),
  });
  assert.equal(probe(r, 'seeds').passed, false);
  assert.match(probe(r, 'seeds').reason, /only 2 distinct seed/);
  assert.equal(r.verdict.accepted, false);
});

test('a spec whose tolerance lets zeros pass is flagged weak, without rejecting the candidate', async () => {
  // Outputs of magnitude < 1e-4 with atol 1e-4: an all-zero kernel would pass.
  const tiny = (seed: number): Float32Array => result(seed).map((v) => v * 1e-5);
  const s = spec();
  const r = await verify({
    spec: s,
    baseline: SEEDS.map((seed) => run({ seed, out: tiny(seed) })),
    candidate: SEEDS.map((seed) => run({ seed, out: tiny(seed) })),
  });
  const t = probe(r, 'not-trivial');
  assert.equal(t.passed, false);
  assert.equal(t.gate, false);
  assert.match(t.reason, /all-zero 'out'/);
  assert.equal(r.verdict.weakSpec, true);
  assert.equal(r.verdict.accepted, true);
  assert.match(r.verdict.summary, /; weak spec: an all-zero 'out'/);
  // The same data with a tighter atol is not weak.
  const strict = await verify({
    spec: { ...s, tolerance: { float32: { rtol: 1e-4, atol: 1e-9 } } },
    baseline: SEEDS.map((seed) => run({ seed, out: tiny(seed) })),
    candidate: SEEDS.map((seed) => run({ seed, out: tiny(seed) })),
  });
  assert.equal(strict.verdict.weakSpec, false, probe(strict, 'not-trivial').reason);
});

test('an output equal to an input within tolerance is flagged weak when inputs are available', async () => {
  const r = await verify({
    spec: spec(),
    baseline: SEEDS.map((seed) => run({ seed, out: result(seed) })),
    candidate: SEEDS.map((seed) => run({ seed, out: result(seed) })),
    readInput: async (seed, arg) => {
      const values = arg.name === 'a' ? result(seed).map((v) => v + 1e-6) : result(seed + 100);
      return new Uint8Array(values.buffer);
    },
  });
  assert.equal(r.verdict.weakSpec, true);
  assert.match(probe(r, 'not-trivial').reason, /'out' = input 'a'/);
  assert.doesNotMatch(probe(r, 'not-trivial').reason, /input 'b'/);
});

test('an inout that would pass unchanged is flagged weak (the do-nothing kernel)', async () => {
  const s: BenchSpec = { ...spec(), args: [{ name: 'out', role: 'inout', dtype: 'float32', shape: ['rows', 'cols'] }] };
  const runs = (): CheckRun[] => SEEDS.map((seed) => {
    const r = run({ seed, out: result(seed) });
    r.report.inputChecksumsBefore = {};
    r.report.inputChecksumsAfter = {};
    r.report.pointers = { out: '0x1000' };
    return r;
  });
  // The kernel's effect is below the tolerance: the initial values already "match".
  const r = await verify({ spec: s, baseline: runs(), candidate: runs(), readInput: async (seed) => new Uint8Array(result(seed).map((v) => v + 1e-5).buffer) });
  assert.equal(r.verdict.accepted, true, r.verdict.summary);
  assert.match(probe(r, 'not-trivial').reason, /'out' left at its initial values/);
  assert.equal(probe(r, 'written').skipped, true);
});

test('determinism is reported, not gated', async () => {
  const baseline = SEEDS.map((seed) => run({ seed, out: result(seed) }));
  const candidate = SEEDS.map((seed) => run({ seed, out: result(seed) }));
  const jittered = result(2);
  jittered[9] = Math.fround(jittered[9] + 1e-6);
  const r = await verify({ spec: spec(), baseline, candidate, candidateRepeat: run({ seed: 2, out: jittered }) });
  const d = probe(r, 'deterministic');
  assert.equal(d.passed, false);
  assert.equal(d.gate, false);
  assert.match(d.reason, /1 element\(s\) of 'out', first out\[1, 1\]/);
  assert.equal(r.verdict.accepted, true);
  const same = await verify({ spec: spec(), baseline, candidate, candidateRepeat: run({ seed: 2, out: result(2) }) });
  assert.equal(probe(same, 'deterministic').passed, true);
  assert.equal(probe(same, 'deterministic').skipped, undefined);
});

test('float16 and bfloat16 bits decode exactly', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
  assert.equal(halfToFloat(0xfc00), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
  assert.equal(bfloat16ToFloat(0x3f80), 1);
  assert.equal(bfloat16ToFloat(0xc0a0), -5);
  assert.equal(bfloat16ToFloat(0x4049), 3.140625);
  assert.ok(Number.isNaN(bfloat16ToFloat(Number(poisonPattern(POISON_BYTE.bfloat16, 2)))));
  assert.ok(Number.isNaN(halfToFloat(Number(poisonPattern(POISON_BYTE.float16, 2)))));
  // Through the array decoder, from an odd byte offset (as Buffer pools hand out).
  const raw = new Uint8Array(7);
  raw.set([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b], 1);
  assert.deepEqual([...decodeValues(raw.subarray(1), 'float16')], [1, -2, 65504]);
  assert.deepEqual([...decodeValues(new Uint8Array([0x80, 0x3f, 0xa0, 0xc0]), 'bfloat16')], [1, -5]);
  assert.throws(() => decodeValues(new Uint8Array(3), 'float16'), /not a whole number/);
  assert.deepEqual(unravelIndex(2 * 8 * 3 + 8 + 5, [4, 3, 8]), [2, 1, 5]);
});

test('float16 outputs are matched and poison-checked on their decoded values and bits', async () => {
  const halves = (seed: number): Uint16Array => Uint16Array.from({ length: N }, (_, i) => 0x3c00 + ((seed * 7 + i) % 64));
  const wrong = halves(1);
  wrong[4] = 0x4000; // 2 instead of ~1.0x
  const poisoned = halves(2);
  poisoned[6] = Number(poisonPattern(POISON_BYTE.float16, 2));
  const s = spec('float16');
  const r = await verify({
    spec: s,
    baseline: SEEDS.map((seed) => run({ seed, out: halves(seed), dtype: 'float16' })),
    candidate: [run({ seed: 1, out: wrong, dtype: 'float16' }), run({ seed: 2, out: poisoned, dtype: 'float16' }), run({ seed: 3, out: halves(3), dtype: 'float16' })],
  });
  assert.match(probe(r, 'match').reason, /seed 1: out\[0, 4\] = 2/);
  assert.match(probe(r, 'written').reason, /seed 2: 1 element\(s\) of 'out'.*out\[0, 6\]/);
});

test('integer sentinel values the baseline really computes are not called unwritten', async () => {
  const sentinel = Number(poisonPattern(POISON_BYTE.int32, 4)) | 0;
  const ints = (seed: number): Int32Array => Int32Array.from({ length: N }, (_, i) => (i === 0 ? sentinel : seed * 1000 + i));
  const s = spec('int32');
  const ok = await verify({
    spec: s,
    baseline: SEEDS.map((seed) => run({ seed, out: ints(seed), dtype: 'int32' })),
    candidate: SEEDS.map((seed) => run({ seed, out: ints(seed), dtype: 'int32' })),
  });
  assert.equal(probe(ok, 'written').passed, true, probe(ok, 'written').reason);
  assert.equal(ok.verdict.accepted, true, ok.verdict.summary);
  const left = ints(3);
  left[5] = sentinel;
  const bad = await verify({
    spec: s,
    baseline: SEEDS.map((seed) => run({ seed, out: ints(seed), dtype: 'int32' })),
    candidate: [run({ seed: 1, out: ints(1), dtype: 'int32' }), run({ seed: 2, out: ints(2), dtype: 'int32' }), run({ seed: 3, out: left, dtype: 'int32' })],
  });
  assert.match(probe(bad, 'written').reason, /seed 3: 1 element\(s\).*out\[0, 5\]/);
  // Integers default to exact equality.
  assert.match(probe(bad, 'match').reason, /1 of 32 elements fail/);
});

test('int64 values beyond 2^53 are compared exactly', async () => {
  const big = (seed: number): BigInt64Array => BigInt64Array.from({ length: N }, (_, i) => 2n ** 60n + BigInt(seed * 100 + i));
  const off = big(1);
  off[3] += 1n; // invisible after conversion to double
  const s = spec('int64');
  const r = await verify({
    spec: s,
    baseline: SEEDS.map((seed) => run({ seed, out: big(seed), dtype: 'int64' })),
    candidate: [run({ seed: 1, out: off, dtype: 'int64' }), run({ seed: 2, out: big(2), dtype: 'int64' }), run({ seed: 3, out: big(3), dtype: 'int64' })],
  });
  assert.equal(probe(r, 'match').passed, false);
  assert.match(probe(r, 'match').reason, /out\[0, 3\] = 1152921504606847080, baseline 1152921504606847079 \(\|Δ\| 1 > allowed 0\)/);
});

test('a dtype or size mismatch fails match with context; a short dump throws with its path', async () => {
  const r = await verify({
    spec: spec(),
    baseline: SEEDS.map((seed) => run({ seed, out: result(seed) })),
    candidate: SEEDS.map((seed) => run({ seed, out: new Uint16Array(N), dtype: 'float16' })),
  });
  assert.match(probe(r, 'match').reason, /float16 in the candidate but float32 in the baseline/);
  const shortRun = run({ seed: 1, out: new Float32Array(N - 1) });
  await assert.rejects(
    verify({ spec: spec(), baseline: SEEDS.map((seed) => run({ seed, out: result(seed) })), candidate: [shortRun, ...[2, 3].map((seed) => run({ seed, out: result(seed) }))] }),
    /has 124 bytes, expected 32 × 4 = 128/,
  );
});

test('dump names from a report cannot escape their folder', async () => {
  await assert.rejects(fsDumpReader(root, '../etc/passwd'), /not a plain file name/);
});

// What the gate decides at the edges the mutation run found unguarded (issue 15).

test('an output whose last element alone was never written fails written', { timeout: 10_000 }, async () => {
  const r = await scenario((seed) => {
    const out = result(seed);
    if (seed === 2) new Uint32Array(out.buffer)[N - 1] = Number(poisonPattern(POISON_BYTE.float32, 4));
    return { out };
  });
  const w = probe(r, 'written');
  assert.equal(w.passed, false);
  assert.match(w.reason, /seed 2: 1 element\(s\) of 'out' still hold the harness's poison, first out\[3, 7\]/);
  assert.equal(r.verdict.accepted, false);
});

test("an input checksum the candidate's report lacks is not taken as unchanged", { timeout: 10_000 }, async () => {
  for (const side of ['inputChecksumsBefore', 'inputChecksumsAfter'] as const) {
    const candidate = SEEDS.map((seed) => run({ seed, out: result(seed) }));
    delete candidate[1].report[side].b;
    const r = await verify({ spec: spec(), baseline: SEEDS.map((seed) => run({ seed, out: result(seed) })), candidate });
    const p = probe(r, 'inputs-unchanged');
    assert.equal(p.passed, false, `${side} without 'b'`);
    assert.match(p.reason, /seed 2: no before\/after checksum for input\(s\) 'b', so mutation cannot be ruled out/);
    assert.deepEqual(r.verdict.failed, ['inputs-unchanged']);
  }
});

test('an output aliasing an input rejects the candidate, whatever its values', { timeout: 10_000 }, async () => {
  const r = await scenario(() => ({ pointers: { a: '0x7f0000000000', b: '0x7f0000010000', out: '0x7f0000010000' } }));
  assert.equal(probe(r, 'match').passed, true);
  assert.equal(probe(r, 'no-aliasing').gate, true);
  assert.equal(r.verdict.accepted, false);
  assert.deepEqual(r.verdict.failed, ['no-aliasing']);
  // A buffer without a reported pointer cannot be cleared of aliasing either.
  const unknown = await scenario(() => ({ pointers: { a: '0x7f0000000000', out: '0x7f0000020000' } }));
  assert.match(probe(unknown, 'no-aliasing').reason, /no pointer reported for buffer 'b'/);
  assert.deepEqual(unknown.verdict.failed, ['no-aliasing']);
});

test('float64: the poison a harness leaves is a NaN no arithmetic makes, and exact zeros count as written', { timeout: 10_000 }, async () => {
  // For every float type, an element the kernel never wrote decodes as NaN (so it can never pass the
  // tolerance) with the sign bit set (so it is not the canonical NaN a computation yields).
  for (const dtype of ['float64', 'float32', 'float16', 'bfloat16'] as const) {
    const width = { float64: 8, float32: 4, float16: 2, bfloat16: 2 }[dtype];
    const bytes = new Uint8Array(width).fill(POISON_BYTE[dtype]);
    const [value] = decodeValues(bytes, dtype, 'poison');
    assert.ok(Number.isNaN(Number(value)), `${dtype}: poison decodes as ${value}`);
    assert.equal(bytes[width - 1] & 0x80, 0x80, `${dtype}: poison has the sign bit set`);
  }
  // A ReLU-like float64 output: exact zeros on both sides are results, not gaps.
  const relu = (seed: number) => Float64Array.from(result(seed), (v) => Math.max(0, v));
  const f64 = spec('float64');
  const ok = await verify({ spec: f64, baseline: SEEDS.map((seed) => run({ seed, out: relu(seed), dtype: 'float64' })), candidate: SEEDS.map((seed) => run({ seed, out: relu(seed), dtype: 'float64' })) });
  const written = probe(ok, 'written');
  assert.equal(written.passed, true, written.reason);
  assert.doesNotMatch(written.reason, /the baseline itself leaves/);
  assert.equal(ok.verdict.accepted, true, ok.verdict.summary);
  // And a float64 element left as poisoned is caught by both probes.
  const left = relu(1);
  new BigUint64Array(left.buffer)[9] = poisonPattern(POISON_BYTE.float64, 8);
  const bad = await verify({ spec: f64, baseline: SEEDS.map((seed) => run({ seed, out: relu(seed), dtype: 'float64' })), candidate: [run({ seed: 1, out: left, dtype: 'float64' }), ...[2, 3].map((seed) => run({ seed, out: relu(seed), dtype: 'float64' }))] });
  assert.deepEqual(bad.verdict.failed.sort(), ['match', 'written']);
  assert.match(probe(bad, 'written').reason, /out\[1, 1\]/);
});

test("every dtype's default tolerance decides: an fp32 error of 5e-4 fails, 5e-5 passes; an fp64 result rounded to fp32 fails; integers are exact", { timeout: 10_000 }, async () => {
  /** One output of `dtype` whose element 3 is `value` instead of the baseline's 1 (bool: 0 instead of 1). */
  const outcome = async (dtype: Dtype, value: number): Promise<boolean> => {
    const encode = (v: number): ArrayBufferView => {
      const values = Array.from({ length: N }, (_, i) => (i === 3 ? v : 1));
      switch (dtype) {
        case 'float32': return Float32Array.from(values);
        case 'float64': return Float64Array.from(values);
        // Values in [1, 2): the exponent bits of 1 plus the fraction in the format's mantissa steps.
        case 'float16': return Uint16Array.from(values, (x) => 0x3c00 + (x - 1) * 1024);
        case 'bfloat16': return Uint16Array.from(values, (x) => 0x3f80 + (x - 1) * 128);
        case 'int8': return Int8Array.from(values);
        case 'uint8': case 'bool': return Uint8Array.from(values);
        case 'int16': return Int16Array.from(values);
        case 'int32': return Int32Array.from(values);
        case 'uint32': return Uint32Array.from(values);
        case 'int64': return BigInt64Array.from(values, BigInt);
        case 'uint64': return BigUint64Array.from(values, BigInt);
      }
    };
    const r = await verify({
      spec: spec(dtype),
      baseline: SEEDS.map((seed) => run({ seed, out: encode(1), dtype })),
      candidate: SEEDS.map((seed) => run({ seed, out: seed === 2 ? encode(value) : encode(1), dtype })),
    });
    return probe(r, 'match').passed;
  };
  assert.equal(await outcome('float32', 1 + 5e-4), false, 'fp32 |Δ| 5e-4 > 1e-4 + 1e-4·1');
  assert.equal(await outcome('float32', 1 + 5e-5), true, 'fp32 |Δ| 5e-5 is within');
  assert.equal(await outcome('float64', 1 + 2 ** -23), false, 'an fp64 result computed in fp32 fails');
  assert.equal(await outcome('float64', 1 + 1e-12), true);
  for (const dtype of ['float16', 'bfloat16'] as const) {
    assert.equal(await outcome(dtype, 1.0078125), true, `${dtype}: |Δ| 2^-7 is within 1e-2 + 1e-2·1`);
    assert.equal(await outcome(dtype, 1.0625), false, `${dtype}: |Δ| 2^-4 is not`);
  }
  for (const dtype of ['int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool'] as const) {
    assert.equal(await outcome(dtype, dtype === 'bool' ? 0 : 2), false, `${dtype}: off by one fails`);
  }
});
