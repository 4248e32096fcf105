// Correctness probes on what the harness recorded: each `check` run's report plus its raw output dumps, for the
// baseline and the candidate on the same seeds. Each probe answers one cheating pattern from the field notes;
// the verdict accepts the candidate only when every gate probe passes. Two probes are advisory: `not-trivial`
// judges the SPEC (would a do-nothing kernel pass it?) and `deterministic` reports bitwise reproducibility,
// which float atomics legitimately lack.

import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CheckReport, OutputDump } from '../harness/protocol';
import type { BenchSpec, Dtype, SpecArg } from '../benchspec/model';
import { ELEMENT_BYTES, toleranceFor } from '../benchspec/defaults';
import { decodeValues, isDtype, isFloatDtype, rawBits } from './dtype';
import type { Values } from './dtype';
import { bitwiseDiff, countPoison, finiteMean, matchValues, trivialPasses } from './elementwise';
import type { MatchStats } from './elementwise';
import { elementCount, resolveShapes } from './shapes';
import type { ResolvedShapes } from './shapes';
import { POISON_BYTE, poisonPattern } from '../harness/poison';
import { checkAliasing, checkInputs, checkSeeds } from './report-probes';
import { sig } from './num';

export type ProbeName = 'runs' | 'timed' | 'seeds' | 'match' | 'written' | 'inputs-unchanged' | 'no-aliasing' | 'not-trivial' | 'deterministic';

export interface Probe {
  name: ProbeName;
  passed: boolean;
  /** Gate probes decide acceptance; advisory ones are reported only. */
  gate: boolean;
  /** The probe could not run (e.g. no repeated candidate check); `passed` is then true and means nothing. */
  skipped?: boolean;
  reason: string;
  details?: Record<string, unknown>;
}

export interface VerifyVerdict {
  accepted: boolean;
  /** A trivial output (zeros, a constant, an input) would pass this spec: its tolerance or inputs need work. */
  weakSpec: boolean;
  /** Gate probes that failed. */
  failed: ProbeName[];
  summary: string;
}

export interface VerifyResult {
  probes: Probe[];
  verdict: VerifyVerdict;
}

/** One `check` run: the report and the --out folder holding its dumps. */
export interface CheckRun {
  report: CheckReport;
  dir: string;
}

/** Reads one dump file; `file` comes from the report. */
export type DumpReader = (dir: string, file: string) => Promise<Uint8Array>;

/**
 * Reads from disk. The file name comes from a report a candidate may influence (Python harnesses), so anything
 * but a plain name inside the folder is refused.
 */
export const fsDumpReader: DumpReader = async (dir, file) => {
  if (file !== basename(file) || file === '..' || file === '.' || file === '') throw new Error(`dump file name '${file}' in ${dir} is not a plain file name`);
  return readFile(join(dir, file));
};

export interface VerifyInput {
  spec: BenchSpec;
  /** Sizes the checks ran at (default: the spec's). */
  sizes?: Record<string, number>;
  baseline: CheckRun[];
  candidate: CheckRun[];
  /** A second candidate check with the seed of one of `candidate`, for the determinism probe. */
  candidateRepeat?: CheckRun;
  /** Input values for one seed, when the harness dumps them: enables the "output = an input" half of not-trivial. */
  readInput?: (seed: number, arg: SpecArg) => Promise<Uint8Array | undefined>;
  /** Default 3. */
  minSeeds?: number;
  readDump?: DumpReader;
}

/** Per output argument, across seeds: which trivial outputs pass on every seed so far. */
interface TrivialState {
  zeros: boolean;
  constant: boolean;
  inputs: Map<string, boolean>;
}

interface OutputAccumulator {
  match: Array<MatchStats & { seed: number; output: string }>;
  matchProblems: string[];
  written: Array<{ seed: number; output: string; unwritten: number; baselineUnwritten: number; firstIndex?: number[] }>;
  trivial: Map<string, TrivialState>;
}

function specArg(spec: BenchSpec, name: string): SpecArg | undefined {
  return spec.args.find((a) => a.name === name && a.role !== 'scalar');
}

function fmtIndex(name: string, index: readonly number[]): string {
  return `${name}[${index.join(', ')}]`;
}

