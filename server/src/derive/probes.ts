// Correctness probes, derived from what the gate runtime recorded: per-check comparison counts made on the GPU,
// input digests, the repeat of a check, every timed pair's verification, and the baseline's own checks. Pure: the
// job calls it after a run and runs/record.ts again on a stored record, so every probe re-derives.
//
// Each gate probe answers one cheating pattern from the field notes; the verdict accepts the candidate only when
// every gate probe passes. The runtime stops at the first problem (cheapest checks first), so probes it never
// reached are marked skipped, not failed. Two probes are advisory: `not-trivial` judges the SPEC (would a
// do-nothing kernel pass it?) and `deterministic` reports bitwise reproducibility, which float atomics lack.

import type { BenchSpec } from '../benchspec/model';
import { ELEMENT_BYTES, toleranceFor } from '../benchspec/defaults';
import type { BaselineCheckEvent, CheckEvent, LoadedEvent, OutputComparison, RepeatEvent, StateEvent, TimingEvent } from '../harness/protocol';
import { quoteList, sig } from './num';
import { median } from './stats';
import { elementCount, resolveShapes, unravelIndex, type ResolvedShapes } from './shapes';

export type ProbeName = 'structure' | 'builds' | 'runs' | 'timed' | 'seeds' | 'match' | 'written' | 'inputs-unchanged' | 'no-aliasing' | 'not-trivial' | 'deterministic';

