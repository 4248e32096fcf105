import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flopsCeilingApplies, roofline } from '../../server/src/derive/roofline';
import { defaultCeilingsPath, emptyCeilingsCache, gpuKey, loadCeilingsCache, lookupCeilings, saveCeilingsCache, storeCeilings } from '../../server/src/bench/ceilings';
import { rooflineBytes, rooflineFlops } from '../../server/src/derive/shapes';
import type { BenchSpec } from '../../server/src/benchspec/model';

const H200 = { copyBytesPerSecond: 4.3e12, fp32FlopsPerSecond: 60e12 };
const N = 2 ** 26;
const VADD_BYTES = 3 * 4 * N; // two float inputs read, one output written

test('a vector add at 3.45 TB/s is memory-bound at 80 % of the copy ceiling', () => {
  const timeMs = (VADD_BYTES / 3.45e12) * 1000;
  const r = roofline(timeMs, VADD_BYTES, N, H200);
  assert.ok(Math.abs(r.achievedBytesPerSecond - 3.45e12) < 1e6);
  assert.ok(Math.abs(r.fractionOfCopy - 3.45 / 4.3) < 1e-9);
  assert.equal(r.bound, 'memory');
  assert.equal(r.expectedBound, 'memory');
  assert.equal(r.impossible, false);
  assert.ok(Math.abs(r.fractionOfPeak - 0.802) < 0.001);
});

test('faster than the measured copy bandwidth (beyond the 5 % margin) is impossible, with both rates named', () => {
  const r = roofline((VADD_BYTES / 5.2e12) * 1000, VADD_BYTES, undefined, H200);
  assert.equal(r.impossible, true);
  assert.equal(r.impossibleReason, 'impossible: 5.20 TB/s exceeds measured copy bandwidth 4.30 TB/s (121 %)');
  // 2 % over the ceiling is measurement noise, not impossible; 6 % is.
  assert.equal(roofline((VADD_BYTES / (4.3e12 * 1.02)) * 1000, VADD_BYTES, undefined, H200).impossible, false);
  assert.equal(roofline((VADD_BYTES / (4.3e12 * 1.06)) * 1000, VADD_BYTES, undefined, H200).impossible, true);
  assert.equal(roofline((VADD_BYTES / (4.3e12 * 1.06)) * 1000, VADD_BYTES, undefined, H200, { impossibleMargin: 0.1 }).impossible, false);
});

test('compute-bound and latency-bound classification; the FP32 ceiling is not applied to half precision', () => {
  // A GEMM-like count: 2·4096³ flops over 3·4096²·4 bytes, at 50 TFLOP/s.
  const flops = 2 * 4096 ** 3;
  const bytes = 3 * 4096 ** 2 * 4;
  const gemm = roofline((flops / 50e12) * 1000, bytes, flops, H200);
  assert.equal(gemm.bound, 'compute');
  assert.equal(gemm.expectedBound, 'compute');
  assert.equal(gemm.impossible, false);
  // 400 TFLOP/s: impossible on FP32 FMA, legitimate on fp16 tensor cores.
  const fast = (flops / 400e12) * 1000;
  assert.match(roofline(fast, bytes, flops, H200).impossibleReason ?? '', /impossible: 400\.00 TFLOP\/s exceeds measured FP32 throughput 60\.00 TFLOP\/s/);
  const half = roofline(fast, bytes / 2, flops, H200, { flopsCeilingApplies: flopsCeilingApplies(['float16', 'float16', 'float32']) });
  assert.equal(half.impossible, false);
  assert.equal(half.bound, 'compute');
  // 4 KB in 5 µs: far from both ceilings.
  assert.equal(roofline(0.005, 4096, undefined, H200).bound, 'latency');
  assert.throws(() => roofline(0, 1, undefined, H200), /time \(ms\) must be finite and > 0/);
});

