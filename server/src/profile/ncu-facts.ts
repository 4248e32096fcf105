// The live figures of one profiled launch, read from the raw page's metrics (names: field.md's ncu recipe) and the
// details page's rule results.

import { rawNumber, type DetailsPage, type RawLaunch } from './ncu-csv';
import { limiterOf } from './occupancy';
import type { LaunchShape, LiveMeasured, OccupancyLimiter } from './report';

const STALL_METRIC = /^smsp__average_warps_issue_stalled_(.+)_per_issue_active\.ratio$/;

function required(launch: RawLaunch, what: string, ...names: string[]): number {
  const value = rawNumber(launch, ...names);
  if (value === undefined) throw new Error(`ncu raw page: no ${what} (${names.join(' or ')}) for ${launch.kernelName}; were the SpeedOfLight, LaunchStats and Occupancy sections collected?`);
  return value;
}

function triple(launch: RawLaunch, prefix: string): [number, number, number] {
  return [rawNumber(launch, `${prefix}_x`) ?? 1, rawNumber(launch, `${prefix}_y`) ?? 1, rawNumber(launch, `${prefix}_z`) ?? 1];
}

export function launchShape(launch: RawLaunch): LaunchShape {
  return { grid: triple(launch, 'launch__grid_dim'), block: triple(launch, 'launch__block_dim'), dynamicSharedBytes: rawNumber(launch, 'launch__shared_mem_per_block_dynamic') ?? 0 };
}

/** ncu's own per-resource block limits; the limiter is the smallest (ties as occupancy.ts names them). */
export function ncuBlockLimits(launch: RawLaunch): Record<OccupancyLimiter, number> {
  const limit = (name: string): number => required(launch, `occupancy limit (${name})`, `launch__occupancy_limit_${name}`);
  return { warps: limit('warps'), blocks: limit('blocks'), registers: limit('registers'), 'shared-memory': limit('shared_mem'), barriers: rawNumber(launch, 'launch__occupancy_limit_barriers') ?? limit('blocks') };
}

export function liveFacts(launch: RawLaunch, details: DetailsPage, tool: LiveMeasured['tool']): LiveMeasured {
  const stalls: LiveMeasured['stalls'] = [];
  for (const name of launch.values.keys()) {
    const reason = STALL_METRIC.exec(name)?.[1];
    const cycles = reason === undefined ? undefined : rawNumber(launch, name);
    if (reason && cycles) stalls.push({ reason, cyclesPerIssue: cycles });
  }
  stalls.sort((a, b) => b.cyclesPerIssue - a.cyclesPerIssue);
  const l1 = rawNumber(launch, 'l1tex__throughput.avg.pct_of_peak_sustained_active');
  const l2 = rawNumber(launch, 'lts__throughput.avg.pct_of_peak_sustained_elapsed');
  const name = launch.values.get('device__attribute_display_name');
  return {
    status: 'measured',
    tool,
    device: { ...(name ? { name } : {}), computeCapability: launch.values.get('CC') ?? '', smCount: required(launch, 'SM count', 'device__attribute_multiprocessor_count', 'launch__sm_count') },
    launch: launchShape(launch),
    durationNs: required(launch, 'duration', 'gpu__time_duration.sum'),
    computePct: required(launch, 'compute throughput', 'sm__throughput.avg.pct_of_peak_sustained_elapsed'),
    memoryPct: required(launch, 'memory throughput', 'gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed'),
    dramPct: required(launch, 'DRAM throughput', 'gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed', 'dram__throughput.avg.pct_of_peak_sustained_elapsed'),
    ...(l1 !== undefined ? { l1Pct: l1 } : {}),
    ...(l2 !== undefined ? { l2Pct: l2 } : {}),
    achievedOccupancyPct: required(launch, 'achieved occupancy', 'sm__warps_active.avg.pct_of_peak_sustained_active'),
    theoreticalOccupancyPct: required(launch, 'theoretical occupancy', 'sm__maximum_warps_per_active_cycle_pct'),
    occupancyLimiter: limiterOf(ncuBlockLimits(launch)),
    wavesPerSm: required(launch, 'waves per SM', 'launch__waves_per_multiprocessor'),
    registersPerThread: required(launch, 'registers per thread', 'launch__registers_per_thread'),
    sharedBytesPerBlock: required(launch, 'shared memory per block', 'launch__shared_mem_per_block'),
    localSpillingRequests: rawNumber(launch, 'derived__local_spilling_requests') ?? 0,
    stalls,
    rules: details.rules,
  };
}
