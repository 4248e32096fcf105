// The hints: what to change, ranked by estimated gain. Our own (with a source line where one is to blame) from the
// facts — uncoalesced global accesses (the source page's L2 sectors above the ideal), register spills (ptxas's spill
// bytes, ncu's local spilling requests), a grid smaller than the GPU, stall-heavy lines, low theoretical occupancy —
// and Nsight Compute's guided-analysis rules (OPT/WRN) that none of ours already says.

import type { Hint, KernelResources, LaunchShape, LineFacts, LiveMeasured, Occupancy, RuleResult } from './report';

export interface HintInputs {
  live?: LiveMeasured;
  lines: readonly LineFacts[];
  resources?: KernelResources;
  occupancy?: Occupancy;
  launch?: LaunchShape;
  /** The GPU's SM count, when known without ncu (the small-grid hint); ncu's wins. */
  smCount?: number;
}

/** A line is flagged when at least this share of its global L2 sectors is excess (a coalesced access has none). */
const UNCOALESCED_EXCESS_SHARE = 0.25;
/** …and it holds at least this share of the kernel's excess sectors. */
const UNCOALESCED_KERNEL_SHARE = 0.1;
/** A line holding at least this share of the kernel's stall samples gets a stall hint. */
export const STALL_LINE_SHARE = 0.15;
/** ncu's occupancy rule threshold. */
const LOW_OCCUPANCY_PCT = 80;

/**
 * What each stall reason means, the likely fix, and how ncu's CPIStall rule words it (so its estimate can be split
 * over the lines that hold the reason's samples). From Nsight Compute's stall reason descriptions, shortened.
 */
const STALLS: Record<string, { label: string; what: string; fix: string; rule?: RegExp }> = {
  long_sb: { label: 'long scoreboard', what: 'waiting for a global or local memory result', fix: 'issue independent loads earlier or more per thread, use wider (vector) loads, reuse data through shared memory; the load feeding this line may sit on an earlier line', rule: /scoreboard dependency on a L1TEX/ },
  lg: { label: 'LG throttle', what: 'held back by a full global/local memory queue', fix: 'fewer, wider memory instructions (float4), fewer local-memory accesses (spills)', rule: /queue for local and global/ },
  mio: { label: 'MIO throttle', what: 'held back by a full shared-memory / special-function queue', fix: 'fewer shared-memory instructions, wider shared accesses, no bank conflicts', rule: /MIO \(memory input\/output\) instruction queue/ },
  short_sb: { label: 'short scoreboard', what: 'waiting for a shared-memory or special-function result', fix: 'remove bank conflicts, hoist shared loads, cheaper math than MUFU where precision allows', rule: /scoreboard dependency on a MIO/ },
  barrier: { label: 'barrier', what: 'waiting at a block barrier (__syncthreads)', fix: 'balance the work before the barrier, use fewer barriers or smaller blocks', rule: /at a CTA barrier/ },
  membar: { label: 'memory barrier', what: 'waiting on a memory barrier', fix: 'avoid __threadfence and system-scope atomics on the hot path', rule: /memory barrier/ },
  math: { label: 'math pipe throttle', what: 'waiting for a busy math pipe', fix: 'a cheaper instruction mix or tensor cores: the kernel is compute-bound on one pipe', rule: /execution pipe to be available/ },
  wait: { label: 'wait', what: 'waiting on a fixed-latency dependency', fix: 'more independent instructions between dependent ones (unroll, more work per thread)', rule: /fixed latency execution dependency/ },
  drain: { label: 'drain', what: 'draining stores at exit', fix: 'fewer or wider stores at the end of the kernel', rule: /after EXIT/ },
  branch_resolving: { label: 'branch resolving', what: 'resolving a branch target', fix: 'fewer divergent branches; predicate short branches', rule: /branch target/ },
  no_inst: { label: 'no instruction', what: 'waiting for an instruction fetch (instruction cache miss)', fix: 'less unrolling or inlining in this region', rule: /next instruction/ },
  imc: { label: 'IMC miss', what: 'waiting for a constant-cache miss', fix: 'keep constant and parameter accesses uniform across the warp', rule: /immediate constant cache/ },
  tex: { label: 'tex throttle', what: 'held back by a full texture queue', fix: 'fewer texture accesses', rule: /queue for texture/ },
  dispatch: { label: 'dispatch', what: 'a dispatch stall', fix: 'look at the pipe utilization and instruction mix' },
  sleep: { label: 'sleeping', what: 'sleeping (nanosleep, yield)', fix: 'avoid spin-waits' },
  misc: { label: 'misc', what: 'a miscellaneous hardware stall', fix: "see Nsight Compute's warp state details" },
};
/** Reasons that are no problem in themselves: the warp was ready (selected, or another was). */
const BENIGN_STALLS = new Set(['selected', 'not_selected']);