export interface Probe {
  name: ProbeName;
  passed: boolean;
  /** Gate probes decide acceptance; advisory ones are reported only. */
  gate: boolean;
  /** The probe could not run (e.g. an earlier one failed first); `passed` is then true and means nothing. */
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

// ---------------------------------------------------------------- what a run records

/** A candidate run that ended in a fault, a hang or a crash (bench/runs-probe.ts reads it off the error). */
export interface CrashEvidence {
  kind: 'report' | 'timeout' | 'no-report' | 'sandbox-limit';
  stage?: string;
  cudaError?: string;
  message: string;
}

/** Everything the gate runtime said about one candidate. */
export interface CandidateEvidence {
  /** The candidate is not kernel code that can replace the baseline's kernel (candidates/check.ts): why. Nothing ran. */
  refused?: string;
  /** The candidate did not compile: the compiler's first errors. Nothing else was run. */
  buildErrors?: string[];
  /** What was asked: the check seeds, the sweep points, and the default sizes (with any override). */
  plan: { seeds: number[]; sweep: Array<Record<string, number>>; sizes: Record<string, number> };
  /** In run order: one per seed at the default sizes, then one per sweep point (seed plan.seeds[0]). */
  checks: CheckEvent[];
  repeat?: RepeatEvent;
  timing?: TimingEvent;
  state: StateEvent[];
  variables?: LoadedEvent['variables'];
  crash?: CrashEvidence;
}

/** The baseline alone, at the check seeds and sweep points (prepare). */
export interface BaselineEvidence {
  checks: BaselineCheckEvent[];
}

// ---------------------------------------------------------------- helpers

function sizesText(point: Record<string, number>): string {
  return Object.entries(point).map(([k, v]) => `${k}=${v}`).join(', ');
}

function at(shapes: ResolvedShapes, name: string, flat: number): string {
  return `${name}[${unravelIndex(flat, shapes[name]).join(', ')}]`;
}

/** |c − b|, exactly for 64-bit integers (the runtime sends those as decimal strings: a double would round them). */
function absDiff(b: number | string, c: number | string): number {
  if (typeof b === 'string' && typeof c === 'string' && /^-?\d+$/.test(b) && /^-?\d+$/.test(c)) {
    const d = BigInt(c) - BigInt(b);
    return Number(d < 0n ? -d : d);
  }
  return Math.abs(Number(c) - Number(b));
}

function valueText(v: number | string): string {
  return typeof v === 'number' ? String(v) : v;
}

/** Why the first failing element fails, in the words the dump-based probes used. */
function firstFailure(spec: BenchSpec, shapes: ResolvedShapes, o: OutputComparison): string {
  if (o.mismatch) return `'${o.name}': ${o.mismatch}`;
  const first = o.first;
  if (!first) return `${o.failures} of ${o.elements} elements of '${o.name}' fail`;
  const where = at(shapes, o.name, first.index);
  const b = Number(first.baseline);
  const c = Number(first.candidate);
  let what: string;
  if (!Number.isFinite(b)) what = `the baseline's ${where} is ${valueText(first.baseline)} (the spec's inputs may be outside the kernel's domain)`;
  else if (!Number.isFinite(c)) what = `${where} is ${valueText(first.candidate)} (baseline ${valueText(first.baseline)})`;
  else {
    const dtype = spec.args.find((a) => a.name === o.name)?.dtype;
    const tol = dtype ? toleranceFor(spec, dtype) : { atol: 0, rtol: 0 };
    what = `${where} = ${valueText(first.candidate)}, baseline ${valueText(first.baseline)} (|Δ| ${sig(absDiff(first.baseline, first.candidate))} > allowed ${sig(tol.atol + tol.rtol * Math.abs(b))})`;
  }
  return `${what}; ${o.failures} of ${o.elements} elements fail`;
}

function changedInputs(check: CheckEvent): string[] {
  return check.inputs.filter((i) => i.before !== i.after).map((i) => i.name);
}

/** The spec's inputs without a digest on both sides in this check: a change to them cannot be ruled out. */
function undigestedInputs(names: readonly string[], check: CheckEvent): string[] {
  return names.filter((name) => {
    const digest = check.inputs.find((i) => i.name === name);
    return !digest?.before || !digest.after;
  });
}

interface CheckProbes {
  match: Probe;
  written: Probe;
  inputs: Probe;
}

/** match, written and inputs-unchanged over a group of checks at one size point. */
function checkProbes(spec: BenchSpec, checks: readonly CheckEvent[]): CheckProbes {
  const outputs = checks.flatMap((c) => c.outputs.map((o) => ({ seed: c.seed, sizes: c.sizes, ...o })));
  const maxAbsErr = Math.max(0, ...outputs.map((o) => o.maxAbsErr ?? 0));
  const maxRelErr = Math.max(0, ...outputs.map((o) => o.maxRelErr ?? 0));
  const matchDetails = { outputs: outputs.map((o) => ({ seed: o.seed, output: o.name, elements: o.elements, failures: o.failures, maxAbsErr: o.maxAbsErr, maxRelErr: o.maxRelErr, ...(o.first ? { first: o.first } : {}) })), maxAbsErr, maxRelErr };
  const failing = outputs.find((o) => o.failures > 0);
  let match: Probe;
  if (outputs.length === 0) match = { name: 'match', passed: false, gate: true, reason: 'no outputs were compared', details: matchDetails };
  else if (failing) match = { name: 'match', passed: false, gate: true, reason: `seed ${failing.seed}: ${firstFailure(spec, resolveShapes(spec, failing.sizes), failing)}`, details: matchDetails };
  else match = { name: 'match', passed: true, gate: true, reason: `${outputs.length} output comparisons within tolerance (max |Δ| ${sig(maxAbsErr)}, max rel ${sig(maxRelErr)})`, details: matchDetails };

  const pure = outputs.filter((o) => o.unwritten !== undefined);
  const writtenDetails = { outputs: pure.map((o) => ({ seed: o.seed, output: o.name, unwritten: o.unwritten, baselineUnwritten: o.baselineUnwritten, ...(o.firstUnwritten !== undefined ? { firstUnwritten: o.firstUnwritten } : {}) })) };
  const gaps = pure.filter((o) => (o.baselineUnwritten ?? 0) > 0);
  const note = gaps.length ? `; note: the baseline itself leaves ${gaps[0].baselineUnwritten} element(s) of '${gaps[0].name}' unwritten, so the spec's shape may be larger than what the kernel writes` : '';
  const bad = pure.find((o) => (o.unwritten ?? 0) > 0);
  let written: Probe;
  if (bad) {
    const first = bad.firstUnwritten !== undefined ? `, first ${at(resolveShapes(spec, bad.sizes), bad.name, bad.firstUnwritten)}` : '';
    written = { name: 'written', passed: false, gate: true, reason: `seed ${bad.seed}: ${bad.unwritten} element(s) of '${bad.name}' still hold the harness's poison${first}: the candidate never wrote them${note}`, details: writtenDetails };
  } else if (pure.length === 0) {
    written = { name: 'written', passed: true, gate: true, skipped: true, reason: 'no pure outputs to check (inout buffers start from data, not poison)', details: writtenDetails };
  } else {
    written = { name: 'written', passed: true, gate: true, reason: `every element of ${new Set(pure.map((o) => o.name)).size} output(s) written on every seed${note}`, details: writtenDetails };
  }

  const names = spec.args.filter((a) => a.role === 'input').map((a) => a.name);
  // `missing` only where there is one, so records made before it was checked re-derive unchanged.
  const perSeed = checks.map((c) => {
    const missing = undigestedInputs(names, c);
    return { seed: c.seed, changed: changedInputs(c), ...(missing.length ? { missing } : {}) };
  });
  const changed = perSeed.find((s) => s.changed.length);
  const undigested = perSeed.find((s) => s.missing);
  const details = { inputs: names, candidate: perSeed };
  let inputs: Probe;
  if (changed) inputs = { name: 'inputs-unchanged', passed: false, gate: true, reason: `seed ${changed.seed}: the candidate changed input(s) ${quoteList(changed.changed)} (digest after ≠ before)`, details };
  else if (undigested) inputs = { name: 'inputs-unchanged', passed: false, gate: true, reason: `seed ${undigested.seed}: no digest of input(s) ${quoteList(undigested.missing ?? [])} before and after the candidate ran, so a change cannot be ruled out`, details };
  else inputs = { name: 'inputs-unchanged', passed: true, gate: true, reason: `${names.length} input(s) unchanged on ${checks.length} candidate check(s)`, details };
  return { match, written, inputs };
}

/** No buffer may overlap another (the runtime allocates each one; this re-checks the addresses it reported). */
function aliasingProbe(spec: BenchSpec, checks: readonly CheckEvent[]): Probe {
  const overlaps: Array<{ seed: number; a: string; b: string }> = [];
  for (const check of checks) {
    const shapes = resolveShapes(spec, check.sizes);
    const ranges = spec.args
      .filter((a) => a.role !== 'scalar')
      .map((a) => {
        const text = check.pointers[a.name];
        const start = text && /^0x[0-9a-f]+$/i.test(text) ? BigInt(text) : undefined;
        const shape = shapes[a.name];
        const bytes = BigInt(Math.max(1, (shape ? elementCount(shape) : 1) * ELEMENT_BYTES[a.dtype]));
        return { name: a.name, role: a.role, start, end: start === undefined ? undefined : start + bytes };
      });
    const missing = ranges.find((r) => r.start === undefined);
    if (missing) return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${check.seed}: no address reported for buffer '${missing.name}', so aliasing cannot be ruled out` };
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i];
        const b = ranges[j];
        if (a.role === 'input' && b.role === 'input') continue; // reading one buffer twice is harmless
        if ((a.start as bigint) < (b.end as bigint) && (b.start as bigint) < (a.end as bigint)) overlaps.push({ seed: check.seed, a: a.name, b: b.name });
      }
    }
  }
  if (overlaps.length) {
    const o = overlaps[0];
    return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${o.seed}: buffers '${o.a}' and '${o.b}' overlap in device memory (an output aliasing an input can fake a result)`, details: { overlaps } };
  }
  return { name: 'no-aliasing', passed: true, gate: true, reason: `no output overlaps another buffer on ${checks.length} candidate check(s)`, details: { overlaps } };
}

