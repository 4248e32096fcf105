// The optimizer's choices and spending, as pure functions (optimize/bandit.ts, optimize/budget.ts): what a
// candidate earns its strategy, how the Thompson draws follow the earnings, that every slot draws its own fixed
// stream, and what a model's tokens cost (or that their cost is unknown).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { betaSample, gainReward, mixSeed, slotRandom, StrategyBandit } from '../../server/src/optimize/bandit';
import { addSpend, costOf, formatSpend, NO_SPEND } from '../../server/src/optimize/budget';
import { mulberry32 } from '../../server/src/derive/prng';
import { accepted, rejected } from './optimize-helpers';

test('a strategy earns only a verified gain over its parent, on a log scale where doubling is 1', { timeout: 10_000 }, () => {
  assert.equal(gainReward(accepted(2), 1), 1);
  assert.equal(gainReward(accepted(1.5), 1), Math.log2(1.5));
  assert.equal(gainReward(accepted(3), 1.5), 1);
  assert.equal(gainReward(accepted(8), 1), 1, 'capped at 1');
  assert.equal(gainReward(accepted(1.2), 1.5), 0, 'faster than the baseline but slower than its parent: nothing');
  assert.equal(gainReward(accepted(0.5), 1), 0, 'slower');
  assert.equal(gainReward(accepted(1.0), 1), 0, 'no significant difference');
  assert.equal(gainReward(rejected('probes', 'match'), 1), 0);
  assert.equal(gainReward(undefined, 1), 0);
});

test('Beta draws have the Beta mean, for shapes above and below 1, and stay in (0, 1)', { timeout: 10_000 }, () => {
  for (const [a, b] of [[1, 1], [2, 8], [9, 1], [0.5, 0.5], [0.3, 2]]) {
    const uniform = mulberry32(7);
    const n = 4000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = betaSample(a, b, uniform);
      assert.ok(x >= 0 && x <= 1 && Number.isFinite(x), `Beta(${a}, ${b}) drew ${x}`);
      sum += x;
    }
    const mean = a / (a + b);
    // The mean's standard error is at most 0.5 / √n ≈ 0.008.
    assert.ok(Math.abs(sum / n - mean) < 0.03, `Beta(${a}, ${b}): mean ${sum / n}, expected ${mean}`);
  }
});

test('the bandit draws its choices from the earnings: a paying arm is chosen most, an excluded one never', { timeout: 10_000 }, () => {
  const bandit = new StrategyBandit(['block-size', 'work-per-thread', 'compiler-flags']);
  for (let i = 0; i < 10; i++) {
    bandit.update('block-size', 1);
    bandit.update('work-per-thread', 0);
    bandit.update('compiler-flags', 0);
  }
  assert.deepEqual(bandit.stats.get('block-size'), { pulls: 10, reward: 10 });
  assert.deepEqual(bandit.stats.get('compiler-flags'), { pulls: 10, reward: 0 });
  const uniform = mulberry32(3);
  const counts = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const arm = bandit.choose(uniform, new Set());
    counts.set(arm ?? 'none', (counts.get(arm ?? 'none') ?? 0) + 1);
  }
  assert.ok((counts.get('block-size') ?? 0) > 280, JSON.stringify([...counts]));
  // After two pulls each, an arm that never paid is still drawn now and then (P ≈ 0.05 each against Beta(3, 1)).
  const early = new StrategyBandit(['block-size', 'work-per-thread']);
  for (let i = 0; i < 2; i++) {
    early.update('block-size', 1);
    early.update('work-per-thread', 0);
  }
  let unpaid = 0;
  for (let i = 0; i < 400; i++) if (early.choose(uniform, new Set()) === 'work-per-thread') unpaid++;
  assert.ok(unpaid > 5 && unpaid < 50, `the unpaid arm: ${unpaid} of 400`);
  for (let i = 0; i < 50; i++) assert.notEqual(bandit.choose(uniform, new Set(['block-size'])), 'block-size');
  assert.equal(bandit.choose(uniform, new Set(['block-size', 'work-per-thread', 'compiler-flags'])), undefined);
  assert.throws(() => bandit.update('fusion', 1), /strategy fusion is not an arm of this run \(arms: block-size, work-per-thread, compiler-flags\)/);
});

test('an untried arm is as likely as any: with no earnings the choice is uniform', { timeout: 10_000 }, () => {
  const bandit = new StrategyBandit(['block-size', 'work-per-thread']);
  const uniform = mulberry32(11);
  let first = 0;
  for (let i = 0; i < 1000; i++) if (bandit.choose(uniform, new Set()) === 'block-size') first++;
  assert.ok(first > 430 && first < 570, `${first} of 1000`);
});

test('every (seed, round, slot) draws its own fixed stream', { timeout: 10_000 }, () => {
  const draws = (seed: number, round: number, slot: number) => {
    const r = slotRandom(seed, round, slot);
    return [r(), r(), r()];
  };
  assert.deepEqual(draws(1, 2, 3), draws(1, 2, 3));
  const streams = [draws(1, 2, 3), draws(1, 3, 2), draws(2, 2, 3), draws(1, 2, 4), draws(1, 1, 3)].map((d) => d.join());
  assert.equal(new Set(streams).size, streams.length);
  const seeds = new Set<number>();
  for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) seeds.add(mixSeed(7, a, b));
  assert.equal(seeds.size, 400);
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32, String(s));
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1), 'order counts');
  assert.notEqual(mixSeed(0), mixSeed(0, 0), 'so does length');
});

const PRICES = { 'gpt-x': { inputPerMillion: 2, outputPerMillion: 8 } };

test("tokens cost their model's price; without one the cost is unknown, and stays unknown once it is", { timeout: 10_000 }, () => {
  assert.equal(costOf({ inputTokens: 1_000_000, outputTokens: 500_000 }, 'gpt-x', PRICES), 6);
  assert.equal(costOf({ inputTokens: 250, outputTokens: 0 }, 'gpt-x', PRICES), 0.0005);
  assert.equal(costOf({ inputTokens: 0, outputTokens: 0 }, undefined, undefined), 0, 'nothing used costs nothing, priced or not');
  assert.equal(costOf({ inputTokens: 1, outputTokens: 0 }, 'other', PRICES), undefined);
  assert.equal(costOf({ inputTokens: 0, outputTokens: 1 }, undefined, PRICES), undefined);
  assert.equal(costOf({ inputTokens: 1, outputTokens: 1 }, 'gpt-x', undefined), undefined);
  const one = addSpend(NO_SPEND, { inputTokens: 10, outputTokens: 5 }, 0.5);
  assert.deepEqual(one, { inputTokens: 10, outputTokens: 5, costUsd: 0.5 });
  const two = addSpend(one, { inputTokens: 1, outputTokens: 2 }, 0.25);
  assert.deepEqual(two, { inputTokens: 11, outputTokens: 7, costUsd: 0.75 });
  const unknown = addSpend(two, { inputTokens: 1, outputTokens: 1 }, undefined);
  assert.deepEqual(unknown, { inputTokens: 12, outputTokens: 8 });
  assert.deepEqual(addSpend(unknown, { inputTokens: 0, outputTokens: 0 }, 1), { inputTokens: 12, outputTokens: 8 });
  assert.equal(formatSpend(two), '18 tokens, $0.7500');
  assert.equal(formatSpend({ inputTokens: 1000, outputTokens: 500, costUsd: 12.345 }), '1,500 tokens, $12.35');
  assert.equal(formatSpend(unknown), '20 tokens, cost unknown (no price for the model)');
});
