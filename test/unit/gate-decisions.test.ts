// The nine bugs issue 15 planted in the gate by hand and the tests of that time did not catch, each as a test of
// what the gate decides, on the code that makes that decision now: the runtime's events (harness/protocol.ts) are
// turned into probes (derive/probes.ts), a verdict and the gate's result (derive/verdict.ts, summary.ts), with the
// element comparison (bench/elementwise.ts, the specification of the GPU's kp_compare.cuh), the poison
// (harness/poison.ts), how a runtime process ends (harness/run.ts) and what a crash means (bench/crash.ts).
import { onThisMachine } from '../../server/src/targets/this-machine';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashEvidence } from '../../server/src/bench/crash';
import { decodeValues } from '../../server/src/bench/dtype';
import { toleranceFor } from '../../server/src/benchspec/defaults';
import { compareTimings } from '../../server/src/derive/compare';
import { probesOf, verdictOf } from '../../server/src/derive/probes';
import { flopsCeilingApplies } from '../../server/src/derive/roofline';
import { deriveSummary } from '../../server/src/derive/summary';
import { POISON_BYTE, poisonPattern } from '../../server/src/harness/poison';
import type { GateEvent } from '../../server/src/harness/protocol';
import { HarnessRunError, runGate } from '../../server/src/harness/run';
import type { ExecResult, Target } from '../../server/src/targets/target';
import { bytesOf, check, compareOutput, evidence, probe, spec, timing } from './gate-evidence';

const FP32 = toleranceFor(spec, 'float32');
const reference = () => Float32Array.from({ length: 32 }, (_, i) => i - 7.5);