/** ncu's rule results our hints speak for: folded into ours, not listed again. */
type Folded = Set<RuleResult>;

function rules(live: LiveMeasured | undefined, name: string, test?: RegExp): RuleResult[] {
  return live?.rules.filter((r) => r.rule === name && (test === undefined || test.test(r.text))) ?? [];
}

/** The largest estimate among `found`, which are folded into the hint that uses it. */
function foldEstimate(found: readonly RuleResult[], folded: Folded): number | undefined {
  found.forEach((r) => folded.add(r));
  const estimates = found.flatMap((r) => (r.estimatedSpeedupPct === undefined ? [] : [r.estimatedSpeedupPct]));
  return estimates.length ? Math.max(...estimates) : undefined;
}

const oneLine = (n: number): string => String(n + 1);
const percent = (fraction: number): string => `${Math.round(fraction * 100)} %`;

function uncoalesced(inputs: HintInputs, folded: Folded): Hint[] {
  const excessOf = (l: LineFacts): number => (l.l2SectorsGlobal ?? 0) - (l.l2SectorsGlobalIdeal ?? l.l2SectorsGlobal ?? 0);
  const totalExcess = inputs.lines.reduce((sum, l) => sum + Math.max(0, excessOf(l)), 0);
  if (totalExcess <= 0) return [];
  return inputs.lines
    .filter((l) => l.l2SectorsGlobal && excessOf(l) / l.l2SectorsGlobal >= UNCOALESCED_EXCESS_SHARE && excessOf(l) / totalExcess >= UNCOALESCED_KERNEL_SHARE)
    .map((l) => {
      const sectors = l.l2SectorsGlobal ?? 0;
      const access = l.sassMix?.LDG && !l.sassMix.STG ? 'load' : l.sassMix?.STG && !l.sassMix.LDG ? 'store' : 'access';
      const ratio = sectors / Math.max(1, l.l2SectorsGlobalIdeal ?? sectors);
      const pattern = access === 'load' ? /global loads/ : access === 'store' ? /global stores/ : /global (loads|stores)/;
      const estimate = foldEstimate([...rules(inputs.live, 'UncoalescedGlobalAccess'), ...rules(inputs.live, 'MemoryCacheAccessPattern', pattern)], folded);
      return {
        kind: 'uncoalesced-access',
        origin: 'kernelpilot',
        ...(estimate !== undefined ? { rule: 'UncoalescedGlobalAccess', estimatedSpeedupPct: estimate * (excessOf(l) / totalExcess), speedupKind: 'global' } : {}),
        severity: 'warning',
        title: `Uncoalesced global ${access}`,
        text: `Uncoalesced global memory ${access} on line ${oneLine(l.line)}: it moves ${ratio.toFixed(1)}× the L2 sectors a coalesced ${access} needs (${percent(excessOf(l) / sectors)} excess). Make neighbouring threads touch neighbouring addresses (threadIdx.x in the fastest-varying index), or stage the data through shared memory.`,
        line: l.line,
        basis: 'live',
      } satisfies Hint;
    });
}

