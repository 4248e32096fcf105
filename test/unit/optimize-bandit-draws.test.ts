// The bandit's posterior draws (optimize/bandit.ts) follow the Beta distribution they claim: the mutation run
// (issue 15) found its Gamma sampler's acceptance test unchecked, and a wrong sampler biases which strategy runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { betaSample } from '../../server/src/optimize/bandit';
import { mulberry32 } from '../../server/src/derive/prng';

function moments(alpha: number, beta: number, n = 40_000): { mean: number; variance: number } {
  const uniform = mulberry32(7);
  const xs = Array.from({ length: n }, () => betaSample(alpha, beta, uniform));
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) };
}

for (const [alpha, beta] of [[2, 5], [1, 1], [0.5, 0.5], [30, 3]]) {
  test(`Beta(${alpha}, ${beta}) draws have its mean and variance`, { timeout: 10_000 }, () => {
    const { mean, variance } = moments(alpha, beta);
    const s = alpha + beta;
    const want = { mean: alpha / s, variance: (alpha * beta) / (s * s * (s + 1)) };
    // 40 000 draws: the mean's standard error is under 0.003 and the variance's under 1.2 % for these shapes.
    assert.ok(Math.abs(mean - want.mean) < 0.01, `mean ${mean}, want ${want.mean}`);
    assert.ok(Math.abs(variance / want.variance - 1) < 0.05, `variance ${variance}, want ${want.variance}`);
  });
}

// The moments above move little when the sampler's acceptance test is loosened (its proposal is already close to
// a Gamma); the whole distribution does: a Kolmogorov–Smirnov test against Beta CDFs that have a closed form.
for (const [alpha, beta, cdf] of [[1, 1, (x: number) => x], [2, 1, (x: number) => x * x], [1, 2, (x: number) => 1 - (1 - x) ** 2]] as const) {
  test(`Beta(${alpha}, ${beta}) draws follow its distribution function (Kolmogorov–Smirnov, 100 000 draws)`, { timeout: 20_000 }, () => {
    const n = 100_000;
    const uniform = mulberry32(7);
    const xs = Array.from({ length: n }, () => betaSample(alpha, beta, uniform)).sort((a, b) => a - b);
    let distance = 0;
    xs.forEach((x, i) => (distance = Math.max(distance, Math.abs(cdf(x) - i / n), Math.abs(cdf(x) - (i + 1) / n))));
    // 1.63/√n is the 1 % critical value.
    assert.ok(distance < 1.63 / Math.sqrt(n), `KS distance ${distance}`);
  });
}