/** Checks one dump's metadata against the spec and its counterpart; returns a problem or the dtype. */
function dumpProblem(spec: BenchSpec, shapes: ResolvedShapes, b: OutputDump, c: OutputDump | undefined, seed: number): string | Dtype {
  if (!c) return `seed ${seed}: the candidate did not report output '${b.name}'`;
  if (!isDtype(b.dtype)) return `seed ${seed}: output '${b.name}' has unknown dtype '${b.dtype}'`;
  if (c.dtype !== b.dtype) return `seed ${seed}: output '${b.name}' is ${c.dtype} in the candidate but ${b.dtype} in the baseline`;
  const arg = specArg(spec, b.name);
  if (arg && arg.dtype !== b.dtype) return `seed ${seed}: output '${b.name}' is ${b.dtype} but the spec declares ${arg.dtype}`;
  if (c.elements !== b.elements) return `seed ${seed}: output '${b.name}' has ${c.elements} elements in the candidate but ${b.elements} in the baseline`;
  const shape = shapes[b.name];
  if (shape && elementCount(shape) !== b.elements) return `seed ${seed}: output '${b.name}' has ${b.elements} elements but the spec's shape [${shape.join(', ')}] has ${elementCount(shape)}`;
  return b.dtype;
}

/**
 * The element pattern the harness poisoned this output with: the dump's own `poison` byte when the report states
 * one (e.g. "0xff"), otherwise the shared default for the dtype.
 */
function poisonOf(dump: OutputDump, dtype: Dtype): bigint {
  const declared: unknown = (dump as OutputDump & { poison?: unknown }).poison;
  let byte = POISON_BYTE[dtype];
  if (typeof declared === 'number') byte = declared;
  else if (typeof declared === 'string' && /^(0x)?[0-9a-f]{1,2}$/i.test(declared)) byte = Number.parseInt(declared.replace(/^0x/i, ''), 16);
  else if (declared !== undefined) throw new Error(`output '${dump.name}' declares poison ${JSON.stringify(declared)}, not a byte`);
  return poisonPattern(byte, ELEMENT_BYTES[dtype]);
}

async function readChecked(read: DumpReader, run: CheckRun, dump: OutputDump, dtype: Dtype, side: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await read(run.dir, dump.file);
  } catch (error) {
    throw new Error(`reading the ${side} dump of '${dump.name}' (seed ${run.report.seed}) from ${run.dir}: ${(error as Error).message}`, { cause: error });
  }
  const expected = dump.elements * ELEMENT_BYTES[dtype];
  if (bytes.byteLength !== expected) {
    throw new Error(`the ${side} dump of '${dump.name}' (seed ${run.report.seed}, ${join(run.dir, dump.file)}) has ${bytes.byteLength} bytes, expected ${dump.elements} × ${ELEMENT_BYTES[dtype]} = ${expected}`);
  }
  return bytes;
}

async function compareOutputs(input: VerifyInput, pairs: Array<{ seed: number; baseline: CheckRun; candidate: CheckRun }>, shapes: ResolvedShapes, acc: OutputAccumulator): Promise<void> {
  const read = input.readDump ?? fsDumpReader;
  for (const { seed, baseline, candidate } of pairs) {
    const inputCache = new Map<string, Values | undefined>();
    for (const bDump of baseline.report.outputs) {
      const cDump = candidate.report.outputs.find((o) => o.name === bDump.name);
      const checked = dumpProblem(input.spec, shapes, bDump, cDump, seed);
      if (!cDump || !isDtype(checked)) {
        acc.matchProblems.push(checked);
        continue;
      }
      const dtype = checked;
      const shape = shapes[bDump.name];
      const tol = toleranceFor(input.spec, dtype);
      const bBytes = await readChecked(read, baseline, bDump, dtype, 'baseline');
      const cBytes = await readChecked(read, candidate, cDump, dtype, 'candidate');
      const bValues = decodeValues(bBytes, dtype, `baseline '${bDump.name}'`);
      const cValues = decodeValues(cBytes, dtype, `candidate '${cDump.name}'`);
      acc.match.push({ seed, output: bDump.name, ...matchValues(bValues, cValues, tol, shape) });

      // Inout buffers start from real data, not poison, so only pure outputs can hold leftover poison.
      const role = specArg(input.spec, bDump.name)?.role ?? 'output';
      if (role === 'output') {
        const p = countPoison(rawBits(cBytes, dtype), poisonOf(cDump, dtype), rawBits(bBytes, dtype), poisonOf(bDump, dtype), shape);
        acc.written.push({ seed, output: bDump.name, unwritten: p.unwritten, baselineUnwritten: p.baselineUnwritten, ...(p.first ? { firstIndex: p.first.index } : {}) });
      }

      const state = acc.trivial.get(bDump.name) ?? { zeros: true, constant: true, inputs: new Map<string, boolean>() };
      acc.trivial.set(bDump.name, state);
      state.zeros &&= trivialPasses(bValues, 0, tol);
      const m = finiteMean(bValues);
      state.constant &&= trivialPasses(bValues, isFloatDtype(dtype) ? m : Math.round(m), tol);
      if (input.readInput) {
        for (const arg of input.spec.args) {
          // An inout compared with its own initial values is the "kernel did nothing" case: kept on purpose.
          if (arg.role !== 'input' && arg.role !== 'inout') continue;
          if (!inputCache.has(arg.name)) {
            const bytes = await input.readInput(seed, arg);
            inputCache.set(arg.name, bytes ? decodeValues(bytes, arg.dtype, `input '${arg.name}' (seed ${seed})`) : undefined);
          }
          const values = inputCache.get(arg.name);
          if (!values || values.length !== bValues.length) continue;
          state.inputs.set(arg.name, (state.inputs.get(arg.name) ?? true) && trivialPasses(bValues, values, tol));
        }
      }
    }
  }
}

