// The occupancy calculator against Nsight Compute's own theoretical occupancy and per-resource block limits, for
// every recorded kernel (H200, sm_90), and its behaviour on the other architectures' limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smLimits } from '../../server/src/profile/arch-limits';
import { parseRawPage, rawNumber } from '../../server/src/profile/ncu-csv';
import { ncuBlockLimits } from '../../server/src/profile/ncu-facts';
import { occupancyByBlockSize, theoreticalOccupancy } from '../../server/src/profile/occupancy';
import { RECORDED, recording } from './profile-fixtures';

const sm = (arch: string) => {
  const found = smLimits(arch);
  assert.ok(found, arch);
  return found.limits;
};

for (const { name } of RECORDED) {
  test(`${name}: theoretical occupancy and every block limit equal ncu's`, { timeout: 10_000 }, () => {
    const [launch] = parseRawPage(recording(name, 'raw.csv'));
    const num = (metric: string) => {
      const v = rawNumber(launch, metric);
      assert.notEqual(v, undefined, metric);
      return v as number;
    };
    const cc = launch.values.get('CC')?.replace('.', '');
    const input = {
      blockSize: num('launch__block_size'),
      registersPerThread: num('launch__registers_per_thread'),
      staticSharedBytes: num('launch__shared_mem_per_block_static'),
      dynamicSharedBytes: num('launch__shared_mem_per_block_dynamic'),
      barriers: num('launch__barrier_count'),
    };
    const limits = sm(`sm_${cc}`);
    const withCarveout = theoreticalOccupancy(limits, { ...input, carveoutBytes: num('launch__shared_mem_config_size') });
    assert.equal(withCarveout.theoreticalPct, num('sm__maximum_warps_per_active_cycle_pct'));
    assert.deepEqual(withCarveout.blockLimits, ncuBlockLimits(launch));
    assert.equal(withCarveout.sharedBytesPerBlock, num('launch__shared_mem_per_block'));
    assert.equal(withCarveout.activeWarpsPerSm, num('sm__maximum_warps_avg_per_active_cycle'));
    // The static report does not know the driver's carveout: the occupancy and its limiter are the same.
    const chosen = theoreticalOccupancy(limits, input);
    assert.equal(chosen.theoreticalPct, withCarveout.theoreticalPct);
    assert.equal(chosen.limiter, withCarveout.limiter);
  });
}

test('registers, shared memory, warps, blocks and barriers each limit when they should', { timeout: 10_000 }, () => {
  const h100 = sm('sm_90');
  const base = { blockSize: 256, registersPerThread: 32, staticSharedBytes: 0, dynamicSharedBytes: 0, barriers: 0 };
  // 64 registers: 2048 per warp, 8 warps per sub-partition, 32 per SM → 4 blocks of 8 warps = 50 %.
  const regs = theoreticalOccupancy(h100, { ...base, registersPerThread: 64 });
  assert.deepEqual([regs.limiter, regs.activeBlocksPerSm, regs.theoreticalPct], ['registers', 4, 50]);
  // 48 KiB static + 1 KiB reserved per block in at most 228 KiB: 4 blocks.
  const smem = theoreticalOccupancy(h100, { ...base, staticSharedBytes: 48 * 1024 });
  assert.deepEqual([smem.limiter, smem.activeBlocksPerSm, smem.sharedBytesPerBlock, smem.sharedCarveoutBytes], ['shared-memory', 4, 49 * 1024, 228 * 1024]);
  const tiny = theoreticalOccupancy(h100, { ...base, blockSize: 32 });
  assert.deepEqual([tiny.limiter, tiny.activeBlocksPerSm, tiny.theoreticalPct], ['blocks', 32, 50]);
  const full = theoreticalOccupancy(h100, base);
  assert.deepEqual([full.limiter, full.theoreticalPct], ['warps', 100]);
  // A block of 33 threads holds 2 warps (allocation is per warp).
  assert.equal(theoreticalOccupancy(h100, { ...base, blockSize: 33 }).activeWarpsPerSm, 64);
  const barriers = theoreticalOccupancy(h100, { ...base, blockSize: 64, barriers: 16 });
  assert.deepEqual([barriers.limiter, barriers.blockLimits.barriers], ['barriers', 4]);
  // Too many registers per block for the hardware check: nothing runs.
  assert.equal(theoreticalOccupancy(h100, { ...base, blockSize: 1024, registersPerThread: 255 }).activeBlocksPerSm, 0);
});

test('per-architecture limits: Turing holds 32 warps, Ada 48, A100 reserves 1 KiB per block and Volta none', { timeout: 10_000 }, () => {
  const base = { blockSize: 128, registersPerThread: 16, staticSharedBytes: 0, dynamicSharedBytes: 0, barriers: 0 };
  assert.equal(theoreticalOccupancy(sm('sm_75'), base).maxWarpsPerSm, 32);
  assert.equal(theoreticalOccupancy(sm('sm_89'), base).maxWarpsPerSm, 48);
  assert.equal(theoreticalOccupancy(sm('sm_80'), base).sharedBytesPerBlock, 1024);
  assert.equal(theoreticalOccupancy(sm('sm_70'), base).sharedBytesPerBlock, 0);
  // sm_86 has 16 block slots: 64-thread blocks stop at 16 × 2 = 32 of 48 warps.
  const ga = theoreticalOccupancy(sm('sm_86'), { ...base, blockSize: 64 });
  assert.deepEqual([ga.limiter, ga.activeWarpsPerSm], ['blocks', 32]);
  assert.equal(smLimits('sm_90a')?.limits.arch, 'sm_90');
  assert.deepEqual([smLimits('sm_95')?.approximate, smLimits('sm_95')?.limits.maxThreadsPerSm], [true, 2048]);
  assert.equal(smLimits('sm_60'), undefined);
});

test('occupancy as a function of block size', { timeout: 10_000 }, () => {
  const points = occupancyByBlockSize(sm('sm_90'), { registersPerThread: 40, staticSharedBytes: 0, dynamicSharedBytes: 0, barriers: 0 });
  assert.equal(points.length, 32);
  const at = (b: number) => points.find((p) => p.blockSize === b);
  // 40 registers → 1280 per warp → 12 warps per sub-partition, 48 per SM: 75 % wherever the block size divides 48 warps.
  assert.deepEqual(at(256), { blockSize: 256, theoreticalPct: 75, limiter: 'registers' });
  assert.deepEqual(at(32), { blockSize: 32, theoreticalPct: 50, limiter: 'blocks' });
  assert.equal(at(640)?.theoreticalPct, 62.5);
});
