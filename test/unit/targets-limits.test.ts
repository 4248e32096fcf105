// Bounded work in targets/: a global limit on concurrent compiles (queued beyond it, cancellable while queued),
// a timeout of 0 that ends the command instead of meaning "no timeout".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acquireCompileSlot, compileSlotUse } from '../../server/src/targets/compile-slots';
import { localTarget } from './local-target';

test('compiles beyond the limit wait for a slot, in order; a cancelled waiter leaves the queue', { timeout: 10_000 }, async () => {
  process.env.KERNELPILOT_MAX_COMPILES = '2';
  try {
    const first = await acquireCompileSlot();
    const second = await acquireCompileSlot();
    assert.ok(first && second);
    const granted: string[] = [];
    const third = acquireCompileSlot().then((release) => (granted.push('third'), release));
    const abort = new AbortController();
    const cancelled = acquireCompileSlot(abort.signal);
    const fourth = acquireCompileSlot().then((release) => (granted.push('fourth'), release));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(granted, [], 'two compiles run, the others wait');
    assert.deepEqual(compileSlotUse(), { active: 2, waiting: 3, limit: 2 });
    abort.abort();
    assert.equal(await cancelled, undefined, 'cancelled while queued');
    first();
    first(); // releasing twice frees one slot, not two
    (await third)?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(granted, ['third', 'fourth']);
    second();
    (await fourth)?.();
    assert.deepEqual(compileSlotUse(), { active: 0, waiting: 0, limit: 2 });
  } finally {
    delete process.env.KERNELPILOT_MAX_COMPILES;
  }
});

test('LocalTarget: a timeout of 0 ends the command at once; a compile waits for a slot and reports a cancel while waiting', { timeout: 20_000 }, async () => {
  const target = localTarget();
  const started = performance.now();
  const zero = await target.exec('sleep', ['20'], { timeoutMs: 0 });
  assert.equal(zero.timedOut, true, 'timeout 0 is a limit, not "no limit"');
  assert.ok(performance.now() - started < 5000);
  process.env.KERNELPILOT_MAX_COMPILES = '1';
  try {
    const long = target.exec('sleep', ['20'], { compile: true, timeoutMs: 1000 });
    const abort = new AbortController();
    const queued = target.exec('true', [], { compile: true, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    const result = await queued;
    assert.equal(result.cancelled, true);
    assert.equal(result.exitCode, undefined, 'it never started');
    assert.equal((await long).timedOut, true);
  } finally {
    delete process.env.KERNELPILOT_MAX_COMPILES;
  }
});
