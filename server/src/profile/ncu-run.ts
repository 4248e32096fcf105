// Runs Nsight Compute on the target over one launch of the kernel in the gate runtime (the recipe of field.md and
// bench/results/profile-2026-11-29-h200/prof.sh), then exports the raw, details and source pages as CSV. Every
// process goes through the Target with an argv (no shell here; an SSH target quotes every word); the kernel's name
// reaches ncu's `-k regex:` escaped. What ncu cannot do (missing, counters not permitted, nothing profiled) comes
// back as the reason the live figures are absent, with what to do about it.

import { dirname } from 'node:path';
import { gateArgs } from '../harness/run';
import type { SandboxPolicy, Target } from '../targets/target';
import type { NcuExports } from './build-report';
import type { LiveAbsent } from './report';

export const NCU_SECTIONS = ['SpeedOfLight', 'LaunchStats', 'Occupancy', 'SchedulerStats', 'WarpStateStats', 'ComputeWorkloadAnalysis', 'MemoryWorkloadAnalysis', 'MemoryWorkloadAnalysis_Tables', 'SourceCounters'] as const;

export type ClockControl = 'none' | 'base';

export interface NcuRunOptions {
  target: Target;
  /** ncu's path or name on the target. */
  ncu: string;
  /** The gate runtime and the version's shared object, as paths of this machine (put on the target here). */
  runtime: string;
  version: string;
  /** The kernel's plain name (its identifier; ncu's function base name). */
  kernelName: string;
  clockControl: ClockControl;
  /** The runtime's CUPTI search folders (KP_CUPTI_DIRS). */
  cuptiDirs: readonly string[];
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Candidate code runs under it. */
  sandbox?: SandboxPolicy;
  /** Added to the process's environment: which GPU it sees (targets/gpus.ts onlyGpu). */
  env?: Record<string, string>;
}

export type NcuOutcome = { ok: true; exports: NcuExports; ncuVersion?: string; command: string } | { ok: false; absent: LiveAbsent };

export const DEFAULT_NCU_TIMEOUT_MS = 300_000;

/**
 * A regex for ncu's `-k regex:` that matches the function named `name`, with or without its namespaces (ncu's
 * `function` base name leaves out parameters and template arguments). A kernel name is an identifier; escaped
 * regardless.
 */
export function exactNameRegex(name: string): string {
  return `(^|::)${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`;
}

export function ncuMissingMessage(target: string, ncu: string): string {
  return `Nsight Compute ('${ncu}') was not found on target '${target}': install Nsight Compute (it ships with the CUDA toolkit) and put ncu on the PATH, or give its path (--ncu PATH, setting kernelpilot.profile.ncuPath); the static analysis is shown meanwhile`;
}

export function countersNotPermittedMessage(target: string): string {
  return `the GPU driver on target '${target}' does not let this user read the performance counters (ERR_NVGPUCTRPERM): profile as root, or allow all users with the driver option NVreg_RestrictProfilingToAdminUsers=0 (a line 'options nvidia NVreg_RestrictProfilingToAdminUsers=0' in /etc/modprobe.d/, then reboot); see https://developer.nvidia.com/ERR_NVGPUCTRPERM. The static analysis is shown meanwhile`;
}

function tail(text: string, lines = 5): string {
  return text.trim().split(/\r?\n/).slice(-lines).join(' | ');
}

/** ncu's version on the target, or why it cannot run there. */
export async function probeNcu(target: Target, ncu: string, signal?: AbortSignal): Promise<{ version?: string } | LiveAbsent> {
  const run = await target.exec(ncu, ['--version'], { timeoutMs: 60_000, signal });
  if (run.cancelled) return { status: 'absent', reason: 'cancelled', message: 'cancelled before Nsight Compute ran' };
  if (run.notFound || run.exitCode !== 0) return { status: 'absent', reason: 'ncu-missing', message: ncuMissingMessage(target.name, ncu) };
  const version = /Version\s+(\S+)/.exec(run.stdout)?.[1];
  return version ? { version } : {};
}

export async function runNcu(o: NcuRunOptions): Promise<NcuOutcome> {
  const { target } = o;
  const absent = (reason: LiveAbsent['reason'], message: string): NcuOutcome => ({ ok: false, absent: { status: 'absent', reason, message } });
  const probe = await probeNcu(target, o.ncu, o.signal);
  if ('status' in probe) return { ok: false, absent: probe };
  const ncuVersion = probe.version;

  const dirs = [...new Set([o.runtime, o.version].map((f) => dirname(f)))];
  await target.put(dirs, { signal: o.signal });
  const scratch = await target.createScratch('profile', { signal: o.signal });
  try {
    const report = `${scratch.dir}/run`;
    const launch = gateArgs({ mode: 'baseline', baseline: target.targetPath(o.version), seeds: [1], timeSeed: 1, warmup: 0, iters: 1, sets: 1, time: false });
    const args = [
      '--clock-control', o.clockControl,
      '--kernel-name-base', 'function',
      '-k', `regex:${exactNameRegex(o.kernelName)}`,
      '-c', '1',
      ...NCU_SECTIONS.flatMap((s) => ['--section', s]),
      '--import-source', 'yes',
      '-f', '-o', report,
      target.targetPath(o.runtime), ...launch,
    ];
    const run = await target.exec(o.ncu, args, {
      cwd: scratch.dir,
      timeoutMs: o.timeoutMs ?? DEFAULT_NCU_TIMEOUT_MS,
      signal: o.signal,
      env: { ...o.env, KP_CUPTI_DIRS: o.cuptiDirs.join(':'), TMPDIR: scratch.dir },
      ...(o.sandbox ? { sandbox: { ...o.sandbox, writable: [...o.sandbox.writable, scratch.dir] } } : {}),
    });
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.cancelled) return absent('cancelled', 'the profile was cancelled');
    if (/ERR_NVGPUCTRPERM/.test(output)) return absent('counters-not-permitted', countersNotPermittedMessage(target.name));
    if (run.timedOut) return absent('failed', `Nsight Compute did not finish within ${Math.round((o.timeoutMs ?? DEFAULT_NCU_TIMEOUT_MS) / 1000)} s on target '${target.name}'`);
    if (/No kernels were profiled/.test(output)) return absent('failed', `Nsight Compute profiled no launch named '${o.kernelName}' on target '${target.name}' (${tail(output, 3)})`);
    if (run.exitCode !== 0 || run.limit) return absent('failed', `Nsight Compute failed on target '${target.name}' (${run.limit?.message ?? `exit ${run.exitCode}`}): ${tail(output)}`);
    const page = async (...pageArgs: string[]): Promise<string> => {
      const r = await target.exec(o.ncu, ['-i', `${report}.ncu-rep`, ...pageArgs], { cwd: scratch.dir, timeoutMs: 120_000, signal: o.signal });
      if (r.exitCode !== 0) throw new Error(`exporting the ncu report (${pageArgs.join(' ')}) failed on target '${target.name}': ${tail(`${r.stdout}\n${r.stderr}`)}`);
      return r.stdout;
    };
    let exports: NcuExports;
    try {
      exports = {
        raw: await page('--page', 'raw', '--csv', '--print-units', 'base'),
        details: await page('--page', 'details', '--csv'),
        source: await page('--page', 'source', '--csv', '--print-source', 'cuda,sass'),
      };
    } catch (error) {
      return absent(o.signal?.aborted ? 'cancelled' : 'failed', (error as Error).message);
    }
    return { ok: true, exports, ...(ncuVersion ? { ncuVersion } : {}), command: run.command };
  } finally {
    await scratch.remove();
  }
}
