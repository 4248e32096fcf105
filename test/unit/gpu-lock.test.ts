// The per-GPU lock that keeps two KernelPilot processes from timing on one GPU at once.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireGpuLock } from '../../server/src/targets/gpu-lock';

const fresh = () => mkdtempSync(join(tmpdir(), 'kp-gpu-lock-'));

test('a second holder waits until the first releases; its wait names the holder', async () => {
  const dir = fresh();
  const releaseFirst = await acquireGpuLock(0, 'benchmarking a', { dir });
  const waits: string[] = [];
  let acquired = false;
  const pending = acquireGpuLock(0, 'benchmarking b', { dir, pollMs: 20, onWait: (h) => waits.push(h) }).then((release) => {
    acquired = true;
    return release;
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(acquired, false, 'the second must wait');
  assert.deepEqual(waits, [`pid ${process.pid}: benchmarking a`]);
  // Another GPU is not blocked.
  await (await acquireGpuLock(1, 'benchmarking c', { dir }))();
  await releaseFirst();
  const second = await pending;
  await second();
  assert.equal(existsSync(join(dir, 'gpu-0.lock')), false);
});

test('a lock whose process is gone is taken over', async () => {
  const dir = fresh();
  writeFileSync(join(dir, 'gpu-0.lock'), '99999999\nbenchmarking a crashed job\n');
  const release = await acquireGpuLock(0, 'benchmarking b', { dir, pollMs: 20 });
  await release();
});

test('cancel while waiting gives up the wait', async () => {
  const dir = fresh();
  const release = await acquireGpuLock(0, 'benchmarking a', { dir });
  const abort = new AbortController();
  const waiting = acquireGpuLock(0, 'benchmarking b', { dir, pollMs: 20, signal: abort.signal });
  setTimeout(() => abort.abort(), 60);
  await assert.rejects(waiting, (e: Error) => e.name === 'AbortError');
  await release();
});
