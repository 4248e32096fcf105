// Check and time seeds drawn at random for every run (field.md pattern 17: a candidate must not be able to know them
// in advance, nor a task's answers be written for them), and recorded with it. The Python gate draws each candidate
// child's own on top (kp_kernelbench.py `fresh_seeds`).
import { randomInt } from 'node:crypto';

/** `count` consecutive check seeds from a random base below 2^30. */
export function randomSeeds(count = 3): number[] {
  const base = randomInt(1, (1 << 30) - count);
  return Array.from({ length: count }, (_, i) => base + i);
}

/** A time seed above every check seed: timed call i draws its inputs with seed timeSeed + i. */
export function randomTimeSeed(): number {
  return (1 << 30) + randomInt(0, 1 << 29);
}