/** Allowed excess of the candidate's median tail over the reference's: sync wake-up jitter, not work. */
const TAIL_SLACK_MS = 0.02;
const TAIL_SLACK_FRACTION = 0.1;

/**
 * The Python gate's events time the current stream; a candidate that leaves work running elsewhere when its call
 * returns keeps the GPU busy after the end event. Its median tail beyond the reference's, past a slack, is that work.
 */
function untimedTail(timing: TimingEvent): string | undefined {
  const candidate = timing.candidate;
  // Each call's tail is recorded with its time (add_sample), so a series with tails has times too.
  if (!candidate?.tailMs?.length || !timing.baseline.tailMs?.length) return undefined;
  const excess = median(candidate.tailMs) - median(timing.baseline.tailMs);
  const kernel = median(candidate.kernelMs);
  if (excess <= TAIL_SLACK_MS + TAIL_SLACK_FRACTION * kernel) return undefined;
  return `the GPU stayed busy a median ${excess.toPrecision(3)} ms longer than for the reference after each timed call's end event (timed: ${kernel.toPrecision(3)} ms): work left running outside the timed stream is not measured`;
}

function timedProbe(spec: BenchSpec, timing: TimingEvent): Probe {
  const v = timing.verification;
  const pairs = timing.pairs ?? 0;
  const warmups = Math.max(0, (timing.verifiedLaunches ?? pairs) - pairs);
  const details = { pairs, verifiedLaunches: timing.verifiedLaunches, seed: timing.seed, ...(timing.stoppedAt ? { stoppedAt: timing.stoppedAt } : {}) };
  const stop = timing.stoppedAt;
  if (stop) {
    const which = stop.warmup ? `warm-up launch (seed ${stop.seed})` : `timed pair ${stop.pair} (seed ${stop.seed})`;
    const shapes = resolveShapes(spec, timing.sizes);
    const bad = stop.outputs.find((o) => o.failures > 0);
    const unwritten = stop.outputs.find((o) => (o.unwritten ?? 0) > 0);
    const parts: string[] = [];
    if (bad) parts.push(firstFailure(spec, shapes, bad));
    if (unwritten) parts.push(`${unwritten.unwritten} element(s) of '${unwritten.name}' unwritten (still poison)`);
    if (stop.inputsChanged) parts.push(`${stop.inputsChanged} input(s) changed`);
    return { name: 'timed', passed: false, gate: true, reason: `in ${which}: ${parts.join('; ')}`, details };
  }
  if (timing.unaccountedActivities !== undefined && timing.unaccountedActivities > 0) {
    return { name: 'timed', passed: false, gate: true, reason: `${timing.unaccountedActivities} GPU activities ran outside the timed windows that the gate did not issue: work was done where it is not measured`, details };
  }
  const tail = untimedTail(timing);
  if (tail) return { name: 'timed', passed: false, gate: true, reason: tail, details };
  // Fail closed: a timed pair the runtime reported no verification for is an unchecked launch, not a match.
  const verified = v ? Math.min(v.inputsChanged.length, ...v.outputs.flatMap((o) => [o.failures.length, o.unwritten.length])) : 0;
  if (!v || v.outputs.length === 0 || verified < pairs) {
    return { name: 'timed', passed: false, gate: true, reason: `the runtime reported the verification of ${verified} of ${pairs} timed pairs: a launch that was not checked is not a result`, details };
  }
  const badPair = v.inputsChanged.findIndex((c, i) => c > 0 || v.outputs.some((o) => o.failures[i] > 0 || o.unwritten[i] > 0));
  if (badPair >= 0) return { name: 'timed', passed: false, gate: true, reason: `timed pair ${badPair} did not match the reference`, details };
  const warm = warmups > 0 ? ` (and ${warmups} warm-up launch${warmups > 1 ? 'es' : ''})` : '';
  return { name: 'timed', passed: true, gate: true, reason: `all ${pairs} timed launches${warm} matched the reference computed for the same fresh inputs, every output written, inputs untouched`, details };
}