function spill(inputs: HintInputs, folded: Folded): Hint[] {
  const r = inputs.resources;
  const requests = inputs.live?.localSpillingRequests ?? 0;
  const staticBytes = (r?.spillStoreBytes ?? 0) + (r?.spillLoadBytes ?? 0);
  if (requests <= 0 && staticBytes <= 0) return [];
  const localOps = (l: LineFacts): number => (l.sassMix?.LDL ?? 0) + (l.sassMix?.STL ?? 0);
  const worst = [...inputs.lines].sort((a, b) => localOps(b) - localOps(a))[0];
  const estimate = foldEstimate(rules(inputs.live, 'MemoryCacheAccessPattern', /\blocal (loads|stores)\b/), folded);
  const bytes = r ? `ptxas spills ${r.spillStoreBytes} bytes stored / ${r.spillLoadBytes} bytes loaded per thread (${r.registersPerThread} registers)` : 'registers spill to local memory';
  const measured = requests > 0 ? `; ${requests.toLocaleString('en-US')} local-memory spilling requests measured` : '';
  return [
    {
      kind: 'register-spill',
      origin: 'kernelpilot',
      ...(estimate !== undefined ? { estimatedSpeedupPct: estimate, speedupKind: 'global' } : {}),
      severity: 'warning',
      title: 'Register spills to local memory',
      text: `Register spill: ${bytes}${measured}. Keep fewer values live (smaller per-thread arrays, less unrolling of accumulators), or relax __launch_bounds__'s minimum blocks / -maxrregcount.`,
      ...(worst && localOps(worst) > 0 ? { line: worst.line } : {}),
      basis: requests > 0 ? 'live' : 'static',
    },
  ];
}

function smallGrid(inputs: HintInputs, folded: Folded): Hint[] {
  const launch = inputs.live?.launch ?? inputs.launch;
  const sms = inputs.live?.device.smCount ?? inputs.smCount;
  if (!launch || !sms) return [];
  const blocks = launch.grid[0] * launch.grid[1] * launch.grid[2];
  if (blocks >= sms) return [];
  const estimate = foldEstimate(rules(inputs.live, 'LaunchConfiguration', /multiprocessors/), folded) ?? (1 - blocks / sms) * 100;
  return [
    {
      kind: 'small-grid',
      origin: 'kernelpilot',
      estimatedSpeedupPct: estimate,
      speedupKind: 'global',
      severity: 'warning',
      title: 'Grid smaller than the GPU',
      text: `Small grid: ${blocks} block${blocks === 1 ? '' : 's'} for ${sms} SMs leave ${sms - blocks} SMs idle. Launch at least one block per SM (a grid-stride loop can keep the work per thread), or split the work into more, smaller blocks.`,
      basis: inputs.live ? 'live' : 'static',
    },
  ];
}

function stallLines(inputs: HintInputs, folded: Folded): Hint[] {
  const hints: Hint[] = [];
  const reasonTotal = new Map<string, number>();
  for (const l of inputs.lines) for (const st of l.stalls ?? []) reasonTotal.set(st.reason, (reasonTotal.get(st.reason) ?? 0) + st.samples);
  for (const l of inputs.lines) {
    if ((l.stallShare ?? 0) < STALL_LINE_SHARE || !l.stalls?.length || !l.stallSamples) continue;
    const top = l.stalls.find((s) => !BENIGN_STALLS.has(s.reason));
    if (!top) continue;
    const known = STALLS[top.reason];
    const stall = known ?? { label: top.reason, what: `stalled (${top.reason})`, fix: "see Nsight Compute's warp state details" };
    // ncu's CPIStall estimate for this reason, split over the lines by their share of its samples.
    const cpi = known?.rule ? rules(inputs.live, 'CPIStall', known.rule)[0] : undefined;
    if (cpi) folded.add(cpi);
    const ofLine = top.samples / l.stallSamples;
    hints.push({
      kind: 'stall',
      origin: 'kernelpilot',
      ...(cpi?.estimatedSpeedupPct !== undefined ? { rule: 'CPIStall', estimatedSpeedupPct: cpi.estimatedSpeedupPct * (top.samples / (reasonTotal.get(top.reason) ?? top.samples)), speedupKind: cpi.speedupKind ?? 'global' } : {}),
      severity: 'info',
      title: `Stalls: ${stall.label}`,
      text: `Line ${oneLine(l.line)} holds ${percent(l.stallShare ?? 0)} of the kernel's stall samples, ${percent(ofLine)} of them ${stall.what} (${stall.label}). Likely fix: ${stall.fix}.`,
      line: l.line,
      stallReason: top.reason,
      basis: 'live',
    });
  }
  return hints;
}

