// Element-by-element work on decoded output arrays: tolerance match, leftover poison, trivial-output checks,
// bitwise equality. Pure functions over typed arrays; verify.ts decides what they mean.

import type { Tolerance } from '../benchspec/model';
import type { Bits, Values } from './dtype';
import { unravelIndex } from '../derive/shapes';

export interface ElementFailure {
  flat: number;
  /** Row-major index in the argument's shape (the flat index alone when the shape is unknown). */
  index: number[];
  baseline: string;
  candidate: string;
  why: 'tolerance' | 'non-finite-baseline' | 'non-finite-candidate';
  /** |c − b| (exact for 64-bit integers); NaN when either side is not finite. */
  absErr: number;
  /** atol + rtol·|b| at this element. */
  allowed?: number;
}

export interface MatchStats {
  elements: number;
  failures: number;
  nonFiniteBaseline: number;
  nonFiniteCandidate: number;
  maxAbsErr: number;
  /** Max |c − b| / |b| over elements with b ≠ 0 (elements with b = 0 are covered by atol). */
  maxRelErr: number;
  first?: ElementFailure;
}

function isBig(v: Values): v is BigInt64Array | BigUint64Array {
  return v instanceof BigInt64Array || v instanceof BigUint64Array;
}

/**
 * Every element must satisfy |c − b| ≤ atol + rtol·|b| with both sides finite: a NaN or ±Inf on either side
 * fails, because a tolerance check on non-finite values proves nothing (NaN ≠ NaN would already fail, but an
 * Inf on both sides would otherwise "match"). 64-bit integers are subtracted exactly as bigints.
 */
export function matchValues(baseline: Values, candidate: Values, tol: Tolerance, shape?: readonly number[]): MatchStats {
  if (baseline.length !== candidate.length) throw new RangeError(`matchValues: ${baseline.length} baseline vs ${candidate.length} candidate elements`);
  const stats: MatchStats = { elements: baseline.length, failures: 0, nonFiniteBaseline: 0, nonFiniteCandidate: 0, maxAbsErr: 0, maxRelErr: 0 };
  const note = (flat: number, b: number | bigint, c: number | bigint, why: ElementFailure['why'], absErr: number, allowed?: number): void => {
    stats.failures++;
    if (!stats.first) {
      stats.first = { flat, index: unravelIndex(flat, shape), baseline: String(b), candidate: String(c), why, absErr };
      if (allowed !== undefined) stats.first.allowed = allowed;
    }
  };
  if (isBig(baseline) || isBig(candidate)) {
    for (let i = 0; i < baseline.length; i++) {
      const b = BigInt(baseline[i]);
      const c = BigInt(candidate[i]);
      const diff = Number(c > b ? c - b : b - c);
      const absB = Math.abs(Number(b));
      const allowed = tol.atol + tol.rtol * absB;
      if (diff > stats.maxAbsErr) stats.maxAbsErr = diff;
      if (absB > 0 && diff / absB > stats.maxRelErr) stats.maxRelErr = diff / absB;
      if (diff > allowed) note(i, b, c, 'tolerance', diff, allowed);
    }
    return stats;
  }
  const b = baseline as Exclude<Values, BigInt64Array | BigUint64Array>;
  const c = candidate as Exclude<Values, BigInt64Array | BigUint64Array>;
  for (let i = 0; i < b.length; i++) {
    const bv = b[i];
    const cv = c[i];
    if (!Number.isFinite(bv)) {
      stats.nonFiniteBaseline++;
      note(i, bv, cv, 'non-finite-baseline', Number.NaN);
      continue;
    }
    if (!Number.isFinite(cv)) {
      stats.nonFiniteCandidate++;
      note(i, bv, cv, 'non-finite-candidate', Number.NaN);
      continue;
    }
    const diff = Math.abs(cv - bv);
    const absB = Math.abs(bv);
    const allowed = tol.atol + tol.rtol * absB;
    if (diff > stats.maxAbsErr) stats.maxAbsErr = diff;
    if (absB > 0 && diff / absB > stats.maxRelErr) stats.maxRelErr = diff / absB;
    if (diff > allowed) note(i, bv, cv, 'tolerance', diff, allowed);
  }
  return stats;
}

export interface PoisonStats {
  /** Candidate elements still holding the harness's poison where the baseline's element does not. */
  unwritten: number;
  /** Baseline elements holding the poison: the baseline itself never wrote them. */
  baselineUnwritten: number;
  first?: { flat: number; index: number[] };
}

/**
 * Leftover poison. An element counts as unwritten when its bits equal the poison pattern and the baseline's
 * element does not: for floats the baseline never legitimately produces our NaN payload, and for integers this is
 * what keeps a sentinel-valued real result from being called unwritten.
 */
export function countPoison(candidate: Bits, candidatePoison: bigint, baseline: Bits, baselinePoison: bigint, shape?: readonly number[]): PoisonStats {
  const stats: PoisonStats = { unwritten: 0, baselineUnwritten: 0 };
  // Typed arrays of ≤ 32-bit elements hold numbers, BigUint64Array holds bigints: compare like with like.
  const c = candidate instanceof BigUint64Array ? candidatePoison : Number(candidatePoison);
  const b = baseline instanceof BigUint64Array ? baselinePoison : Number(baselinePoison);
  for (let i = 0; i < candidate.length; i++) {
    if (baseline[i] === b) stats.baselineUnwritten++;
    else if (candidate[i] === c) {
      stats.unwritten++;
      stats.first ??= { flat: i, index: unravelIndex(i, shape) };
    }
  }
  return stats;
}

/** Would `trivial` (a constant, or another array of the same length) pass the match against the baseline? */
export function trivialPasses(baseline: Values, trivial: number | Values, tol: Tolerance): boolean {
  const at = (v: Values, i: number): number => Number(v[i]);
  for (let i = 0; i < baseline.length; i++) {
    const b = at(baseline, i);
    const t = typeof trivial === 'number' ? trivial : at(trivial, i);
    if (!Number.isFinite(b) || !Number.isFinite(t)) return false;
    if (Math.abs(t - b) > tol.atol + tol.rtol * Math.abs(b)) return false;
  }
  return true;
}

/** Mean of the finite elements (the constant a "near-constant output" cheat would write). */
export function finiteMean(values: Values): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** Count of elements whose bits differ, and the first one. */
export function bitwiseDiff(a: Bits, b: Bits, shape?: readonly number[]): { differing: number; first?: { flat: number; index: number[] } } {
  if (a.length !== b.length) throw new RangeError(`bitwiseDiff: ${a.length} vs ${b.length} elements`);
  let differing = 0;
  let first: { flat: number; index: number[] } | undefined;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      differing++;
      first ??= { flat: i, index: unravelIndex(i, shape) };
    }
  }
  return first ? { differing, first } : { differing };
}
