// Per-architecture SM limits the occupancy calculator needs, sm_70 … sm_12x, as the CUDA occupancy header
// (cuda_occupancy.h of CUDA 13) and the programming guide's "Technical Specifications per Compute Capability" give
// them. Newer architectures of a known major fall back to that major's figures (with a note from the caller).

export interface SmLimits {
  /** `sm_90`. */
  arch: string;
  maxThreadsPerSm: number;
  maxBlocksPerSm: number;
  maxThreadsPerBlock: number;
  warpSize: number;
  registersPerSm: number;
  registersPerBlock: number;
  maxRegistersPerThread: number;
  /** Registers are allocated per warp in units of this many. */
  registerAllocationUnit: number;
  /** Warps are held in this many sub-partitions, each with a quarter of the register file. */
  subPartitions: number;
  /** Shared-memory carveouts the unified L1/shared memory can be split at, bytes, ascending. */
  sharedCarveouts: number[];
  /** Shared memory one block may hold with the opt-in attribute (the largest launchable). */
  maxSharedPerBlockOptin: number;
  /** Reserved by the system for every block (sm_80 and newer: 1 KiB). */
  reservedSharedPerBlock: number;
  sharedAllocationUnit: number;
  /** Named barriers available per block slot (barriers limit = slots × this / barriers used). */
  barriersPerBlockSlot: number;
}

const KIB = 1024;
const kib = (...sizes: number[]): number[] => sizes.map((s) => s * KIB);

const COMMON = { maxThreadsPerBlock: 1024, warpSize: 32, registersPerSm: 65536, registersPerBlock: 65536, registerAllocationUnit: 256, subPartitions: 4 } as const;

const VOLTA = { ...COMMON, maxThreadsPerSm: 2048, maxBlocksPerSm: 32, maxRegistersPerThread: 255, sharedCarveouts: kib(0, 8, 16, 32, 64, 96), maxSharedPerBlockOptin: 96 * KIB, reservedSharedPerBlock: 0, sharedAllocationUnit: 256, barriersPerBlockSlot: 2 };
const TURING = { ...VOLTA, maxThreadsPerSm: 1024, maxBlocksPerSm: 16, sharedCarveouts: kib(32, 64), maxSharedPerBlockOptin: 64 * KIB };
const AMPERE_A100 = { ...COMMON, maxThreadsPerSm: 2048, maxBlocksPerSm: 32, maxRegistersPerThread: 255, sharedCarveouts: kib(0, 8, 16, 32, 64, 100, 132, 164), maxSharedPerBlockOptin: 163 * KIB, reservedSharedPerBlock: KIB, sharedAllocationUnit: 128, barriersPerBlockSlot: 2 };
const AMPERE_GA10X = { ...AMPERE_A100, maxThreadsPerSm: 1536, maxBlocksPerSm: 16, sharedCarveouts: kib(0, 8, 16, 32, 64, 100), maxSharedPerBlockOptin: 99 * KIB, barriersPerBlockSlot: 1 };
const ORIN = { ...AMPERE_A100, maxBlocksPerSm: 16, barriersPerBlockSlot: 1 };
const ADA = { ...AMPERE_GA10X, maxBlocksPerSm: 24 };
const HOPPER = { ...AMPERE_A100, sharedCarveouts: kib(0, 8, 16, 32, 64, 100, 132, 164, 196, 228), maxSharedPerBlockOptin: 227 * KIB };
const BLACKWELL = HOPPER;
const BLACKWELL_THOR = { ...HOPPER, maxBlocksPerSm: 24, barriersPerBlockSlot: 1 };
const BLACKWELL_GEFORCE = { ...ADA, maxBlocksPerSm: 24, sharedCarveouts: kib(0, 8, 16, 32, 64, 100), maxSharedPerBlockOptin: 99 * KIB };

const TABLE: Record<string, Omit<SmLimits, 'arch'>> = {
  '70': VOLTA, '72': VOLTA, '75': TURING,
  '80': AMPERE_A100, '86': AMPERE_GA10X, '87': ORIN, '89': ADA,
  '90': HOPPER,
  '100': BLACKWELL, '103': BLACKWELL, '101': BLACKWELL_THOR, '110': BLACKWELL_THOR,
  '120': BLACKWELL_GEFORCE, '121': BLACKWELL_GEFORCE,
};

/** The limits of `arch` (`sm_90`, `sm_90a`, `sm_100f`); an unknown minor of a known major borrows that major's first. */
export function smLimits(arch: string): { limits: SmLimits; approximate: boolean } | undefined {
  const m = /^sm_(\d+?)(\d)[af]?$/.exec(arch);
  if (!m) return undefined;
  const key = `${m[1]}${m[2]}`;
  const exact = TABLE[key];
  if (exact) return { limits: { arch: `sm_${key}`, ...exact }, approximate: false };
  const sameMajor = Object.keys(TABLE).find((k) => k.slice(0, -1) === m[1]);
  return sameMajor ? { limits: { arch: `sm_${key}`, ...TABLE[sameMajor] }, approximate: true } : undefined;
}
