// The profile report: what `kernelpilot profile`, the editor (hover, diagnostics, lens) and the optimizer's prompts
// read about one kernel. Pure JSON, versioned, with no behaviour: the engine fills it (static facts everywhere
// nvcc is, live Nsight Compute figures when the target has ncu and counter permission), consumers only read it.
//
// Conventions: every line number is 0-based in the user's file (as LSP and check/'s diagnostics count them);
// the CLI's text adds 1. Percentages are 0–100 as Nsight Compute prints them. An absent optional field means
// "not known", never zero.

/** Bumped when a field changes meaning; a reader refuses a report of another version. */
export const PROFILE_REPORT_VERSION = 1;

export interface ProfileReport {
  version: typeof PROFILE_REPORT_VERSION;
  /** ISO time the report was made. */
  createdAt: string;
  kernel: KernelIdentity;
  static: StaticFacts;
  live: LiveFacts;
  /** What limits the kernel; absent when neither live figures nor a bench record say. */
  classification?: Classification;
  /** Distance to the roofline from the benchmark's own timing, when a bench record of this kernel exists. */
  headroom?: Headroom;
  /** Ranked by estimated gain, largest first; hints without an estimate come after those with one. */
  hints: Hint[];
  /** Per source line of the user's file, ascending by line; only lines with SASS or samples. */
  lines: LineFacts[];
  /** Things the user should know about how the report was made (a tool missing on the target, clocks unlocked). */
  notes: string[];
}

/** Which kernel, in which text: what the editor compares to mark a report stale. */
export interface KernelIdentity {
  /** The plain name (`gather_strided`) and as the source qualifies it (`ns::gather_strided`). */
  name: string;
  qualifiedName: string;
  /** Absolute path of the user's file on this machine. */
  file: string;
  /** sha256 (hex) of the kernel's own text (its declaration's range) when profiled: `profile/stale.ts` compares it. */
  kernelHash: string;
  /** sha256 (hex) of the whole file when profiled; the kernel may still be current when only this differs. */
  fileHash: string;
  /** The declaration's first line when profiled (0-based), to find it again by name if lines moved. */
  line: number;
  /** The bench spec used (path), or absent when inferred. */
  spec?: string;
  /** The launch profiled: the spec's default sizes. */
  launch?: LaunchShape;
  /** Where it ran or was compiled for: the target's name (`local`, `ssh://gpu1`) and the SM architecture (`sm_90`). */
  target: string;
  arch: string;
}

export interface LaunchShape {
  grid: [number, number, number];
  block: [number, number, number];
  dynamicSharedBytes: number;
}

// ── Static facts (no GPU needed) ─────────────────────────────────────────────────────────────────────────────

export interface StaticFacts {
  /** ptxas's resources for this kernel and arch; absent when the compile failed (see notes). */
  resources?: KernelResources;
  /** Theoretical occupancy at the launch's block size; absent without resources or launch shape. */
  occupancy?: Occupancy;
  /** Theoretical occupancy for block sizes 32…1024 (multiples of 32) with the same registers and shared memory. */
  occupancyByBlockSize?: OccupancyPoint[];
  /** From cuobjdump/nvdisasm on the target; absent when those tools are missing there (see notes). */
  sass?: SassFacts;
}

export interface KernelResources {
  registersPerThread: number;
  /** Static shared memory (`__shared__` arrays); dynamic shared memory is the launch's. */
  staticSharedBytes: number;
  /** Local memory per thread: local arrays plus spill slots. */
  stackFrameBytes: number;
  spillStoreBytes: number;
  spillLoadBytes: number;
  barriers: number;
}

export type OccupancyLimiter = 'registers' | 'shared-memory' | 'warps' | 'blocks' | 'barriers';

export interface Occupancy {
  blockSize: number;
  registersPerThread: number;
  /** Shared memory a block holds: static + dynamic + the per-block reservation (1 KiB on sm_80 and newer). */
  sharedBytesPerBlock: number;
  /** Blocks per SM each resource allows (ncu's `launch__occupancy_limit_*`). */
  blockLimits: Record<OccupancyLimiter, number>;
  activeBlocksPerSm: number;
  activeWarpsPerSm: number;
  maxWarpsPerSm: number;
  /** activeWarpsPerSm / maxWarpsPerSm × 100: ncu's `sm__maximum_warps_per_active_cycle_pct`. */
  theoreticalPct: number;
  /** The resource with the fewest blocks (ties: warps, blocks, registers, shared memory, barriers: at full occupancy, warps). */
  limiter: OccupancyLimiter;
  /** The shared-memory carveout (bytes of the unified L1/shared per SM) the occupancy assumes. */
  sharedCarveoutBytes: number;
}

export interface OccupancyPoint {
  blockSize: number;
  theoreticalPct: number;
  limiter: OccupancyLimiter;
}

export interface SassFacts {
  /** Global loads / stores by access width in bits (`LDG.E` 32, `LDG.E.64` 64, `LDG.E.128` 128), static counts. */
  globalLoadsByWidth: Record<string, number>;
  globalStoresByWidth: Record<string, number>;
  /** Tensor-core instructions by opcode (HMMA, HGMMA, IMMA, …); empty when none. */
  tensorCore: Record<string, number>;
  /** Local-memory instructions (spills and local arrays). */
  localLoads: number;
  localStores: number;
  /** Total SASS instructions of the kernel. */
  instructions: number;
}

// ── Live facts (Nsight Compute on the target) ────────────────────────────────────────────────────────────────

export type LiveFacts = LiveMeasured | LiveAbsent;