test('roofline counts come from the spec: default bytes are inputs once + outputs once, inout twice', () => {
  const spec: BenchSpec = {
    version: 1,
    kernel: 'axpy',
    sizes: { n: 1000 },
    args: [
      { name: 'x', role: 'input', dtype: 'float32', shape: ['n'] },
      { name: 'y', role: 'inout', dtype: 'float16', shape: ['n'] },
      { name: 'a', role: 'scalar', dtype: 'float32', value: '2' },
    ],
    launch: { grid: ['cdiv(n, 256)'], block: ['256'] },
  };
  assert.equal(rooflineBytes(spec), 1000 * 4 + 1000 * 2 * 2);
  assert.equal(rooflineBytes(spec, { n: 10 }), 80);
  assert.equal(rooflineFlops(spec), undefined);
  const withExprs: BenchSpec = { ...spec, roofline: { bytes: '12 * n', flops: '2 * n' } };
  assert.equal(rooflineBytes(withExprs), 12000);
  assert.equal(rooflineFlops(withExprs), 2000);
});

test('ceilings cache: store, save, load, look up per GPU identity, expire', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-ceil-'));
  const path = join(dir, 'nested', 'ceilings.json');
  assert.deepEqual(await loadCeilingsCache(path), emptyCeilingsCache());
  const gpu0 = { name: 'NVIDIA H200', driverVersion: '580.159.04', index: 0 };
  const gpu1 = { ...gpu0, index: 1 };
  const now = new Date('2026-11-21T12:00:00Z');
  const cache = storeCeilings(emptyCeilingsCache(), gpu0, H200, { now });
  await saveCeilingsCache(path, cache);
  const loaded = await loadCeilingsCache(path);
  assert.deepEqual(loaded, cache);
  assert.equal(lookupCeilings(loaded, gpu0)?.copyBytesPerSecond, 4.3e12);
  assert.equal(lookupCeilings(loaded, gpu1), undefined);
  assert.equal(lookupCeilings(loaded, { ...gpu0, driverVersion: '590.1' }), undefined);
  assert.equal(lookupCeilings(loaded, { ...gpu0, host: 'ssh:gpu1:22' }), undefined, "another machine's GPU of the same model is another entry");
  const later = new Date('2026-12-21T12:00:00Z');
  assert.equal(lookupCeilings(loaded, gpu0, { maxAgeMs: 7 * 86400e3, now: later }), undefined);
  assert.ok(lookupCeilings(loaded, gpu0, { maxAgeMs: 60 * 86400e3, now: later }));
  assert.equal(gpuKey({ ...gpu0, uuid: 'GPU-1234' }), 'NVIDIA H200 | driver 580.159.04 | GPU-1234');
  assert.throws(() => storeCeilings(cache, gpu0, { copyBytesPerSecond: 0, fp32FlopsPerSecond: 1 }), /must be finite and > 0/);
  assert.equal(defaultCeilingsPath({ XDG_CACHE_HOME: '/home/u/.cache' }), '/home/u/.cache/kernelpilot/ceilings.json');
  assert.notEqual(gpuKey({ ...gpu0, method: 'cupti-activity' }), gpuKey(gpu0), 'ceilings timed another way are another entry');
  assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
});

test('a corrupt ceilings cache is reported with its path, not silently replaced', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-ceil-'));
  const bad = join(dir, 'c.json');
  writeFileSync(bad, '{"version": 1, "entries": ');
  await assert.rejects(loadCeilingsCache(bad), (e: Error) => e.message.includes(bad) && /not valid JSON/.test(e.message));
  writeFileSync(bad, JSON.stringify({ version: 1, entries: { x: { copyBytesPerSecond: -1 } } }));
  await assert.rejects(loadCeilingsCache(bad), /malformed entry 'x'/);
});

test('a bfloat16 or float16 GEMM beyond the FP32 rate is possible (tensor cores); a float32 one is not', { timeout: 10_000 }, () => {
  const flops = 2 * 4096 ** 3;
  const bytes = 3 * 4096 ** 2 * 2;
  const ms = (flops / 400e12) * 1000;
  for (const dtype of ['bfloat16', 'float16']) {
    const r = roofline(ms, bytes, flops, H200, { flopsCeilingApplies: flopsCeilingApplies([dtype, dtype, 'float32']) });
    assert.equal(r.impossible, false, `${dtype}: ${r.impossibleReason}`);
  }
  const fp32 = roofline(ms, bytes * 2, flops, H200, { flopsCeilingApplies: flopsCeilingApplies(['float32', 'float32', 'float32', 'int32']) });
  assert.equal(fp32.impossible, true);
  assert.match(fp32.impossibleReason ?? '', /exceeds measured FP32 throughput/);
});
