// Assembles a ProfileReport from what the static analysis and the live run found. Pure: the runner (profile/run.ts)
// gathers the inputs, tests feed recorded ones.

import { evaluate } from '../benchspec/expr';
import type { BenchSpec } from '../benchspec/model';
import { smLimits } from './arch-limits';
import { classifyLive, classifyRoofline, headroomOf, type BenchFigures } from './classify';
import { hintsFor } from './hints';
import { parseDetailsPage, parseRawPage, parseSourcePage, rawNumber } from './ncu-csv';
import { liveFacts } from './ncu-facts';
import { occupancyByBlockSize, theoreticalOccupancy } from './occupancy';
import { PROFILE_REPORT_VERSION, type KernelIdentity, type KernelResources, type LaunchShape, type LineFacts, type LiveFacts, type LiveMeasured, type ProfileReport, type SassFacts, type StaticFacts } from './report';
import { lineFactsFromSource, mergeLine } from './source-lines';

/** The spec's launch at its default sizes. */
export function specLaunch(spec: BenchSpec): LaunchShape {
  const dims = (exprs: readonly string[]): [number, number, number] => {
    const v = [1, 1, 1] as [number, number, number];
    exprs.forEach((e, i) => (v[i] = evaluate(e, spec.sizes)));
    return v;
  };
  return { grid: dims(spec.launch.grid), block: dims(spec.launch.block), dynamicSharedBytes: spec.launch.sharedMem ? evaluate(spec.launch.sharedMem, spec.sizes) : 0 };
}

export interface StaticInputs {
  arch: string;
  resources?: KernelResources;
  launch?: LaunchShape;
  sass?: SassFacts;
  /** nvdisasm's per-line instruction mix. */
  lines?: LineFacts[];
  /** The shared-memory carveout the driver chose (ncu's), so the occupancy's limits are the launch's. */
  carveoutBytes?: number;
}

export function staticFacts(inputs: StaticInputs, notes: string[]): StaticFacts {
  const facts: StaticFacts = {};
  if (inputs.resources) facts.resources = inputs.resources;
  if (inputs.sass) facts.sass = inputs.sass;
  const sm = smLimits(inputs.arch);
  if (!sm) notes.push(`no occupancy for ${inputs.arch}: its SM limits are not known (sm_70 and newer are)`);
  else if (sm.approximate) notes.push(`occupancy for ${inputs.arch} uses the limits of its major's first architecture`);
  const r = inputs.resources;
  if (sm && r) {
    const shared = { registersPerThread: r.registersPerThread, staticSharedBytes: r.staticSharedBytes, dynamicSharedBytes: inputs.launch?.dynamicSharedBytes ?? 0, barriers: r.barriers };
    const blockSize = inputs.launch ? inputs.launch.block[0] * inputs.launch.block[1] * inputs.launch.block[2] : undefined;
    if (blockSize !== undefined) facts.occupancy = theoreticalOccupancy(sm.limits, { ...shared, blockSize, ...(inputs.carveoutBytes !== undefined ? { carveoutBytes: inputs.carveoutBytes } : {}) });
    facts.occupancyByBlockSize = occupancyByBlockSize(sm.limits, shared);
  }
  return facts;
}

export interface NcuExports {
  raw: string;
  details: string;
  source: string;
}

/** The live facts and per-line figures of one profiled launch, from ncu's CSV exports. */
export function liveFromExports(exports: NcuExports, userFile: string, tool: LiveMeasured['tool'], targetPath?: string): { live: LiveMeasured; lines: LineFacts[]; carveoutBytes?: number } {
  const [launch] = parseRawPage(exports.raw);
  if (!launch) throw new Error('ncu raw page has no profiled launch: the kernel name filter matched nothing');
  const live = liveFacts(launch, parseDetailsPage(exports.details), tool);
  const lines = lineFactsFromSource(parseSourcePage(exports.source), userFile, targetPath);
  const carveoutBytes = rawNumber(launch, 'launch__shared_mem_config_size');
  return { live, lines, ...(carveoutBytes !== undefined ? { carveoutBytes } : {}) };
}

export interface ReportInputs {
  identity: KernelIdentity;
  static: StaticInputs;
  live: LiveFacts;
  liveLines?: LineFacts[];
  bench?: BenchFigures;
  /** The GPU's SM count when known without ncu (a bench record's device): the small-grid hint of a static report. */
  smCount?: number;
  notes?: string[];
  now?: Date;
}

/** Static per-line SASS mix wins over the source page's (the same instructions, counted once). */
function mergeLines(live: readonly LineFacts[], statics: readonly LineFacts[]): LineFacts[] {
  const byLine = new Map<number, LineFacts>();
  const staticMix = new Set(statics.map((l) => l.line));
  for (const l of live) {
    const { sassMix, ...rest } = l;
    byLine.set(l.line, staticMix.has(l.line) || !sassMix ? rest : l);
  }
  for (const l of statics) byLine.set(l.line, mergeLine(byLine.get(l.line), l));
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}

export function buildReport(inputs: ReportInputs): ProfileReport {
  const notes = [...(inputs.notes ?? [])];
  const facts = staticFacts(inputs.static, notes);
  const live = inputs.live.status === 'measured' ? inputs.live : undefined;
  const lines = mergeLines(inputs.liveLines ?? [], inputs.static.lines ?? []);
  const classification = live ? classifyLive(live) : inputs.bench ? classifyRoofline(inputs.bench) : undefined;
  if (live?.tool.clockControl === 'none') notes.push('profiled with the GPU\'s own clocks (--clock-control none): figures vary with boost; timings come from the benchmark, not from ncu');
  return {
    version: PROFILE_REPORT_VERSION,
    createdAt: (inputs.now ?? new Date()).toISOString(),
    kernel: inputs.identity,
    static: facts,
    live: inputs.live,
    ...(classification ? { classification } : {}),
    ...(inputs.bench ? { headroom: headroomOf(inputs.bench) } : {}),
    hints: hintsFor({ ...(live ? { live } : {}), lines, ...(facts.resources ? { resources: facts.resources } : {}), ...(facts.occupancy ? { occupancy: facts.occupancy } : {}), ...(inputs.static.launch ? { launch: inputs.static.launch } : {}), ...(inputs.smCount ? { smCount: inputs.smCount } : {}) }),
    lines,
    notes,
  };
}