function lowOccupancy(inputs: HintInputs): Hint[] {
  const o = inputs.occupancy;
  if (!o || o.theoreticalPct >= LOW_OCCUPANCY_PCT || inputs.live?.rules.some((r) => r.rule === 'TheoreticalOccupancy')) return [];
  const fixes: Record<string, string> = {
    registers: `use fewer registers per thread (now ${o.registersPerThread}): __launch_bounds__ or less live state`,
    'shared-memory': `use less shared memory per block (now ${o.sharedBytesPerBlock} bytes)`,
    warps: 'use a block size that divides the SM\'s warp slots',
    blocks: 'use larger blocks: the SM runs out of block slots first',
    barriers: 'use fewer named barriers per block',
  };
  return [
    {
      kind: 'occupancy',
      origin: 'kernelpilot',
      // A guess, ranked low on purpose: occupancy only pays when latency dominates.
      estimatedSpeedupPct: (LOW_OCCUPANCY_PCT - o.theoreticalPct) / 4,
      speedupKind: 'global',
      severity: 'info',
      title: `Occupancy ${o.theoreticalPct.toFixed(0)} % (${o.limiter})`,
      text: `Theoretical occupancy is ${o.theoreticalPct.toFixed(1)} % at ${o.blockSize} threads per block, limited by ${o.limiter}: ${fixes[o.limiter]}. Low occupancy matters when latency (stalls) dominates.`,
      basis: 'static',
    },
  ];
}

const SPLIT_WORDS = /(?<=[a-z0-9])(?=[A-Z])/g;

/** ncu's OPT/WRN rules that none of our hints already speaks for. */
function ncuRules(live: LiveMeasured | undefined, folded: Folded): Hint[] {
  if (!live) return [];
  return live.rules
    .filter((r) => (r.type === 'OPT' || r.type === 'WRN') && !folded.has(r))
    .map((r) => ({
      kind: 'ncu-rule',
      origin: 'ncu',
      rule: r.rule,
      severity: r.type === 'WRN' ? 'warning' : 'info',
      title: r.rule.replace(SPLIT_WORDS, ' '),
      text: r.text,
      ...(r.estimatedSpeedupPct !== undefined ? { estimatedSpeedupPct: r.estimatedSpeedupPct } : {}),
      ...(r.speedupKind ? { speedupKind: r.speedupKind } : {}),
      basis: 'live',
    }) satisfies Hint);
}

/**
 * Ranking: estimated gain, largest first; ncu's "local" estimates (a speedup of the part a rule looks at, not of the
 * kernel) after every whole-kernel estimate; hints without an estimate last.
 */
function rank(hints: Hint[]): Hint[] {
  const tier = (h: Hint): number => (h.estimatedSpeedupPct === undefined ? 2 : h.speedupKind === 'local' ? 1 : 0);
  return hints.sort((a, b) => tier(a) - tier(b) || (b.estimatedSpeedupPct ?? 0) - (a.estimatedSpeedupPct ?? 0));
}

export function hintsFor(inputs: HintInputs): Hint[] {
  const folded: Folded = new Set();
  const ours = [...uncoalesced(inputs, folded), ...spill(inputs, folded), ...smallGrid(inputs, folded), ...stallLines(inputs, folded), ...lowOccupancy(inputs)];
  return rank([...ours, ...ncuRules(inputs.live, folded)]);
}
