import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LaunchConfig } from '../benchspec/model';
import { cliReport, lensText } from '../bench/format';
import { describeFlagRefusal, type Refusal } from '../check/compile-flags';
import { benchKernel, compareCandidates, type CandidateFile, type CandidateResult, type DryRunResult, type JobOptions, type JobResult } from '../bench/job';
import type { TimingChoice } from '../harness/run';
import { RECORD_FILE } from '../runs/record';
import { compileRequest, type CompileCliFlags } from './compile-options';
import { CliError } from './errors';
import { tritonCommand, type TritonFlags } from './triton';
import { defaultTarget, positiveInt, progressTo, withCancel, type JobCliOptions } from './job-common';

export interface BenchFlags extends CompileCliFlags, Pick<TritonFlags, 'python' | 'device' | 'seeds'> {
  kernel?: string;
  spec?: string;
  /** compare: each candidate file with, optionally, its own launch (a JSON file, or inline JSON starting with "{"). */
  candidates?: Array<{ file: string; launch?: string }>;
  dryRun: boolean;
  json: boolean;
  workspace: string;
  arch?: string;
  rounds?: string;
  iters?: string;
  pairs?: string;
  warmup?: string;
  sets?: string;
  timing?: string;
}

/** Exit codes of `compare`: 0 accepted (faster, slower or no difference: the text says which), 3 rejected. */
export const EXIT_REJECTED = 3;

function timingOf(value: string | undefined): TimingChoice | undefined {
  if (value === undefined || value === 'cupti' || value === 'events') return value;
  throw new CliError(`--timing must be 'cupti' or 'events', got '${value}'`, 2);
}

async function jobOptions(file: string, flags: BenchFlags, options: JobCliOptions, signal: AbortSignal): Promise<JobOptions> {
  // Paths on the command line are relative to where the command runs, not to --workspace.
  const timing = timingOf(flags.timing);
  return {
    file: resolve(file),
    kernel: flags.kernel,
    specPath: flags.spec === undefined ? undefined : resolve(flags.spec),
    workspace: flags.workspace,
    target: await defaultTarget(options),
    dryRun: flags.dryRun,
    signal,
    onProgress: progressTo(options),
    arch: flags.arch,
    compile: compileRequest(flags, flags.workspace),
    ceilingsPath: options.ceilingsPath,
    buildCacheDir: options.buildCacheDir,
    rounds: positiveInt(flags.rounds, 'rounds'),
    iters: positiveInt(flags.iters, 'iters'),
    pairs: positiveInt(flags.pairs, 'pairs'),
    warmup: positiveInt(flags.warmup, 'warmup'),
    sets: positiveInt(flags.sets, 'sets'),
    ...(timing ? { timing } : {}),
  };
}

function dryRunText(r: DryRunResult): string {
  const on = r.target.name === 'local' ? '' : ` on target '${r.target.name}'`;
  const lines = [`${r.kernel}: built${on} (dry run, nothing ran on a GPU)`, `spec: ${r.specSource.kind === 'file' ? r.specSource.path : 'inferred (no spec file)'}`];
  for (const b of r.builds) {
    lines.push(`${b.role}: ${b.binary}${b.cached ? ' (cached build)' : ` (built in ${(b.durationMs / 1000).toFixed(1)} s)`}`);
    if (b.command) lines.push(`  ${b.command}`);
  }
  const refused = (r.builds[0]?.flags.refused ?? []) as Refusal[];
  for (const refusal of refused) lines.push(`⚠ ${describeFlagRefusal(refusal)}`);
  return lines.join('\n');
}

/**
 * The headline numbers, so scripts need not dig into the summary. Figures that were not measured are absent: a
 * rejected candidate has no time, speedup, interval or bandwidth of its own.
 */
function jsonResult(r: JobResult): Record<string, unknown> {
  const s = r.summary;
  const candidate = 'candidate' in r ? (r as CandidateResult) : undefined;
  return {
    kind: r.kind,
    kernel: r.kernel,
    gpu: s.gpuName,
    specSource: r.specSource,
    ...(s.method ? { timingMethod: s.method } : {}),
    medianMs: s.baseline.median,
    ...(s.baselineLaunch ? { launchOverheadMs: s.baselineLaunch.median } : {}),
    ...(s.baselineWall ? { wallMs: s.baselineWall.median } : {}),
    bytesPerSecond: s.baselineRoofline?.achievedBytesPerSecond,
    fractionOfPeak: s.baselineRoofline?.fractionOfPeak,
    bound: s.baselineRoofline?.bound,
    ...(s.candidate ? { candidateMedianMs: s.candidate.median } : {}),
    ...(s.candidateLaunch ? { candidateLaunchOverheadMs: s.candidateLaunch.median } : {}),
    ...(s.candidateWall ? { candidateWallMs: s.candidateWall.median } : {}),
    ...(s.candidateRoofline ? { candidateBytesPerSecond: s.candidateRoofline.achievedBytesPerSecond, candidateFractionOfPeak: s.candidateRoofline.fractionOfPeak } : {}),
    ...(s.gate
      ? {
          verdict: s.gate.status,
          accepted: s.gate.accepted,
          headline: s.gate.headline,
          ...(s.gate.speedup !== undefined ? { speedup: s.gate.speedup } : {}),
          ...(s.gate.speedupCI ? { speedupCI: s.gate.speedupCI } : {}),
          showSpeedup: s.gate.showSpeedup,
          failedProbes: s.gate.failedProbes,
          reasons: s.gate.reasons,
          probes: s.verification?.probes.map((p) => ({ name: p.name, passed: p.passed, gate: p.gate, skipped: p.skipped ?? false, reason: p.reason })),
        }
      : {}),
    ...(s.trust ? { trust: s.trust } : {}),
    ...(r.record.candidateLaunch ? { candidateLaunch: r.record.candidateLaunch } : {}),
    ...(candidate ? { candidate: candidate.candidate, seconds: candidate.seconds } : {}),
    lens: lensText(s),
    warnings: r.warnings,
    runDir: r.runDir,
    record: join(r.runDir, RECORD_FILE),
    builds: r.builds,
    samples: { baseline: s.baseline.n, ...(s.candidate ? { candidate: s.candidate.n } : {}) },
    summary: s,
  };
}