function trivialProbe(baseline: BaselineEvidence | undefined): Probe | undefined {
  if (!baseline || baseline.checks.length === 0) return undefined;
  // A trivial output is a problem only when it passes on EVERY check.
  const names = [...new Set(baseline.checks.flatMap((c) => c.outputs.map((o) => o.name)))];
  const weak: string[] = [];
  for (const name of names) {
    const per = baseline.checks.map((c) => c.outputs.find((o) => o.name === name)).filter((o) => o !== undefined);
    if (per.every((o) => o.zerosFailures === 0)) weak.push(`an all-zero '${name}'`);
    else if (per.every((o) => o.meanFailures === 0)) weak.push(`a constant '${name}' (its mean)`);
    const inputs = [...new Set(per.flatMap((o) => o.inputs.map((i) => i.name)))];
    for (const input of inputs) {
      if (per.every((o) => o.inputs.find((i) => i.name === input)?.failures === 0)) weak.push(input === name ? `'${name}' left at its initial values` : `'${name}' = input '${input}'`);
    }
  }
  const details = { checked: names, identityChecked: true, weak };
  if (weak.length) {
    return { name: 'not-trivial', passed: false, gate: false, reason: `weak spec: ${weak.join(', ')} would also pass the tolerance on every seed; tighten the tolerance or vary the input distribution`, details };
  }
  return { name: 'not-trivial', passed: true, gate: false, reason: 'no all-zero or constant output passes the tolerance', details };
}