test('an output whose last element alone was never written is rejected by written, which names that element', { timeout: 10_000 }, () => {
  const candidate = reference();
  new Uint32Array(candidate.buffer)[31] = Number(poisonPattern(POISON_BYTE.float32, 4));
  const out = compareOutput('out', 'float32', FP32, bytesOf(reference()), bytesOf(candidate), [4, 8]);
  assert.equal(out.unwritten, 1);
  assert.equal(out.firstUnwritten, 31);
  const probes = probesOf(spec, evidence({ checks: [check(1), check(2, out), check(3)] }));
  assert.equal(probe(probes, 'written').passed, false);
  assert.match(probe(probes, 'written').reason, /^seed 2: 1 element\(s\) of 'out' still hold the harness's poison, first out\[3, 7\]: the candidate never wrote them$/);
  assert.equal(verdictOf(probes).accepted, false);
  // The runtime's count alone decides, also when no value failed (an integer output's poison is a number).
  const counted = probesOf(spec, evidence({ checks: [check(1), check(2, { unwritten: 1, firstUnwritten: 31 }), check(3)] }));
  assert.deepEqual(verdictOf(counted).failed, ['written']);
  // And in the last timed pair: one element left unwritten there fails the timed probe.
  const late = timing(10);
  late.verification?.outputs[0].unwritten.splice(9, 1, 1);
  assert.deepEqual(verdictOf(probesOf(spec, evidence({ timing: late }))).failed, ['timed']);
});

test("an input the runtime reported no digest for is not taken as unchanged", { timeout: 10_000 }, () => {
  const withoutB = check(2, {}, { inputs: [{ name: 'a', before: 'aa', after: 'aa' }] });
  const probes = probesOf(spec, evidence({ checks: [check(1), withoutB, check(3)] }));
  const p = probe(probes, 'inputs-unchanged');
  assert.equal(p.passed, false);
  assert.match(p.reason, /^seed 2: no digest of input\(s\) 'b' before and after the candidate ran, so a change cannot be ruled out$/);
  assert.deepEqual(verdictOf(probes).failed, ['inputs-unchanged']);
  // A digest without its value on one side is no digest either.
  const empty = check(1, {}, { inputs: [{ name: 'a', before: 'aa', after: 'aa' }, { name: 'b', before: 'bb', after: '' }] });
  assert.deepEqual(verdictOf(probesOf(spec, evidence({ checks: [empty, check(2), check(3)] }))).failed, ['inputs-unchanged']);
});

test('an output aliasing an input rejects the candidate, whatever its values', { timeout: 10_000 }, () => {
  const aliased = [1, 2, 3].map((seed) => check(seed, {}, { pointers: { a: '0x10000', b: '0x20000', out: '0x10000' } }));
  const probes = probesOf(spec, evidence({ checks: aliased }));
  assert.equal(probe(probes, 'match').passed, true);
  assert.equal(probe(probes, 'no-aliasing').gate, true);
  assert.deepEqual(verdictOf(probes).failed, ['no-aliasing']);
  assert.equal(verdictOf(probes).accepted, false);
  // A buffer without a reported address cannot be cleared of aliasing either.
  const unknown = probesOf(spec, evidence({ checks: [check(1, {}, { pointers: { a: '0x10000', out: '0x30000' } }), check(2), check(3)] }));
  assert.deepEqual(verdictOf(unknown).failed, ['no-aliasing']);
  assert.match(probe(unknown, 'no-aliasing').reason, /no address reported for buffer 'b'/);
});

/** A verification every gate probe passed. */
const verified = () => {
  const probes = probesOf(spec, evidence());
  return { probes, verdict: verdictOf(probes) };
};

test('medians that favour the candidate do not make it "faster" when it lost most pairs', { timeout: 10_000 }, () => {
  // 20 pairs 0.1 % slower, one 2× faster: the marginal medians say 2×, the paired test says it lost.
  const baselineMs = [...Array<number>(10).fill(1), ...Array<number>(11).fill(10)];
  const candidateMs = baselineMs.map((b, i) => (i === 10 ? 5 : b * 1.001));
  const s = deriveSummary({ kernel: 'add', gpuName: 'H200', baselineMs, candidateMs, bytes: 1, verification: verified() });
  assert.ok((s.comparison?.speedup ?? 0) >= 1.99);
  assert.ok((s.comparison?.test.pValue ?? 1) < 0.01);
  assert.equal(s.gate?.status, 'no-significant-difference');
  assert.equal(s.gate?.showSpeedup, false);
  // With the pairs agreeing, the same medians are faster.
  assert.equal(compareTimings(baselineMs, baselineMs.map((b) => b / 2)).verdict, 'faster');
});

test('a baseline measuring faster than the copy ceiling rejects the candidate, though its own rate is possible', { timeout: 10_000 }, () => {
  const baselineMs = Array.from({ length: 30 }, (_, i) => 1 + (i % 5) * 0.001);
  const candidateMs = baselineMs.map((x) => x * 2);
  const s = deriveSummary({ kernel: 'add', gpuName: 'H200', baselineMs, candidateMs, bytes: 1.5e9, ceilings: { copyBytesPerSecond: 1e12, fp32FlopsPerSecond: 6e13 }, verification: verified() });
  assert.equal(s.candidateRoofline?.impossible, false);
  assert.equal(s.gate?.accepted, false);
  assert.equal(s.gate?.status, 'rejected');
});

test('a bfloat16 GEMM beyond the FP32 FMA rate is accepted (tensor cores); the same rate in float32 is impossible', { timeout: 10_000 }, () => {
  // 2·4096³ flops at 400 TFLOP/s, beside a 60 TFLOP/s FP32 ceiling; bytes well under the copy ceiling.
  const flops = 2 * 4096 ** 3;
  const ms = (flops / 400e12) * 1000;
  const baselineMs = Array.from({ length: 30 }, (_, i) => ms * 2 * (1 + (i % 3) * 1e-3));
  const candidateMs = baselineMs.map((x) => x / 2);
  const ceilings = { copyBytesPerSecond: 4e12, fp32FlopsPerSecond: 6e13 };
  const summary = (dtype: 'bfloat16' | 'float16' | 'float32') =>
    deriveSummary({ kernel: 'gemm', gpuName: 'H200', baselineMs, candidateMs, bytes: 3 * 4096 ** 2 * 2, flops, ceilings, rooflineOptions: { flopsCeilingApplies: flopsCeilingApplies([dtype, dtype, dtype]) }, verification: verified() });
  for (const dtype of ['bfloat16', 'float16'] as const) {
    const s = summary(dtype);
    assert.equal(s.gate?.accepted, true, `${dtype}: ${s.gate?.reasons.join('; ')}`);
    assert.equal(s.gate?.status, 'faster');
  }
  const fp32 = summary('float32');
  assert.equal(fp32.gate?.accepted, false);
  assert.match(fp32.gate?.headline ?? '', /^rejected: impossible: .* exceeds measured FP32 throughput/);
});

/** A target whose one runtime process ends as `result` says. */
function ending(result: Partial<ExecResult>): Target {
  return onThisMachine({ name: 'stand-in', exec: async (file, args) => ({ command: [file, ...args].join(' '), exitCode: 0, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1, ...result }) });
}

/** The runtime's run of the candidate, then what the gate makes of how it ended. */
async function verdictAfter(result: Partial<ExecResult>) {
  const command = { mode: 'evaluate' as const, baseline: '/b.so', candidate: '/c.so', seeds: [1, 2, 3], timeSeed: 50, warmup: 2, pairs: 10, sets: 2, time: true };
  const error = await runGate('/kp_gate', command, { target: ending(result), timeoutMs: 1000 }).then(() => undefined, (e: unknown) => e);
  const crash = crashEvidence(error);
  const probes = probesOf(spec, evidence({ checks: [1, 2, 3].map((s) => check(s)), timing: undefined, ...(crash ? { crash } : {}) }));
  return { error, crash, probes, verdict: verdictOf(probes) };
}

test('a candidate that hangs is rejected by the runs probe, not turned into a job error', { timeout: 10_000 }, async () => {
  const checks = [1, 2, 3].map((s) => JSON.stringify(check(s))).join('\n');
  const hang = await verdictAfter({ timedOut: true, exitCode: undefined, stdout: checks });
  assert.ok(hang.error instanceof HarnessRunError && hang.error.kind === 'timeout');
  assert.equal(hang.crash?.kind, 'timeout');
  assert.equal(probe(hang.probes, 'runs').passed, false);
  assert.deepEqual(hang.verdict.failed, ['runs']);
  assert.match(hang.verdict.summary, /^rejected: runs failed — the candidate failed: the evaluate run did not finish within 1 s/);
});

test('an end event followed by a non-zero exit is not a result: the process failed after reporting', { timeout: 10_000 }, async () => {
  const events: GateEvent[] = [...[1, 2, 3].map((s) => check(s)), { kind: 'end' }];
  const stdout = events.map((e) => JSON.stringify(e)).join('\n');
  for (const exitCode of [1, 139, undefined]) {
    const after = await verdictAfter({ stdout, exitCode });
    assert.ok(after.error instanceof HarnessRunError, `exit ${exitCode}: accepted as a result`);
    assert.equal(after.error.kind, 'no-report');
    assert.equal(after.error.events.length, 4, 'the events before the failure travel with it');
    assert.deepEqual(after.verdict.failed, ['runs'], `exit ${exitCode}`);
  }
  assert.equal((await verdictAfter({ stdout, exitCode: 0 })).error, undefined);
});

test('float64: an element never written is a NaN no arithmetic makes, and exact zeros count as written', { timeout: 10_000 }, () => {
  // For every float type, poison decodes as NaN (it can never pass a tolerance) with the sign bit set (not the
  // canonical NaN a computation yields).
  for (const dtype of ['float64', 'float32', 'float16', 'bfloat16'] as const) {
    const width = { float64: 8, float32: 4, float16: 2, bfloat16: 2 }[dtype];
    const bytes = new Uint8Array(width).fill(POISON_BYTE[dtype]);
    assert.ok(Number.isNaN(Number(decodeValues(bytes, dtype)[0])), `${dtype}: poison decodes as a number`);
    assert.equal(bytes[width - 1] & 0x80, 0x80, `${dtype}: poison lacks the sign bit`);
  }
  // A ReLU-like float64 output: exact zeros on both sides are results, not gaps.
  const f64 = { ...spec, args: spec.args.map((a) => ({ ...a, dtype: 'float64' as const })) };
  const relu = Float64Array.from({ length: 32 }, (_, i) => Math.max(0, i - 16.5));
  const same = compareOutput('out', 'float64', toleranceFor(f64, 'float64'), bytesOf(relu), bytesOf(relu.slice()), [4, 8]);
  assert.equal(same.baselineUnwritten, 0);
  const ok = probesOf(f64, evidence({ checks: [1, 2, 3].map((s) => check(s, same)) }));
  assert.equal(verdictOf(ok).accepted, true, verdictOf(ok).summary);
  assert.doesNotMatch(probe(ok, 'written').reason, /the baseline itself leaves/);
  // And a float64 element left as poison fails both match and written.
  const left = relu.slice();
  new BigUint64Array(left.buffer)[20] = poisonPattern(POISON_BYTE.float64, 8);
  const gap = compareOutput('out', 'float64', toleranceFor(f64, 'float64'), bytesOf(relu), bytesOf(left), [4, 8]);
  assert.deepEqual(verdictOf(probesOf(f64, evidence({ checks: [check(1, gap), check(2), check(3)] }))).failed, ['match', 'written']);
});
