import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LaunchConfig } from '../benchspec/model';
import { cliReport, lensText } from '../bench/format';
import { describeFlagRefusal, type Refusal } from '../check/compile-flags';
import { benchKernel, compareCandidate, type DryRunResult, type JobOptions, type JobResult } from '../bench/job';
import { RECORD_FILE } from '../runs/record';
import { compileRequest, type CompileCliFlags } from './compile-options';
import { CliError } from './errors';
import { defaultTarget, positiveInt, progressTo, withCancel, type JobCliOptions } from './job-common';

export interface BenchFlags extends CompileCliFlags {
  kernel?: string;
  spec?: string;
  candidate?: string;
  /** A JSON file, or inline JSON (starts with "{"), holding the candidate's own launch. */
  candidateLaunch?: string;
  dryRun: boolean;
  json: boolean;
  workspace: string;
  arch?: string;
  rounds?: string;
  iters?: string;
  warmup?: string;
  sets?: string;
}

/** Exit codes of `compare`: 0 accepted (faster, slower or no difference: the text says which), 3 rejected. */
export const EXIT_REJECTED = 3;

async function jobOptions(file: string, flags: BenchFlags, options: JobCliOptions, signal: AbortSignal): Promise<JobOptions> {
  // Paths on the command line are relative to where the command runs, not to --workspace.
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
    warmup: positiveInt(flags.warmup, 'warmup'),
    sets: positiveInt(flags.sets, 'sets'),
  };
}

function dryRunText(r: DryRunResult): string {
  const lines = [`${r.kernel}: built (dry run, nothing ran on a GPU)`, `spec: ${r.specSource.kind === 'file' ? r.specSource.path : 'inferred (no spec file)'}`];
  for (const b of r.builds) {
    lines.push(`${b.role}: ${b.binary}${b.cached ? ' (cached build)' : ` (built in ${(b.durationMs / 1000).toFixed(1)} s)`}`);
    if (b.command) lines.push(`  ${b.command}`);
  }
  const refused = (r.builds[0]?.flags.refused ?? []) as Refusal[];
  for (const refusal of refused) lines.push(`⚠ ${describeFlagRefusal(refusal)}`);
  return lines.join('\n');
}

/** The headline numbers, so scripts need not dig into the summary. */
function jsonResult(r: JobResult): Record<string, unknown> {
  const s = r.summary;
  const roof = s.candidate ? s.candidateRoofline : s.baselineRoofline;
  return {
    kind: r.kind,
    kernel: r.kernel,
    gpu: s.gpuName,
    specSource: r.specSource,
    medianMs: s.baseline.median,
    ...(s.candidate ? { candidateMedianMs: s.candidate.median } : {}),
    bytesPerSecond: s.baselineRoofline?.achievedBytesPerSecond,
    fractionOfPeak: s.baselineRoofline?.fractionOfPeak,
    bound: s.baselineRoofline?.bound,
    ...(s.gate
      ? {
          verdict: s.gate.status,
          accepted: s.gate.accepted,
          headline: s.gate.headline,
          speedup: s.gate.speedup,
          speedupCI: s.gate.speedupCI,
          showSpeedup: s.gate.showSpeedup,
          failedProbes: s.gate.failedProbes,
          reasons: s.gate.reasons,
          probes: s.verification?.probes.map((p) => ({ name: p.name, passed: p.passed, gate: p.gate, skipped: p.skipped ?? false, reason: p.reason })),
          candidateBytesPerSecond: roof?.achievedBytesPerSecond,
          candidateFractionOfPeak: roof?.fractionOfPeak,
        }
      : {}),
    ...(r.record.candidateLaunch ? { candidateLaunch: r.record.candidateLaunch } : {}),
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

/** `kernelpilot compare FILE --candidate OTHER [--kernel K] [--spec F] [--json]` → 0 accepted, 3 rejected, 1 error. */
export async function compareCommand(files: string[], flags: BenchFlags, options: JobCliOptions = {}): Promise<{ output: string; exitCode: number }> {
  if (files.length !== 1 || !flags.candidate) throw new CliError('usage: kernelpilot compare FILE --candidate OTHER_FILE [--candidate-launch L] [--kernel K] [--spec F] [--dry-run] [--json] [--workspace DIR]', 2);
  const candidateFile = resolve(flags.candidate);
  const launch = flags.candidateLaunch === undefined ? undefined : await readLaunch(flags.candidateLaunch);
  const result = await withCancel(async (signal) =>
    compareCandidate({ ...(await jobOptions(files[0], flags, options, signal)), candidateFile, candidateLaunch: launch?.launch, candidateLaunchOrigin: launch?.origin }),
  );
  if (result.kind === 'dry-run') return { output: flags.json ? JSON.stringify(result, null, 2) : dryRunText(result), exitCode: 0 };
  const exitCode = result.summary.gate?.accepted ? 0 : EXIT_REJECTED;
  return { output: flags.json ? JSON.stringify({ ...jsonResult(result), candidate: candidateFile }, null, 2) : text(result), exitCode };
}