function determinismProbe(repeat: RepeatEvent | undefined): Probe {
  if (!repeat) return { name: 'deterministic', passed: true, gate: false, skipped: true, reason: 'not run: no repeat of a check' };
  const details = { seed: repeat.seed, outputs: repeat.outputs };
  const bad = repeat.outputs.find((o) => o.differing > 0);
  if (bad) {
    return {
      name: 'deterministic',
      passed: false,
      gate: false,
      reason: `two runs with seed ${repeat.seed} differ in ${bad.differing} element(s) of '${bad.name}', first at flat index ${bad.firstIndex} (float atomics do this legitimately; uninitialized reads do too)`,
      details,
    };
  }
  return { name: 'deterministic', passed: true, gate: false, reason: `bitwise identical across two runs with seed ${repeat.seed}`, details };
}

const skipped = (name: ProbeName, gate: boolean, why: string): Probe => ({ name, passed: true, gate, skipped: true, reason: `not run: ${why}` });

/** The probes of one evaluation, in the order the gate ran them. */
export function probesOf(spec: BenchSpec, candidate: CandidateEvidence, baseline?: BaselineEvidence): Probe[] {
  if (candidate.refused) {
    return [{ name: 'structure', passed: false, gate: true, reason: candidate.refused }];
  }
  if (candidate.buildErrors) {
    return [{ name: 'builds', passed: false, gate: true, reason: `the candidate does not compile: ${candidate.buildErrors[0] ?? 'nvcc failed'}`, details: { errors: candidate.buildErrors } }];
  }
  const { plan } = candidate;
  const defaults = candidate.checks.slice(0, plan.seeds.length);
  const sweeps = candidate.checks.slice(plan.seeds.length);
  const probes: Probe[] = [];
  const crash = candidate.crash;
  const pairs = candidate.timing?.pairs ?? 0;
  probes.push(
    crash
      ? { name: 'runs', passed: false, gate: true, reason: `the candidate failed: ${crash.message}`, details: { kind: crash.kind, ...(crash.stage ? { stage: crash.stage } : {}), ...(crash.cudaError ? { cudaError: crash.cudaError } : {}) } }
      : { name: 'runs', passed: true, gate: true, reason: `ran without a fault or hang in ${candidate.checks.length} check(s)${pairs ? ` and ${pairs} timed pairs` : ''}` },
  );
  const seeds = [...new Set(defaults.map((c) => c.seed))];
  const stoppedEarly = defaults.length < plan.seeds.length;
  if (plan.seeds.length < 3) probes.push({ name: 'seeds', passed: false, gate: true, reason: `only ${plan.seeds.length} check seed(s) planned; at least 3 are required`, details: { seeds, minSeeds: 3 } });
  else if (stoppedEarly) probes.push({ ...skipped('seeds', true, `the checks stopped after ${defaults.length} of ${plan.seeds.length} seeds`), details: { seeds, minSeeds: 3 } });
  else probes.push({ name: 'seeds', passed: true, gate: true, reason: `${seeds.length} distinct seeds compared (${seeds.join(', ')})`, details: { seeds, minSeeds: 3 } });
  if (defaults.length === 0) {
    for (const name of ['match', 'written', 'inputs-unchanged', 'no-aliasing'] as const) probes.push(skipped(name, true, 'no check completed'));
  } else {
    const p = checkProbes(spec, defaults);
    probes.push(p.match, p.written, p.inputs, aliasingProbe(spec, defaults));
  }
  sweeps.forEach((check, i) => {
    const where = sizesText(plan.sweep[i] ?? check.sizes);
    const p = checkProbes(spec, [check]);
    for (const probe of [p.match, p.written, p.inputs]) {
      if (!probe.passed) probes.push({ ...probe, reason: `at ${where}: ${probe.reason}`, details: { ...probe.details, sizes: check.sizes } });
    }
  });
  if (candidate.timing) probes.push(timedProbe(spec, candidate.timing));
  const trivial = trivialProbe(baseline);
  if (trivial) probes.push(trivial);
  probes.push(determinismProbe(candidate.repeat));
  return probes;
}
