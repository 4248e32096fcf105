import { resolve } from 'node:path';
import { notCheckableReason } from '../check/checkable';
import { resolveCompileFlags } from '../check/compile-flags';
import { formatLens } from '../check/format';
import { matchResources } from '../check/match';
import { runStaticCheck } from '../check/run';
import type { CheckResult } from '../check/types';
import { defaultArch, listGpus } from '../targets/gpus';
import { compileRequest, type CompileCliFlags } from './compile-options';
import { CliError } from './errors';
import { defaultTarget } from './job-common';
import { commandUsage } from './usage';
import { kernelsOf, readSource } from './kernels';
import { table } from './table';

interface CheckFlags extends CompileCliFlags {
  json: boolean;
  arch?: string;
  /** compile_commands.json is looked for only inside it; default the current folder. */
  workspace?: string;
  /** --target NAME|URL: nvcc and the GPU's arch of that machine (a Slurm target's login node). */
  targetName?: string;
}

function describeErrors(result: CheckResult): string {
  const lines = result.diagnostics.map((d) => `${d.file}:${d.line + 1}${d.column !== undefined ? ':' + (d.column + 1) : ''}: ${d.severity}: ${d.message}`);
  if (result.error) lines.push(`error: ${result.error.message}${result.error.hint ? `\n  ${result.error.hint}` : ''}`);
  return lines.join('\n');
}

/** `kernelpilot check FILE [--arch sm_90] [--target T] [--json]`: exit 0 when it compiled, 1 on compile errors or no nvcc. */
export async function checkCommand(files: string[], flags: CheckFlags): Promise<{ output: string; exitCode: number }> {
  if (files.length !== 1) throw new CliError(commandUsage('check'), 2);
  const file = resolve(files[0]);
  // Refused before nvcc: a Python or binary file would come back as thousands of compiler errors.
  const refusal = notCheckableReason(file, await readSource(file));
  if (refusal) throw new CliError(refusal);
  const { kernels } = await kernelsOf(file);
  const chosen = await defaultTarget(flags.targetName === undefined ? {} : { targetName: flags.targetName });
  const target = chosen.compileTarget ?? chosen;
  const arch = flags.arch ?? defaultArch(await listGpus(target));
  const compile = await resolveCompileFlags({ ...compileRequest(flags, flags.workspace ?? process.cwd()), file });
  const result = await runStaticCheck(target, { file, arch, flags: compile });
  const byKernel = matchResources(kernels, result.resources);
  const exitCode = result.ok && !result.error ? 0 : 1;
  if (flags.json) {
    const perKernel = kernels.map((k) => ({ kernel: k.qualifiedName, line: k.nameRange.start.line + 1, resources: byKernel.get(k.id) ?? [] }));
    return { output: JSON.stringify({ ...result, kernels: perKernel }, null, 2), exitCode };
  }
  if (exitCode !== 0) return { output: describeErrors(result) || `nvcc failed: ${result.command}`, exitCode };
  const rows = result.resources.map((r) => [r.demangled === r.mangledName ? r.name : r.demangled.replace(/^void /, ''), String(r.registers), String(r.spillStoreBytes + r.spillLoadBytes), String(r.sharedMemBytes), String(r.stackFrameBytes), String(r.barriers)]);
  const summary = kernels.filter((k) => k.language === 'cuda').map((k) => `${k.qualifiedName}: ${formatLens(result.arch, byKernel.get(k.id) ?? [], k)}`);
  const warnings = result.diagnostics.length ? '\n\n' + describeErrors(result) : '';
  return {
    output: `${file} · ${result.arch} · nvcc ${result.nvccVersion ?? '?'} · ${Math.round(result.durationMs)} ms\n\n${table(['kernel', 'registers', 'spill bytes', 'smem bytes', 'stack bytes', 'barriers'], rows)}\n\n${summary.join('\n')}${warnings}`,
    exitCode,
  };
}
