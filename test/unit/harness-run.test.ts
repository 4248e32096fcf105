// The harness's host logic, run for real on this GPU-less machine: harness binaries linked against a fake
// CUDA runtime (test/fixtures/harness/fake_cudart.cpp) whose "device" is host memory and whose kernels are
// CPU stand-ins. What the GPU does is not tested here; what the harness does around it is: the seeded fill,
// poisoning before every launch, inout restore, buffer-set rotation, dumps, checksums, reports and errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildHarness, type BuildResult } from '../../server/src/harness/build';
import type { CheckReport, TimeReport } from '../../server/src/harness/protocol';
import { harnessArgs, HarnessRunError, parseReport, runHarness, type RunOptions } from '../../server/src/harness/run';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { EXAMPLES, fakeCudartObject, FIXTURES, readSpec, tempDir } from './harness-helpers';
import { localTarget } from './local-target';

function floats(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function bytes(path: string): Buffer {
  return readFileSync(path);
}

describe('harness host logic under a fake CUDA runtime', { timeout: 600_000 }, () => {
  const cacheDir = tempDir('fake-builds');
  const builds: Record<string, BuildResult> = {};
  const run = (env: Record<string, string> = {}): RunOptions => ({ target: localTarget(), timeoutMs: 60_000, env });

  before(async () => {
    const fake = await fakeCudartObject();
    const build = async (name: string, spec: BenchSpec, userFile: string) => {
      const result = await buildHarness({ spec, userFile }, { target: localTarget(), cacheDir, flags: ['-cudart', 'none', fake] });
      assert.ok(result.ok, result.log);
      builds[name] = result;
    };
    await build('scale_shift', readSpec(join(FIXTURES, 'scale_shift.spec.json')), join(FIXTURES, 'fake_kernels.cu'));
    await build('fill_probe', readSpec(join(FIXTURES, 'fill_probe.spec.json')), join(FIXTURES, 'fake_kernels.cu'));
    await build('vector_add', readSpec(join(EXAMPLES, 'vector_add/vector_add.spec.json')), join(EXAMPLES, 'vector_add/vector_add.cu'));
    await build('saxpy', readSpec(join(EXAMPLES, 'saxpy/saxpy.spec.json')), join(EXAMPLES, 'saxpy/saxpy.cu'));
  });
  const bin = (name: string) => builds[name].binary as string;

  describe('check', () => {
    it('fills from the seed, launches once, dumps outputs, checksums inputs; the user main never runs', async () => {
      const out = tempDir('check');
      const result = await localTarget().exec(bin('scale_shift'), harnessArgs({ mode: 'check', seed: 7, outDir: out, dumpInputs: true }), { timeoutMs: 60_000 });
      assert.doesNotMatch(result.stdout, /the user's main must not run/);
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      const report = parseReport(result.stdout) as CheckReport;
      assert.equal(report.kind, 'check');
      assert.equal(report.seed, 7);
      assert.equal(report.device.computeCapability, '9.0');
      assert.deepEqual(report.sizes, { n: 1000 });
      assert.deepEqual(report.outputs.map((o) => [o.name, o.dtype, o.elements, o.file]), [['acc', 'float32', 1000, 'acc.bin'], ['out', 'float32', 1000, 'out.bin']]);
      const outDump = report.outputs.find((o) => o.name === 'out');
      assert.equal(outDump?.poison, '0xff');
      assert.equal(outDump?.poisonedElements, 0);
      assert.deepEqual(Object.keys(report.inputChecksumsBefore), ['x'], 'only pure inputs are checksummed');
      assert.equal(report.inputChecksumsAfter.x, report.inputChecksumsBefore.x);
      assert.match(report.inputChecksumsBefore.x, /^[0-9a-f]{16}$/);
      assert.equal(new Set(Object.values(report.pointers)).size, 3, 'every buffer has its own allocation');
      assert.ok(report.kernelMs >= 0);

      const x = floats(join(out, 'x.input.bin'));
      const acc0 = floats(join(out, 'acc.input.bin'));
      const acc = floats(join(out, 'acc.bin'));
      const y = floats(join(out, 'out.bin'));
      assert.equal(x.length, 1000);
      for (let i = 0; i < x.length; i++) {
        assert.ok(x[i] >= 1 && x[i] < 2, `x[${i}] = ${x[i]} in uniform[1, 2)`);
        assert.equal(y[i], Math.fround(2.5 * x[i]));
        assert.equal(acc[i], Math.fround(acc0[i] + x[i]));
      }
      const mean = acc0.reduce((s, v) => s + v, 0) / acc0.length;
      const std = Math.sqrt(acc0.reduce((s, v) => s + (v - mean) ** 2, 0) / acc0.length);
      assert.ok(Math.abs(mean - 10) < 0.3 && Math.abs(std - 2) < 0.3, `normal(10, 2): mean ${mean}, std ${std}`);
      // FNV-1a 64 over the bytes, as the report says.
      let h = 0xcbf29ce484222325n;
      for (const byte of bytes(join(out, 'x.input.bin'))) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      assert.equal(report.inputChecksumsBefore.x, h.toString(16).padStart(16, '0'));
    });

    it('the same seed gives the same inputs; another seed, other inputs', async () => {
      const dirs = [tempDir('s1'), tempDir('s1b'), tempDir('s2')];
      await runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: dirs[0], dumpInputs: true }, run());
      await runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: dirs[1], dumpInputs: true }, run());
      await runHarness(bin('scale_shift'), { mode: 'check', seed: 2, outDir: dirs[2], dumpInputs: true }, run());
      assert.deepEqual(bytes(join(dirs[0], 'x.input.bin')), bytes(join(dirs[1], 'x.input.bin')));
      assert.notDeepEqual(bytes(join(dirs[0], 'x.input.bin')), bytes(join(dirs[2], 'x.input.bin')));
      assert.notDeepEqual(bytes(join(dirs[0], 'x.input.bin')).subarray(0, 64), bytes(join(dirs[0], 'acc.input.bin')).subarray(0, 64), 'each buffer has its own stream');
    });

    it('--size overrides a size variable', async () => {
      const report = await runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: tempDir('size'), sizes: { n: 77 } }, run());
      assert.deepEqual(report.sizes, { n: 77 });
      assert.ok(report.outputs.every((o) => o.elements === 77));
    });

    it('a kernel that skips half the output leaves the poison there', async () => {
      const report = await runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: tempDir('partial') }, run({ FAKE_KERNEL: 'partial' }));
      assert.equal(report.outputs.find((o) => o.name === 'out')?.poisonedElements, 500);
    });

    it('a kernel that writes its input changes the input checksum', async () => {
      const report = await runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: tempDir('mutate') }, run({ FAKE_KERNEL: 'mutate' }));
      assert.notEqual(report.inputChecksumsAfter.x, report.inputChecksumsBefore.x);
    });

    it('a kernel that writes zeros: dumped as zeros (verify fails it), none left poisoned', async () => {
      const out = tempDir('zeros');
      const report = await runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: out }, run({ FAKE_KERNEL: 'zeros' }));
      assert.equal(report.outputs.find((o) => o.name === 'out')?.poisonedElements, 0);
      assert.ok(floats(join(out, 'out.bin')).every((v) => v === 0));
    });

    it('fills every dtype as the spec says', async () => {
      const out = tempDir('fill');
      await runHarness(bin('fill_probe'), { mode: 'check', seed: 3, outDir: out, dumpInputs: true }, run());
      const half = bytes(join(out, 'h.input.bin'));
      assert.ok([...Array(half.length / 2).keys()].every((i) => half.readUInt16LE(2 * i) === 0x3e00), 'float16 const 1.5 is 0x3e00');
      const bf = bytes(join(out, 'b.input.bin'));
      assert.ok([...Array(bf.length / 2).keys()].every((i) => bf.readUInt16LE(2 * i) === 0xc000), 'bfloat16 const -2 is 0xc000');
      const k = bytes(join(out, 'k.input.bin'));
      const ks = [...Array(k.length / 4).keys()].map((i) => k.readInt32LE(4 * i));
      assert.deepEqual([...new Set(ks)].sort(), [0, 1, 2], 'int32 int[0, 3): 0, 1 and 2, never 3');
      const q = bytes(join(out, 'q.input.bin'));
      const qs = [...Array(q.length / 8).keys()].map((i) => q.readBigInt64LE(8 * i));
      assert.ok(qs.every((v) => v >= -5n && v < 5n) && new Set(qs).size === 10, 'int64 int[-5, 5)');
      const flag = bytes(join(out, 'flag.input.bin'));
      assert.ok([...flag].every((v) => v === 0 || v === 1) && new Set(flag).size === 2, 'bool is 0 or 1');
      const d = bytes(join(out, 'd.input.bin'));
      const ds = [...Array(d.length / 8).keys()].map((i) => d.readDoubleLE(8 * i));
      assert.ok(ds.every((v) => v >= -3 && v < -1), 'float64 uniform[-3, -1)');
    });

    it('the examples pass their arguments in the spec order (vector_add, saxpy)', async () => {
      const out = tempDir('va');
      const va = await runHarness(bin('vector_add'), { mode: 'check', seed: 5, outDir: out, dumpInputs: true, sizes: { n: 4099 } }, run());
      assert.deepEqual(va.sizes, { n: 4099 });
      const a = floats(join(out, 'a.input.bin'));
      const b = floats(join(out, 'b.input.bin'));
      const c = floats(join(out, 'c.bin'));
      assert.ok(c.every((v, i) => v === Math.fround(a[i] + b[i])));
      const out2 = tempDir('saxpy');
      await runHarness(bin('saxpy'), { mode: 'check', seed: 5, outDir: out2, dumpInputs: true, sizes: { n: 1001 } }, run());
      const x = floats(join(out2, 'x.input.bin'));
      const y0 = floats(join(out2, 'y.input.bin'));
      const y = floats(join(out2, 'y.bin'));
      assert.ok(y.every((v, i) => v === Math.fround(Math.fround(1.75 * x[i]) + y0[i])));
    });
  });

  describe('time', () => {
    it('rotates buffer sets, poisons and restores before every launch, and keeps the last timed outputs', async () => {
      const dir = tempDir('time');
      const log = join(dir, 'launches.log');
      const report: TimeReport = await runHarness(bin('scale_shift'), { mode: 'time', seed: 10, warmup: 2, iters: 7, sets: 3, outDir: dir }, run({ FAKE_LOG: log }));
      assert.equal(report.kind, 'time');
      assert.equal(report.timesMs.length, 7);
      assert.equal(report.wallMs?.length, 7);
      assert.ok(report.timesMs.every((t) => t >= 0));
      assert.equal(report.sets, 3);
      assert.equal(report.warmup, 2);
      assert.ok(report.l2FlushBytes >= 2 * report.device.l2Bytes);
      assert.deepEqual(report.warnings, []);
      const launches = readFileSync(log, 'utf8').trim().split('\n').map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('='))));
      assert.equal(launches.length, 2 + 7, 'warm-up and timed launches (the empty-kernel probe is not the user kernel)');
      for (let i = 1; i < launches.length; i++) assert.notEqual(launches[i].x, launches[i - 1].x, `launch ${i} reuses the previous launch's buffers`);
      assert.equal(new Set(launches.map((l) => l.x)).size, 3, 'three buffer sets');
      for (const l of launches) assert.equal(l.out0bits, 'ffffffff', 'the output was poisoned before this launch');
      const accBySet = new Map<string, Set<string>>();
      for (const l of launches) accBySet.set(l.acc, (accBySet.get(l.acc) ?? new Set()).add(l.acc0));
      assert.ok([...accBySet.values()].every((s) => s.size === 1), 'every launch sees its set\'s pristine inout, not what an earlier launch wrote');
      assert.equal(new Set(launches.map((l) => l.x0)).size, 3, 'each set was filled from its own seed');
      // The last timed launch is launch (2 + 7 - 1) = 8 → set 8 % 3 = 2 → seed 12.
      assert.equal(report.timedOutputs?.seed, 12);
      assert.deepEqual(report.timedOutputs?.outputs.map((o) => o.name), ['acc', 'out']);
      assert.ok(floats(join(dir, 'out.bin')).every((v) => Number.isFinite(v)));
      assert.ok((report.emptyKernelMs ?? -1) >= 0);
    });

    it('uses fewer buffer sets when memory is short, and says so', async () => {
      // 1000 floats × (x + 2 × acc + out) = 16 KB per set; the flush buffer is 64 MiB and 256 MiB is kept free.
      const free = String(64 * 2 ** 20 + 256 * 2 ** 20 + 2 * 16_000 + 100);
      const report = await runHarness(bin('scale_shift'), { mode: 'time', seed: 1, warmup: 1, iters: 3, sets: 5 }, run({ FAKE_CUDA_FREE_BYTES: free }));
      assert.equal(report.sets, 2);
      assert.equal(report.setsRequested, 5);
      assert.match(report.warnings?.[0] ?? '', /only 2 of 5 buffer sets fit/);
    });
  });

  it('ceilings reports both rates', async () => {
    const report = await runHarness(bin('scale_shift'), { mode: 'ceilings' }, run());
    assert.equal(report.kind, 'ceilings');
    assert.ok(report.copyBytesPerSecond > 0 && report.fp32FlopsPerSecond > 0);
    const variants = Object.values(report.copyVariants ?? {});
    assert.deepEqual(Object.keys(report.copyVariants ?? {}).sort(), ['cudaMemcpy', 'kernel-16-blocks-per-sm', 'kernel-32-blocks-per-sm', 'kernel-4-blocks-per-sm', 'kernel-8-blocks-per-sm']);
    assert.equal(report.copyBytesPerSecond, Math.max(...variants), 'the copy ceiling is the best variant: an upper bound');
    assert.ok((report.readWrite21BytesPerSecond ?? 0) > 0);
  });

  describe('failures become typed errors that say what to do', () => {
    const cases: Array<[string, Record<string, string>, string, string | undefined, RegExp]> = [
      ['a kernel fault', { FAKE_KERNEL: 'fault' }, 'sync', 'cudaErrorIllegalAddress', /failed while running on target 'local' \(cudaErrorIllegalAddress\).*outside its buffers/s],
      ['a launch error', { FAKE_KERNEL: 'launch-error' }, 'launch', 'cudaErrorInvalidConfiguration', /could not be launched.*launch\.grid and launch\.block/s],
      ['no device', { FAKE_CUDA_DEVICES: '0' }, 'device', 'cudaErrorNoDevice', /^no CUDA device on target 'local' \(cudaErrorNoDevice\): run on a machine with an NVIDIA GPU.*--dry-run to only build/],
      ['no driver', { FAKE_CUDA_NO_DRIVER: '1' }, 'device', 'cudaErrorInsufficientDriver', /^no CUDA device on target 'local' \(cudaErrorInsufficientDriver\)/],
    ];
    for (const [what, env, stage, cudaError, message] of cases) {
      it(what, async () => {
        await assert.rejects(runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: tempDir('fail') }, run(env)), (e: HarnessRunError) => {
          assert.ok(e instanceof HarnessRunError, String(e));
          assert.equal(e.kind, 'report');
          assert.equal(e.stage, stage);
          assert.equal(e.cudaError, cudaError);
          assert.match(e.message, message);
          assert.equal(e.details.exitCode, 1);
          return true;
        });
      });
    }

    it('a size that is not in the spec', async () => {
      await assert.rejects(runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: tempDir('args'), sizes: { m: 3 } }, run()), (e: HarnessRunError) => {
        return e.stage === 'args' && /refused its arguments: --size: 'm' is not a size variable of this spec/.test(e.message);
      });
    });

    it('a size that makes the grid empty', async () => {
      await assert.rejects(runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: tempDir('args'), sizes: { n: 0 } }, run()), (e: HarnessRunError) => {
        return e.stage === 'args' && /elements of 'x' \(n\) evaluated to 0/.test(e.message);
      });
    });

    it('an output folder that does not exist', async () => {
      await assert.rejects(runHarness(bin('scale_shift'), { mode: 'check', seed: 1, outDir: '/nonexistent/dir' }, run()), (e: HarnessRunError) => e.stage === 'io' && /cannot open \/nonexistent\/dir\/acc\.bin/.test(e.message));
    });

    it('a binary that is not there, and a timeout', async () => {
      await assert.rejects(runHarness('/nonexistent/harness', { mode: 'ceilings' }, run()), (e: HarnessRunError) => e.kind === 'not-found');
      await assert.rejects(runHarness('/bin/sleep', { mode: 'ceilings' }, { ...run(), timeoutMs: 300 }), (e: HarnessRunError) => e.kind === 'timeout' || e.kind === 'no-report');
    });
  });

  describe('report parsing', () => {
    it('takes the last {"kind": line and ignores other output', () => {
      const stdout = 'kernel printf {"kind": no\n{"kind":"error","stage":"x","message":"old"}\nnoise\n{"kind":"ceilings","device":{},"copyBytesPerSecond":1,"fp32FlopsPerSecond":2}\n\n';
      assert.equal(parseReport(stdout)?.kind, 'ceilings');
      assert.equal(parseReport('nothing here'), undefined);
      assert.equal(parseReport('{"kind":"check", truncated'), undefined);
    });
    it('spells the command line as protocol.ts does', () => {
      assert.deepEqual(harnessArgs({ mode: 'time', seed: 3, warmup: 5, iters: 50, sets: 4, sizes: { n: 9 } }), ['time', '--seed', '3', '--warmup', '5', '--iters', '50', '--sets', '4', '--size', 'n=9']);
      assert.deepEqual(harnessArgs({ mode: 'check', seed: 1, outDir: '/o', dumpInputs: true }), ['check', '--seed', '1', '--out', '/o', '--dump-inputs']);
    });
  });
});