function matchProbe(acc: OutputAccumulator): Probe {
  const failing = acc.match.filter((m) => m.failures > 0);
  const details = {
    outputs: acc.match.map(({ first, ...rest }) => ({ ...rest, ...(first ? { firstFailure: first } : {}) })),
    maxAbsErr: Math.max(0, ...acc.match.map((m) => m.maxAbsErr)),
    maxRelErr: Math.max(0, ...acc.match.map((m) => m.maxRelErr)),
  };
  if (acc.matchProblems.length) return { name: 'match', passed: false, gate: true, reason: acc.matchProblems.join('; '), details };
  if (acc.match.length === 0) return { name: 'match', passed: false, gate: true, reason: 'no outputs were compared', details };
  if (failing.length === 0) {
    return { name: 'match', passed: true, gate: true, reason: `${acc.match.length} output comparisons within tolerance (max |Δ| ${sig(details.maxAbsErr)}, max rel ${sig(details.maxRelErr)})`, details };
  }
  const f = failing[0];
  const first = f.first!;
  const at = fmtIndex(f.output, first.index);
  let what: string;
  if (first.why === 'non-finite-baseline') what = `the baseline's ${at} is ${first.baseline} (the spec's inputs may be outside the kernel's domain)`;
  else if (first.why === 'non-finite-candidate') what = `${at} is ${first.candidate} (baseline ${first.baseline})`;
  else what = `${at} = ${first.candidate}, baseline ${first.baseline} (|Δ| ${sig(first.absErr)} > allowed ${sig(first.allowed ?? 0)})`;
  return { name: 'match', passed: false, gate: true, reason: `seed ${f.seed}: ${what}; ${f.failures} of ${f.elements} elements fail`, details };
}

function writtenProbe(acc: OutputAccumulator): Probe {
  const details = { outputs: acc.written };
  const bad = acc.written.find((w) => w.unwritten > 0);
  const baselineGaps = acc.written.filter((w) => w.baselineUnwritten > 0);
  const note = baselineGaps.length
    ? `; note: the baseline itself leaves ${baselineGaps[0].baselineUnwritten} element(s) of '${baselineGaps[0].output}' unwritten, so the spec's shape may be larger than what the kernel writes`
    : '';
  if (bad) {
    return {
      name: 'written',
      passed: false,
      gate: true,
      reason: `seed ${bad.seed}: ${bad.unwritten} element(s) of '${bad.output}' still hold the harness's poison, first ${fmtIndex(bad.output, bad.firstIndex ?? [])}: the candidate never wrote them${note}`,
      details,
    };
  }
  if (acc.written.length === 0) return { name: 'written', passed: true, gate: true, skipped: true, reason: 'no pure outputs to check (inout buffers start from data, not poison)', details };
  return { name: 'written', passed: true, gate: true, reason: `every element of ${new Set(acc.written.map((w) => w.output)).size} output(s) written on every seed${note}`, details };
}

function trivialProbe(acc: OutputAccumulator, inputsAvailable: boolean): Probe {
  const weak: string[] = [];
  for (const [output, s] of acc.trivial) {
    if (s.zeros) weak.push(`an all-zero '${output}'`);
    else if (s.constant) weak.push(`a constant '${output}' (its mean)`);
    for (const [arg, passes] of s.inputs) if (passes) weak.push(arg === output ? `'${output}' left at its initial values` : `'${output}' = input '${arg}'`);
  }
  const details = { checked: [...acc.trivial.keys()], identityChecked: inputsAvailable, weak };
  const identityNote = inputsAvailable ? '' : ' (output = input not checked: the harness does not dump inputs)';
  if (weak.length) {
    return {
      name: 'not-trivial',
      passed: false,
      gate: false,
      reason: `weak spec: ${weak.join(', ')} would also pass the tolerance on every seed; tighten the tolerance or vary the input distribution${identityNote}`,
      details,
    };
  }
  return { name: 'not-trivial', passed: true, gate: false, reason: `no all-zero or constant output passes the tolerance${identityNote}`, details };
}

