// Theoretical occupancy: how many blocks of a kernel fit on one SM at once, and which resource stops the next one.
// The arithmetic is the CUDA occupancy calculator's (cuda_occupancy.h) — warps allocated per block, registers per warp
// rounded to the allocation unit and held per sub-partition, shared memory rounded to its unit with the per-block
// reservation — and matches Nsight Compute's `launch__occupancy_limit_*` and `sm__maximum_warps_per_active_cycle_pct`
// (test/unit/profile-occupancy.test.ts, nine kernels recorded on an H200).
//
// The shared-memory carveout: the driver picks one per launch (ncu reports it as `launch__shared_mem_config_size`),
// and the shared-memory limit is carveout / per-block bytes. Given ncu's value, the limits match ncu's exactly.
// Without it (the static report) we assume the smallest carveout that does not cut occupancy below the other limits,
// which is what the driver aims for; the theoretical occupancy is the same either way unless shared memory limits.

import type { Occupancy, OccupancyLimiter, OccupancyPoint } from './report';
import type { SmLimits } from './arch-limits';

export interface OccupancyInput {
  blockSize: number;
  registersPerThread: number;
  staticSharedBytes: number;
  dynamicSharedBytes: number;
  /** Named barriers the kernel uses (ptxas's "used N barriers"). */
  barriers: number;
  /** The shared-memory carveout in force, bytes (ncu's launch__shared_mem_config_size); absent: chosen as above. */
  carveoutBytes?: number;
}

const roundUp = (value: number, unit: number): number => Math.ceil(value / unit) * unit;

// On a tie the limiter named is the one the user can least change first: the hardware's warp and block slots, then
// the kernel's own registers and shared memory. At full occupancy it is always `warps`.
const LIMITER_ORDER: OccupancyLimiter[] = ['warps', 'blocks', 'registers', 'shared-memory', 'barriers'];

function blocksByRegisters(limits: SmLimits, registers: number, warpsPerBlock: number): number {
  if (registers <= 0) return limits.maxBlocksPerSm;
  const perWarp = roundUp(registers * limits.warpSize, limits.registerAllocationUnit);
  // The hardware checks a block's registers as if its warps were spread over every sub-partition.
  const assumedPerBlock = perWarp * roundUp(warpsPerBlock, limits.subPartitions);
  if (registers > limits.maxRegistersPerThread || assumedPerBlock > limits.registersPerBlock) return 0;
  const warpsPerSubPartition = Math.floor(limits.registersPerSm / limits.subPartitions / perWarp);
  return Math.floor((warpsPerSubPartition * limits.subPartitions) / warpsPerBlock);
}

function sharedPerBlock(limits: SmLimits, input: OccupancyInput): number {
  return roundUp(input.staticSharedBytes + input.dynamicSharedBytes + limits.reservedSharedPerBlock, limits.sharedAllocationUnit);
}

/** The smallest carveout holding `blocks` blocks of `perBlock` bytes, else the largest. */
function carveoutFor(limits: SmLimits, perBlock: number, blocks: number): number {
  const need = perBlock * blocks;
  return limits.sharedCarveouts.find((c) => c >= need) ?? limits.sharedCarveouts[limits.sharedCarveouts.length - 1];
}

/** The resource allowing the fewest blocks per SM. */
export function limiterOf(blockLimits: Record<OccupancyLimiter, number>): OccupancyLimiter {
  const least = Math.min(...Object.values(blockLimits));
  return LIMITER_ORDER.find((l) => blockLimits[l] === least) ?? 'warps';
}

export function theoreticalOccupancy(limits: SmLimits, input: OccupancyInput): Occupancy {
  const { blockSize } = input;
  if (!(Number.isInteger(blockSize) && blockSize > 0)) throw new RangeError(`occupancy: block size must be a positive integer, got ${blockSize}`);
  const warpsPerBlock = Math.ceil(blockSize / limits.warpSize);
  const maxWarpsPerSm = limits.maxThreadsPerSm / limits.warpSize;
  const warps = blockSize > limits.maxThreadsPerBlock ? 0 : Math.floor(maxWarpsPerSm / warpsPerBlock);
  const registers = blocksByRegisters(limits, input.registersPerThread, warpsPerBlock);
  const blocks = limits.maxBlocksPerSm;
  const barrierSlots = limits.maxBlocksPerSm * limits.barriersPerBlockSlot;
  const barriers = input.barriers > 0 ? Math.min(blocks, Math.floor(barrierSlots / input.barriers)) : blocks;

  const perBlock = sharedPerBlock(limits, input);
  const carveout = input.carveoutBytes ?? carveoutFor(limits, perBlock, Math.min(warps, registers, blocks, barriers));
  const tooMuchShared = perBlock > limits.maxSharedPerBlockOptin + limits.reservedSharedPerBlock;
  const shared = tooMuchShared ? 0 : perBlock > 0 ? Math.floor(Math.max(carveout, perBlock) / perBlock) : blocks;

  const blockLimits: Record<OccupancyLimiter, number> = { warps, blocks, registers, 'shared-memory': shared, barriers };
  const active = Math.min(...Object.values(blockLimits));
  const limiter = limiterOf(blockLimits);
  const activeWarpsPerSm = active * warpsPerBlock;
  return {
    blockSize,
    registersPerThread: input.registersPerThread,
    sharedBytesPerBlock: perBlock,
    blockLimits,
    activeBlocksPerSm: active,
    activeWarpsPerSm,
    maxWarpsPerSm,
    theoreticalPct: (activeWarpsPerSm / maxWarpsPerSm) * 100,
    limiter,
    sharedCarveoutBytes: carveout,
  };
}

/** Theoretical occupancy for every block size that is a multiple of the warp size, up to the block maximum. */
export function occupancyByBlockSize(limits: SmLimits, input: Omit<OccupancyInput, 'blockSize' | 'carveoutBytes'>): OccupancyPoint[] {
  const points: OccupancyPoint[] = [];
  for (let blockSize = limits.warpSize; blockSize <= limits.maxThreadsPerBlock; blockSize += limits.warpSize) {
    const o = theoreticalOccupancy(limits, { ...input, blockSize });
    points.push({ blockSize, theoreticalPct: o.theoreticalPct, limiter: o.limiter });
  }
  return points;
}
