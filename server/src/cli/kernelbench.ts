// `kernelpilot kernelbench TASKS... --solutions DIR`: every task's ModelNew candidates through the Python gate, then
// the report comparable with KernelBench's papers: fast_0, fast_1, fast_2 and the geometric-mean speedup against
// eager PyTorch and against torch.compile (where the target's torch has it; said so where it does not).
import { resolve } from 'node:path';
import { evaluateKernelBench, type ToleranceChoice } from '../bench/kernelbench';
import { candidateRows, deviceOf, REPORT_HEADER, summarize, summaryLines } from '../bench/kernelbench-format';
import { table } from './table';
import { CliError } from './errors';
import { defaultTarget, deviceFlag, positiveInt, progressTo, withCancel, type JobCliOptions } from './job-common';
import { randomSeeds } from '../bench/seeds';

export interface KernelBenchFlags {
  solutions?: string;
  json: boolean;
  python?: string;
  pairs?: string;
  warmup?: string;
  seeds?: string;
  size?: string[];
  device?: string;
  strict: boolean;
  noCompile: boolean;
}

/** `--size batch_size=16`: module-level integers of the tasks, overridden (the shared tasks are GPU-sized). */
export function parseSizes(values: readonly string[] = []): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const text of values) {
    const m = /^([A-Za-z_]\w*)=(\d+)$/.exec(text.trim());
    if (!m || !Number.isSafeInteger(Number(m[2])) || Number(m[2]) < 1) throw new CliError(`--size must be NAME=POSITIVE_INTEGER (a module-level integer of the task, e.g. batch_size=16), got '${text}'`, 2);
    sizes[m[1]] = Number(m[2]);
  }
  return sizes;
}

/** Exit 0: every candidate accepted; 3: some rejected, or a task without a candidate or with an error; 1: an error. */
export async function kernelbenchCommand(tasks: string[], flags: KernelBenchFlags, options: JobCliOptions = {}): Promise<{ output: string; exitCode: number }> {
  if (tasks.length === 0 || !flags.solutions) throw new CliError('usage: kernelpilot kernelbench TASK.py... --solutions DIR [--json]', 2);
  const seedCount = positiveInt(flags.seeds, 'seeds') ?? 5;
  const target = await defaultTarget(options);
  const runs = await withCancel((signal) =>
    evaluateKernelBench(tasks.map((t) => resolve(t)), resolve(flags.solutions as string), {
      target,
      ...(flags.python ? { python: flags.python } : {}),
      seeds: randomSeeds(seedCount),
      pairs: positiveInt(flags.pairs, 'pairs') ?? 30,
      warmup: positiveInt(flags.warmup, 'warmup') ?? 3,
      baselineIters: positiveInt(flags.pairs, 'pairs') ?? 30,
      tolerance: (flags.strict ? 'strict' : 'kernelbench') satisfies ToleranceChoice,
      sizes: parseSizes(flags.size),
      device: deviceFlag(flags.device) ?? 'auto',
      compile: !flags.noCompile,
      timeoutMs: 600_000,
      signal,
      progress: progressTo(options),
    }),
  );
  const results = runs.map((r) => r.result);
  const clean = results.every((r) => !r.error && r.candidates.length > 0 && r.candidates.every((c) => c.verdict.accepted));
  const exitCode = clean ? 0 : 3;
  if (flags.json) {
    const summary = { eager: summarize(results, 'eager'), compiled: summarize(results, 'compiled') };
    return { output: JSON.stringify({ device: deviceOf(runs), tasks: runs, summary }, null, 2), exitCode };
  }
  return { output: [table(REPORT_HEADER, runs.flatMap(candidateRows)), '', ...summaryLines(runs)].join('\n'), exitCode };
}