async function determinismProbe(input: VerifyInput, shapes: ResolvedShapes): Promise<Probe> {
  const second = input.candidateRepeat;
  if (!second) return { name: 'deterministic', passed: true, gate: false, skipped: true, reason: 'not run: no second candidate check with the same seed' };
  const first = input.candidate.find((r) => r.report.seed === second.report.seed);
  if (!first) return { name: 'deterministic', passed: true, gate: false, skipped: true, reason: `not run: no first candidate check with seed ${second.report.seed}` };
  const read = input.readDump ?? fsDumpReader;
  const outputs: Array<{ output: string; differing: number; firstIndex?: number[] }> = [];
  for (const a of first.report.outputs) {
    const b = second.report.outputs.find((o) => o.name === a.name);
    if (!b || !isDtype(a.dtype) || b.dtype !== a.dtype || b.elements !== a.elements) {
      return { name: 'deterministic', passed: false, gate: false, reason: `the repeated check reports output '${a.name}' differently (missing, or another dtype or size)` };
    }
    const d = bitwiseDiff(rawBits(await readChecked(read, first, a, a.dtype, 'candidate'), a.dtype), rawBits(await readChecked(read, second, b, a.dtype, 'repeated candidate'), a.dtype), shapes[a.name]);
    outputs.push({ output: a.name, differing: d.differing, ...(d.first ? { firstIndex: d.first.index } : {}) });
  }
  const bad = outputs.find((o) => o.differing > 0);
  if (bad) {
    return {
      name: 'deterministic',
      passed: false,
      gate: false,
      reason: `two runs with seed ${second.report.seed} differ in ${bad.differing} element(s) of '${bad.output}', first ${fmtIndex(bad.output, bad.firstIndex ?? [])} (float atomics do this legitimately; uninitialized reads do too)`,
      details: { seed: second.report.seed, outputs },
    };
  }
  return { name: 'deterministic', passed: true, gate: false, reason: `bitwise identical across two runs with seed ${second.report.seed}`, details: { seed: second.report.seed, outputs } };
}

export function verdictOf(probes: readonly Probe[]): VerifyVerdict {
  // Sweep points repeat probe names; each failed probe is named once.
  const failed = [...new Set(probes.filter((p) => p.gate && !p.passed).map((p) => p.name))];
  const weakSpec = probes.some((p) => p.name === 'not-trivial' && !p.passed);
  const accepted = failed.length === 0;
  const seeds = probes.find((p) => p.name === 'seeds')?.details?.['seeds'];
  const seedCount = Array.isArray(seeds) ? seeds.length : 0;
  let summary = accepted
    ? `accepted: outputs match the baseline within tolerance on ${seedCount} seeds, every output written, inputs untouched, no aliasing`
    : `rejected: ${failed.join(', ')} failed — ${probes.find((p) => p.name === failed[0])?.reason}`;
  if (weakSpec) summary += `; ${probes.find((p) => p.name === 'not-trivial')?.reason}`;
  const det = probes.find((p) => p.name === 'deterministic');
  if (det && !det.passed) summary += '; the candidate is not bitwise deterministic';
  return { accepted, weakSpec, failed, summary };
}

export async function verify(input: VerifyInput): Promise<VerifyResult> {
  const shapes = resolveShapes(input.spec, input.sizes ?? input.spec.sizes);
  const { probe: seedsProbe, pairs } = checkSeeds(input.baseline, input.candidate, input.minSeeds ?? 3);
  const acc: OutputAccumulator = { match: [], matchProblems: [], written: [], trivial: new Map() };
  await compareOutputs(input, pairs, shapes, acc);
  const probes: Probe[] = [
    seedsProbe,
    matchProbe(acc),
    writtenProbe(acc),
    checkInputs(input.spec, input.baseline, input.candidate),
    checkAliasing(input.spec, input.candidate, shapes),
    trivialProbe(acc, input.readInput !== undefined),
    await determinismProbe(input, shapes),
  ];
  return { probes, verdict: verdictOf(probes) };
}
