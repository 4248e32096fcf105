// `bench` and `compare` on a Python file: a Triton kernel through the Python gate (bench/triton.ts). Same command
// line as for CUDA, less the nvcc options; --python, --device (cpu: Triton's interpreter, checks only) and --seeds
// as for `kernelbench`.
import { join, resolve } from 'node:path';
import { runTritonJob, type TritonCandidate, type TritonDryRun, type TritonJobResult } from '../bench/triton';
import { tritonLens, tritonReport } from '../bench/triton-format';
import { TRITON_RECORD_FILE } from '../runs/triton-record';
import { defaultTarget, deviceFlag, positiveInt, progressTo, withCancel, type JobCliOptions } from './job-common';
import { randomSeeds } from '../bench/seeds';

export interface TritonFlags {
  kernel?: string;
  spec?: string;
  dryRun: boolean;
  json: boolean;
  workspace: string;
  python?: string;
  device?: string;
  seeds?: string;
  pairs?: string;
  iters?: string;
  warmup?: string;
}

function dryText(r: TritonDryRun): string {
  const lines = [`${r.kernel}: launcher generated (dry run, nothing ran)`, '--- task.py (Model: the baseline)', r.generated.task];
  for (const c of r.generated.candidates) lines.push(`--- ModelNew for ${c.file} (launched with ${c.launchOrigin})`, c.source);
  return lines.join('\n');
}

/** Exit 0: ran (bench), or every candidate accepted (compare); 3: a candidate rejected. */
export async function tritonCommand(file: string, candidates: TritonCandidate[], flags: TritonFlags, options: JobCliOptions = {}): Promise<{ output: string; exitCode: number }> {
  const seeds = positiveInt(flags.seeds, 'seeds') ?? 3;
  const target = await defaultTarget(options);
  const result = await withCancel((signal) =>
    runTritonJob({
      file: resolve(file),
      kernel: flags.kernel,
      specPath: flags.spec === undefined ? undefined : resolve(flags.spec),
      workspace: flags.workspace,
      target,
      candidates,
      ...(flags.python ? { python: flags.python } : {}),
      device: deviceFlag(flags.device) ?? 'auto',
      seeds: randomSeeds(seeds),
      pairs: positiveInt(flags.pairs, 'pairs'),
      iters: positiveInt(flags.iters, 'iters'),
      warmup: positiveInt(flags.warmup, 'warmup'),
      dryRun: flags.dryRun,
      signal,
      onProgress: progressTo(options),
    }),
  );
  if (result.kind === 'triton-dry-run') return { output: flags.json ? JSON.stringify(result, null, 2) : dryText(result), exitCode: 0 };
  const exitCode = result.result.candidates.every((c) => c.verdict.accepted) ? 0 : 3;
  return { output: flags.json ? JSON.stringify(jsonOf(result), null, 2) : textOf(result), exitCode };
}

function jsonOf(r: TritonJobResult): Record<string, unknown> {
  return { kind: 'triton', kernel: r.kernel, lens: tritonLens(r), result: r.result, record: join(r.runDir, TRITON_RECORD_FILE), run: r.run };
}

function textOf(r: TritonJobResult): string {
  return `${tritonReport(r)}\n\nrecord: ${join(r.runDir, TRITON_RECORD_FILE)}`;
}
