// Which strategy family to ask for next: Thompson sampling over the families, rewarded by observed gains.
// Each arm keeps a Beta posterior fed with fractional successes (a reward in [0, 1] adds r to α and 1 − r to β),
// so a family that gave a large verified gain is tried more, and one that never pays fades but is never shut out.
// Every draw comes from a PRNG seeded by (seed, round, slot): the same seed and outcomes give the same choices,
// also when a run resumes from its record.

import { mulberry32, normalSampler } from '../derive/prng';
import type { CandidateOutcome } from './evaluator';
import { isVerifiedGain } from './evaluator';
import type { StrategyId } from './strategies';

export interface ArmStats {
  pulls: number;
  /** Sum of rewards. */
  reward: number;
}

/** A 32-bit seed from several integers (a MurmurHash3-style mix), so slots draw independent streams. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.imul(part | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (Math.imul(h, 0xc2b2ae35) ^ (h >>> 16)) >>> 0;
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 through the boost Gamma(a + 1)·U^(1/a). */
function gamma(shape: number, uniform: () => number, normal: () => number): number {
  if (shape < 1) return gamma(shape + 1, uniform, normal) * Math.pow(1 - uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function betaSample(alpha: number, beta: number, uniform: () => number): number {
  const normal = normalSampler(uniform);
  const x = gamma(alpha, uniform, normal);
  const y = gamma(beta, uniform, normal);
  return x / (x + y);
}

/**
 * The reward of a candidate: its verified gain over the parent it was derived from, on a log scale where a
 * doubling is 1. Rejected, slower and not-significant candidates earn 0.
 */
export function gainReward(outcome: CandidateOutcome | undefined, parentSpeedup: number): number {
  if (!isVerifiedGain(outcome)) return 0;
  return Math.min(1, Math.max(0, Math.log2(outcome.timing.speedup / parentSpeedup)));
}

export class StrategyBandit {
  readonly stats = new Map<StrategyId, ArmStats>();

  constructor(readonly arms: readonly StrategyId[]) {
    for (const arm of arms) this.stats.set(arm, { pulls: 0, reward: 0 });
  }

  update(arm: StrategyId, reward: number): void {
    const s = this.stats.get(arm);
    if (!s) throw new Error(`strategy ${arm} is not an arm of this run (arms: ${this.arms.join(', ')})`);
    s.pulls += 1;
    s.reward += reward;
  }

  /** The arm with the highest posterior draw among those not excluded; undefined when all are. */
  choose(uniform: () => number, exclude: ReadonlySet<StrategyId>): StrategyId | undefined {
    let best: StrategyId | undefined;
    let bestDraw = -1;
    for (const arm of this.arms) {
      const s = this.stats.get(arm) as ArmStats;
      const draw = betaSample(1 + s.reward, 1 + s.pulls - s.reward, uniform);
      if (!exclude.has(arm) && draw > bestDraw) {
        best = arm;
        bestDraw = draw;
      }
    }
    return best;
  }
}

/** The draws of one slot: independent of every other slot's, fixed by the run's seed. */
export function slotRandom(seed: number, round: number, slot: number): () => number {
  return mulberry32(mixSeed(seed, round, slot));
}
