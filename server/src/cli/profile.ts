// `kernelpilot profile FILE --kernel K [--spec S] [--static] [--json] [--target T]`: the kernel's profile report
// (bench/profile-job.ts). Exit 0 with a report, also when live figures are absent (the report says why); 1 when
// there is no report at all (no such kernel, the file does not build).
import { resolve } from 'node:path';
import { profileKernel } from '../bench/profile-job';
import { formatReportText } from '../profile/format';
import type { ClockControl } from '../profile/ncu-run';
import { compileRequest, type CompileCliFlags } from './compile-options';
import { CliError } from './errors';
import { defaultTarget, progressTo, withCancel, type JobCliOptions } from './job-common';
import { commandUsage } from './usage';

export interface ProfileFlags extends CompileCliFlags {
  kernel?: string;
  spec?: string;
  static: boolean;
  json: boolean;
  workspace: string;
  arch?: string;
  /** ncu's --clock-control: none (default) or base. */
  clockControl?: string;
  ncu?: string;
}

function clockControlOf(value: string | undefined): ClockControl | undefined {
  if (value === undefined || value === 'none' || value === 'base') return value;
  throw new CliError(`--clock-control must be 'none' or 'base', got '${value}'`, 2);
}

export async function profileCommand(files: string[], flags: ProfileFlags, options: JobCliOptions = {}): Promise<{ output: string; exitCode: number }> {
  if (files.length !== 1) throw new CliError(commandUsage('profile'), 2);
  const clockControl = clockControlOf(flags.clockControl);
  const report = await withCancel(async (signal) =>
    profileKernel({
      file: resolve(files[0]),
      ...(flags.kernel ? { kernel: flags.kernel } : {}),
      ...(flags.spec ? { specPath: resolve(flags.spec) } : {}),
      workspace: flags.workspace,
      target: await defaultTarget(options),
      signal,
      onProgress: progressTo(options),
      ...(flags.arch ? { arch: flags.arch } : {}),
      compile: compileRequest(flags, flags.workspace),
      ...(options.buildCacheDir ? { buildCacheDir: options.buildCacheDir } : {}),
      static: flags.static,
      ...(clockControl ? { clockControl } : {}),
      ...(flags.ncu ? { ncu: flags.ncu } : {}),
    }),
  );
  return { output: flags.json ? JSON.stringify(report, null, 2) : formatReportText(report), exitCode: 0 };
}
