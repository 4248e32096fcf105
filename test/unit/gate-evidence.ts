// What the gate runtime says about one candidate of a 4×8 float add, as events (harness/protocol.ts): clean checks
// on three seeds, a repeat, ten verified timed pairs. Tests change one field to make the case they decide about.
// Shared by the derive-*.test.ts and gate-*.test.ts files.
import assert from 'node:assert/strict';
import { ELEMENT_BYTES } from '../../server/src/benchspec/defaults';
import type { BenchSpec, Dtype, Tolerance } from '../../server/src/benchspec/model';
import { decodeValues, rawBits } from '../../server/src/bench/dtype';
import { countPoison, matchValues } from '../../server/src/bench/elementwise';
import type { CandidateEvidence, Probe, ProbeName } from '../../server/src/derive/probes';
import { POISON_BYTE, poisonPattern } from '../../server/src/harness/poison';
import type { CheckEvent, OutputComparison, TimingEvent } from '../../server/src/harness/protocol';

export const spec: BenchSpec = {
  version: 1,
  kernel: 'add',
  sizes: { rows: 4, cols: 8 },
  args: [
    { name: 'a', role: 'input', dtype: 'float32', shape: ['rows', 'cols'] },
    { name: 'b', role: 'input', dtype: 'float32', shape: ['rows', 'cols'] },
    { name: 'out', role: 'output', dtype: 'float32', shape: ['rows', 'cols'] },
  ],
  launch: { grid: ['1'], block: ['32'] },
};

export const span = { kernelMs: 0.01, launchMs: 0.004, wallMs: 0.02, activities: 1, streams: 1 };

export const clean: OutputComparison = { name: 'out', elements: 32, failures: 0, nonFiniteBaseline: 0, nonFiniteCandidate: 0, maxAbsErr: 0, maxRelErr: 0, unwritten: 0, baselineUnwritten: 0 };

export function check(seed: number, out: Partial<OutputComparison> = {}, extra: Partial<CheckEvent> = {}): CheckEvent {
  return {
    kind: 'check',
    seed,
    sizes: { rows: 4, cols: 8 },
    candidateLaunch: span,
    baselineLaunch: span,
    inputs: [
      { name: 'a', before: 'aa', after: 'aa' },
      { name: 'b', before: 'bb', after: 'bb' },
    ],
    outputs: [{ ...clean, ...out }],
    pointers: { a: '0x10000', b: '0x20000', out: '0x30000' },
    ...extra,
  };
}

export function timing(pairs: number, extra: Partial<TimingEvent> = {}): TimingEvent {
  const series = { kernelMs: Array(pairs).fill(0.01), launchMs: Array(pairs).fill(0.004), wallMs: Array(pairs).fill(0.02), activities: Array(pairs).fill(1), streams: Array(pairs).fill(1) };
  return {
    kind: 'timing',
    method: 'cupti-activity',
    sizes: { rows: 4, cols: 8 },
    seed: 50,
    warmup: 2,
    sets: 2,
    l2FlushBytes: 1 << 26,
    pairs,
    verifiedLaunches: pairs + 2,
    baseline: series,
    candidate: series,
    verification: { outputs: [{ name: 'out', failures: Array(pairs).fill(0), unwritten: Array(pairs).fill(0) }], inputsChanged: Array(pairs).fill(0) },
    unaccountedActivities: 0,
    ...extra,
  };
}

export function evidence(extra: Partial<CandidateEvidence> = {}): CandidateEvidence {
  return { plan: { seeds: [1, 2, 3], sweep: [], sizes: spec.sizes }, checks: [1, 2, 3].map((s) => check(s)), repeat: { kind: 'repeat', seed: 1, outputs: [{ name: 'out', differing: 0 }] }, timing: timing(10), state: [], ...extra };
}

export const probe = (probes: Probe[], name: ProbeName): Probe => {
  const found = probes.find((p) => p.name === name);
  assert.ok(found, `probe ${name}`);
  return found;
};

/**
 * One output compared as the runtime's comparison kernel does (kp_compare.cuh, whose specification is
 * bench/elementwise.ts): every element matched within the spec's tolerance for its dtype, and poison looked for
 * where the reference has none. The raw little-endian bytes of both sides go in; the check event's entry comes out.
 */
export function compareOutput(name: string, dtype: Dtype, tolerance: Tolerance, reference: Uint8Array, candidate: Uint8Array, shape?: number[]): OutputComparison {
  const poison = poisonPattern(POISON_BYTE[dtype], ELEMENT_BYTES[dtype]);
  const m = matchValues(decodeValues(reference, dtype), decodeValues(candidate, dtype), tolerance, shape);
  const p = countPoison(rawBits(candidate, dtype), poison, rawBits(reference, dtype), poison, shape);
  const value = (text: string): number | string => (dtype === 'int64' || dtype === 'uint64' || !Number.isFinite(Number(text)) ? text : Number(text));
  return {
    name,
    elements: m.elements,
    failures: m.failures,
    nonFiniteBaseline: m.nonFiniteBaseline,
    nonFiniteCandidate: m.nonFiniteCandidate,
    maxAbsErr: m.maxAbsErr,
    maxRelErr: m.maxRelErr,
    unwritten: p.unwritten,
    baselineUnwritten: p.baselineUnwritten,
    ...(p.first ? { firstUnwritten: p.first.flat } : {}),
    ...(m.first ? { first: { index: m.first.flat, baseline: value(m.first.baseline), candidate: value(m.first.candidate) } } : {}),
  };
}

/** The bytes of a typed array, as the runtime would compare them. */
export const bytesOf = (values: ArrayBufferView): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
