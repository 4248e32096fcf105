// A small seeded PRNG so that every random choice the bench engine makes (bootstrap resamples, synthetic test
// data) is reproducible from a seed stored in the run record. Not for cryptography.

/** Uniform in [0, 1), from a 32-bit seed. Mulberry32: one 32-bit state, passes the usual smoke tests, fast. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates by the Box–Muller transform over a uniform source. */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** An integer in [0, n). */
export function randomIndex(uniform: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(uniform() * n));
}