function text(r: JobResult): string {
  const lines = [lensText(r.summary), '', cliReport(r.summary)];
  const launch = r.record.candidateLaunch;
  if (launch) lines.push(`candidate launch: <<<${launch.grid.join(', ')} | ${launch.block.join(', ')}${launch.sharedMem ? ` | ${launch.sharedMem}` : ''}>>> (its own; the baseline uses the spec's)`);
  if (r.specSource.kind === 'inferred') lines.push('', 'spec: inferred (no spec file): check its assumptions with `kernelpilot spec`');
  for (const w of r.warnings) lines.push(`⚠ ${w}`);
  lines.push('', `record: ${join(r.runDir, RECORD_FILE)}`);
  return lines.join('\n');
}

/** `kernelpilot bench FILE [--kernel K] [--spec F] [--dry-run] [--json]` → exit 0, or 1 with a one-line error. */
export async function benchCommand(files: string[], flags: BenchFlags, options: JobCliOptions = {}): Promise<{ output: string; exitCode: number }> {
  if (files.length !== 1) throw new CliError('usage: kernelpilot bench FILE [--kernel K] [--spec F] [--dry-run] [--json] [--workspace DIR]', 2);
  if (files[0].endsWith('.py')) return tritonCommand(files[0], [], flags, options);
  const result = await withCancel(async (signal) => benchKernel(await jobOptions(files[0], flags, options, signal)));
  if (result.kind === 'dry-run') return { output: flags.json ? JSON.stringify(result, null, 2) : dryRunText(result), exitCode: 0 };
  return { output: flags.json ? JSON.stringify(jsonResult(result), null, 2) : text(result), exitCode: 0 };
}

/** --candidate-launch: inline JSON or a file of it; its content is checked against the spec by the job. */
async function readLaunch(value: string): Promise<{ launch: LaunchConfig; origin: string }> {
  const inline = value.trimStart().startsWith('{');
  const origin = inline ? '--candidate-launch' : resolve(value);
  let text = value;
  if (!inline) {
    try {
      text = await readFile(origin, 'utf8');
    } catch (error) {
      throw new CliError(`--candidate-launch ${value}: cannot read (${(error as Error).message})`, 2);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--candidate-launch ${inline ? '' : `${value} `}is not JSON (${(error as Error).message}); expected {"grid": [...], "block": [...], "sharedMem"?: "..."}`, 2);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`--candidate-launch ${value}: expected a JSON object {"grid": [...], "block": [...]}`, 2);
  return { launch: parsed as LaunchConfig, origin };
}

/** `kernelpilot compare FILE --candidate A [--candidate-launch L] [--candidate B ...]` → 0 all accepted, 3 any rejected, 1 error. */
export async function compareCommand(files: string[], flags: BenchFlags, options: JobCliOptions = {}): Promise<{ output: string; exitCode: number }> {
  if (files.length !== 1 || !flags.candidates?.length) {
    throw new CliError('usage: kernelpilot compare FILE --candidate OTHER_FILE [--candidate-launch L] [--candidate ANOTHER ...] [--kernel K] [--spec F] [--dry-run] [--json] [--workspace DIR]', 2);
  }
  const candidates: CandidateFile[] = [];
  for (const c of flags.candidates) {
    const launch = c.launch === undefined ? undefined : await readLaunch(c.launch);
    candidates.push({ file: resolve(c.file), ...(launch ? { launch: launch.launch, launchOrigin: launch.origin } : {}) });
  }
  if (files[0].endsWith('.py')) return tritonCommand(files[0], candidates, flags, options);
  const result = await withCancel(async (signal) => compareCandidates({ ...(await jobOptions(files[0], flags, options, signal)), candidates }));
  if (!Array.isArray(result)) return { output: flags.json ? JSON.stringify(result, null, 2) : dryRunText(result), exitCode: 0 };
  const exitCode = result.every((r) => r.summary.gate?.accepted) ? 0 : EXIT_REJECTED;
  if (flags.json) {
    const json = result.map(jsonResult);
    return { output: JSON.stringify(json.length === 1 ? json[0] : json, null, 2), exitCode };
  }
  const texts = result.map((r) => (result.length > 1 ? `== ${r.candidate}\n${text(r)}` : text(r)));
  return { output: texts.join('\n\n'), exitCode };
}