export type LiveAbsentReason =
  /** `--static` or the caller asked for none. */
  | 'not-requested'
  /** ncu is not on the target's PATH (nor the configured path). */
  | 'ncu-missing'
  /** ERR_NVGPUCTRPERM: the driver denies this user the performance counters. */
  | 'counters-not-permitted'
  /** The target has no GPU. */
  | 'no-gpu'
  /** ncu ran but gave no usable result (the message says what it printed). */
  | 'failed'
  | 'cancelled';

export interface LiveAbsent {
  status: 'absent';
  reason: LiveAbsentReason;
  /** One sentence for the user: why the live figures are absent and how to get them. */
  message: string;
}

export interface LiveMeasured {
  status: 'measured';
  tool: { ncuVersion?: string; clockControl: 'none' | 'base' };
  device: { name?: string; computeCapability: string; smCount: number };
  launch: LaunchShape;
  /** gpu__time_duration.sum, ns. Under ncu (serialized, maybe clock-controlled): explanation, not the benchmark. */
  durationNs: number;
  /** Speed of light, % of peak: sm__throughput, gpu__compute_memory_throughput, dram__throughput. */
  computePct: number;
  memoryPct: number;
  dramPct: number;
  l1Pct?: number;
  l2Pct?: number;
  achievedOccupancyPct: number;
  theoreticalOccupancyPct: number;
  /** ncu's limiter (the smallest launch__occupancy_limit_*). */
  occupancyLimiter: OccupancyLimiter;
  wavesPerSm: number;
  registersPerThread: number;
  sharedBytesPerBlock: number;
  /** Local-memory spilling requests (derived__local_spilling_requests); 0 when none. */
  localSpillingRequests: number;
  /** Warp stall reasons across the kernel, cycles per issued instruction, largest first. */
  stalls: { reason: string; cyclesPerIssue: number }[];
  /** Nsight Compute's guided-analysis results, in its order. */
  rules: RuleResult[];
}

export type RuleType = 'OPT' | 'WRN' | 'INF' | 'ERR';

export interface RuleResult {
  /** e.g. `UncoalescedGlobalAccess`, `SOLBottleneck`. */
  rule: string;
  /** The section that holds it (`MemoryWorkloadAnalysis_Tables`). */
  section: string;
  type: RuleType;
  text: string;
  /** ncu's estimated speedup, % of the kernel's time; with its kind (`local`: of the part the rule looks at). */
  estimatedSpeedupPct?: number;
  speedupKind?: 'local' | 'global';
}

// ── Conclusions ──────────────────────────────────────────────────────────────────────────────────────────────

export type Bottleneck = 'memory' | 'compute' | 'latency';

export interface Classification {
  bound: Bottleneck;
  /** Where the call came from: ncu's speed of light (live) or the benchmark's roofline. */
  basis: 'speed-of-light' | 'roofline';
  /** The percentages it was decided on. */
  computePct: number;
  memoryPct: number;
  /** One sentence: "memory-bound: 91 % of peak memory throughput (L2), 17 % compute". */
  summary: string;
}

export interface Headroom {
  /** The bench record it came from (`.kernelpilot/runs/<id>`). */
  runId: string;
  timeMs: number;
  /** Fraction (0–1) of the limiting ceiling reached, and which ceiling. */
  fractionOfPeak: number;
  bound: Bottleneck;
  /** timeMs × fractionOfPeak: the time at the roofline. */
  rooflineTimeMs: number;
}

export type HintKind =
  | 'uncoalesced-access'
  | 'register-spill'
  | 'small-grid'
  | 'stall'
  | 'occupancy'
  | 'tail-effect'
  | 'ncu-rule';

export interface Hint {
  kind: HintKind;
  /** `ncu`: a guided-analysis rule (its name in `rule`); `kernelpilot`: our own analysis. */
  origin: 'ncu' | 'kernelpilot';
  /** The ncu rule it is (origin `ncu`), or whose estimate ours took (that rule is then not listed again). */
  rule?: string;
  severity: 'warning' | 'info';
  /** A few words for tables: "Uncoalesced global load". */
  title: string;
  /** What is wrong and the likely fix, in one or two sentences. */
  text: string;
  /** Estimated gain, % of the kernel's time (ncu's estimate, or ours with the reasoning in text). */
  estimatedSpeedupPct?: number;
  /** ncu's kind of estimate: `local` is a speedup of the part the rule looks at, not of the whole kernel. */
  speedupKind?: 'local' | 'global';
  /** The line (0-based, user's file) the hint is about; absent for whole-kernel hints. */
  line?: number;
  /** For stall hints: the stall reason (`long_scoreboard`, `lg_throttle`, …). */
  stallReason?: string;
  /** Where the facts came from. */
  basis: 'live' | 'static';
}

/** What is known about one line of the user's file. */
export interface LineFacts {
  line: number;
  /** Warp stall samples (all) on this line's instructions, and their share (0–1) of the kernel's samples. */
  stallSamples?: number;
  stallShare?: number;
  /** The line's stall samples by reason, largest first (reasons as ncu names them without `stall_`). */
  stalls?: { reason: string; samples: number }[];
  /** Warp-level instructions executed (live). */
  instructionsExecuted?: number;
  /** L2 sectors for global accesses: theoretical and ideal (excess = uncoalesced). */
  l2SectorsGlobal?: number;
  l2SectorsGlobalIdeal?: number;
  /** Static SASS instruction mix of the line: opcode (without modifiers) → count. */
  sassMix?: Record<string, number>;
}
