// Probes that need only the check reports, not the dumps: enough distinct seeds, inputs left untouched
// (field notes, pattern 2), and outputs that do not alias inputs.

import type { BenchSpec } from '../benchspec/model';
import { ELEMENT_BYTES } from '../benchspec/defaults';
import { quoteList } from './num';
import { elementCount } from './shapes';
import type { ResolvedShapes } from './shapes';
import type { CheckRun, Probe } from './verify';

export interface SeedPair {
  seed: number;
  baseline: CheckRun;
  candidate: CheckRun;
}

/** Pairs baseline and candidate checks by seed; the probe passes with ≥ minSeeds distinct paired seeds. */
export function checkSeeds(baseline: readonly CheckRun[], candidate: readonly CheckRun[], minSeeds: number): { probe: Probe; pairs: SeedPair[] } {
  const pairs: SeedPair[] = [];
  const unpaired: number[] = [];
  for (const c of candidate) {
    const seed = c.report.seed;
    if (pairs.some((p) => p.seed === seed)) continue; // a repeat of a seed adds nothing here
    const b = baseline.find((r) => r.report.seed === seed);
    if (b) pairs.push({ seed, baseline: b, candidate: c });
    else unpaired.push(seed);
  }
  const seeds = pairs.map((p) => p.seed);
  const details = { seeds, unpaired, minSeeds };
  if (unpaired.length) {
    return { pairs, probe: { name: 'seeds', passed: false, gate: true, reason: `candidate seed(s) ${unpaired.join(', ')} have no baseline check to compare with`, details } };
  }
  if (seeds.length < minSeeds) {
    return { pairs, probe: { name: 'seeds', passed: false, gate: true, reason: `only ${seeds.length} distinct seed(s) compared (${seeds.join(', ') || 'none'}); at least ${minSeeds} are required`, details } };
  }
  return { pairs, probe: { name: 'seeds', passed: true, gate: true, reason: `${seeds.length} distinct seeds compared (${seeds.join(', ')})`, details } };
}

/** Names of the spec's pure inputs, whose checksums must not change (inout buffers are expected to). */
function pureInputs(spec: BenchSpec): string[] {
  return spec.args.filter((a) => a.role === 'input').map((a) => a.name);
}

function changedInputs(run: CheckRun, names: readonly string[]): { changed: string[]; missing: string[] } {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const before = run.report.inputChecksumsBefore[name];
    const after = run.report.inputChecksumsAfter[name];
    if (before === undefined || after === undefined) missing.push(name);
    else if (before !== after) changed.push(name);
  }
  return { changed, missing };
}

export function checkInputs(spec: BenchSpec, baseline: readonly CheckRun[], candidate: readonly CheckRun[]): Probe {
  const names = pureInputs(spec);
  const perSeed = candidate.map((run) => ({ seed: run.report.seed, ...changedInputs(run, names) }));
  const baselineChanged = new Set(baseline.flatMap((run) => changedInputs(run, names).changed));
  const details = { inputs: names, candidate: perSeed, baselineChanged: [...baselineChanged] };
  const missing = perSeed.find((s) => s.missing.length);
  if (missing) {
    return { name: 'inputs-unchanged', passed: false, gate: true, reason: `seed ${missing.seed}: no before/after checksum for input(s) ${quoteList(missing.missing)}, so mutation cannot be ruled out`, details };
  }
  const bad = perSeed.find((s) => s.changed.length);
  if (bad) {
    const spec = bad.changed.filter((n) => baselineChanged.has(n));
    const hint = spec.length ? `; the baseline changes ${quoteList(spec)} too, so the spec probably should declare ${spec.length > 1 ? 'them' : 'it'} inout` : '';
    return { name: 'inputs-unchanged', passed: false, gate: true, reason: `seed ${bad.seed}: the candidate changed input(s) ${quoteList(bad.changed)} (checksum after ≠ before)${hint}`, details };
  }
  return { name: 'inputs-unchanged', passed: true, gate: true, reason: `${names.length} input(s) unchanged on ${candidate.length} candidate check(s)`, details };
}

interface Range {
  name: string;
  role: string;
  start: bigint;
  /** Exclusive; start + 1 when the byte size is unknown, so the check degrades to pointer equality. */
  end: bigint;
}

function parsePointer(text: string, name: string, seed: number): bigint {
  if (!/^(0x)?[0-9a-fA-F]+$/.test(text)) throw new Error(`seed ${seed}: pointer of '${name}' is '${text}', not a hex address`);
  return BigInt(text.startsWith('0x') ? text : `0x${text}`);
}

/**
 * No output (or inout) buffer may overlap another buffer argument. Extents come from the report's element
 * counts for outputs and from the spec's shapes for inputs; where neither is known only equal pointers count.
 */
export function checkAliasing(spec: BenchSpec, candidate: readonly CheckRun[], shapes: ResolvedShapes): Probe {
  const overlaps: Array<{ seed: number; a: string; b: string }> = [];
  for (const run of candidate) {
    const ranges: Range[] = [];
    for (const arg of spec.args) {
      if (arg.role === 'scalar') continue;
      const text = run.report.pointers[arg.name];
      if (text === undefined) {
        return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${run.report.seed}: no pointer reported for buffer '${arg.name}', so aliasing cannot be ruled out` };
      }
      let start: bigint;
      try {
        start = parsePointer(text, arg.name, run.report.seed);
      } catch (error) {
        return { name: 'no-aliasing', passed: false, gate: true, reason: (error as Error).message };
      }
      const dumped = run.report.outputs.find((o) => o.name === arg.name)?.elements;
      const shape = shapes[arg.name];
      const elements = dumped ?? (shape ? elementCount(shape) : undefined);
      const bytes = elements !== undefined ? BigInt(Math.max(1, elements * ELEMENT_BYTES[arg.dtype])) : 1n;
      ranges.push({ name: arg.name, role: arg.role, start, end: start + bytes });
    }
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i];
        const b = ranges[j];
        if (a.role === 'input' && b.role === 'input') continue; // reading one buffer twice is harmless
        if (a.start < b.end && b.start < a.end) overlaps.push({ seed: run.report.seed, a: a.name, b: b.name });
      }
    }
  }
  if (overlaps.length) {
    const o = overlaps[0];
    return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${o.seed}: buffers '${o.a}' and '${o.b}' overlap in device memory (an output aliasing an input can fake a result)`, details: { overlaps } };
  }
  return { name: 'no-aliasing', passed: true, gate: true, reason: `no output overlaps another buffer on ${candidate.length} candidate check(s)`, details: { overlaps } };
}
