// `kernelpilot optimize --dry-run`: the parts of a run that need no GPU, and what the rest would do. It resolves the
// kernel and its spec and puts the built-in search's first candidate of each strategy through what the gate does
// before the GPU. A CUDA kernel: the gate runtime and the baseline built (bench --dry-run), each candidate checked as
// kernel code and built in the sandbox with its launch and nvcc options (compare --dry-run). A Triton kernel: the gate
// task generated, each candidate's kernel and launch checked against the spec and its ModelNew generated (the Python
// gate's own dry run; no python is started). Nothing is timed or verified, no run is recorded, and no model is asked
// (that costs money and proves nothing without the gate).

import { join, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { benchKernel, compareCandidates, JobError, type DryRunResult, type JobOptions } from '../bench/job';
import { prepareSpec } from '../bench/job-prepare';
import type { EvaluationOptions } from '../bench/evaluation';
import { kernelLanguageOf } from '../bench/optimize-prepare';
import { runTritonJob, type TritonDryRun, type TritonJobOptions } from '../bench/triton';
import type { BaselineFacts, CandidateInput } from '../optimize/evaluator';
import type { OptimizeProblem } from '../optimize/proposer';
import { candidateKey, type LoopOptions } from '../optimize/record';
import { SearchProposer } from '../optimize/search';
import { STRATEGY_TITLES, type StrategyId } from '../optimize/strategies';
import { KEY_VARIABLES } from '../llm/key';
import { createScratch } from '../targets/scratch';
import type { JobCliOptions } from './job-common';
import type { PrepareRequest } from './optimize';
import { evaluationOptions } from './optimize-gate';

/** Nothing was measured: the search reads the kernel, its spec and the parent's code, never the baseline's figures. */
const NOT_MEASURED: BaselineFacts = { timeMs: Number.NaN, gpu: { name: 'none (dry run)' } };

function builtText(build: DryRunResult['builds'][number]): string {
  return build.cached ? 'cached' : `built in ${(build.durationMs / 1000).toFixed(1)} s`;
}

type Check = (candidate: CandidateInput, strategy: StrategyId, title: string) => Promise<string>;

/** The search's first candidate of each strategy from the baseline, each through `check` (in parallel), a line each. */
async function firstCandidates(search: SearchProposer, problem: OptimizeProblem, signal: AbortSignal, check: Check): Promise<string[]> {
  const seen = new Set([candidateKey({ source: problem.source })]);
  const checks: Array<Promise<string>> = [];
  for (const strategy of search.strategies) {
    const title = STRATEGY_TITLES[strategy];
    const proposal = await search.propose({ id: `dry-${strategy}`, problem, parent: { id: 'baseline', candidate: { source: problem.source }, speedup: 1 }, strategy, tried: [], seen });
    if (proposal.kind !== 'candidate') {
      checks.push(Promise.resolve(`  ${title}: nothing to propose (${proposal.kind === 'exhausted' ? proposal.reason : proposal.problem})`));
      continue;
    }
    seen.add(candidateKey(proposal.candidate));
    const what = `  ${title}: ${proposal.description ?? 'a variant'}`;
    checks.push(
      check(proposal.candidate, strategy, title).then(
        (done) => `${what} — ${done}`,
        (error: unknown) => {
          if (error instanceof JobError && !signal.aborted) return `${what} — ${error.kind === 'candidate' || error.kind === 'spec' ? 'refused' : 'failed'}: ${error.message.split('\n').join(' ')}`;
          throw error;
        },
      ),
    );
  }
  return Promise.all(checks);
}

function gpuRunLine(loop: LoopOptions, each: string): string {
  return (
    `on a GPU, \`kernelpilot optimize\` would check and time the baseline, then run ${loop.rounds} round${loop.rounds === 1 ? '' : 's'} of ${loop.candidatesPerRound} candidate${loop.candidatesPerRound === 1 ? '' : 's'}, ` +
    `${each}, the best verified one seeding the next round; with a key in ${KEY_VARIABLES.join(' or ')} the model proposes too (it is not asked in a dry run).`
  );
}

/** What --dry-run prints for a CUDA kernel. */
async function dryRunCuda(request: PrepareRequest, gate: EvaluationOptions, loop: LoopOptions): Promise<string> {
  const job: JobOptions = { ...gate, dryRun: true };
  const base = (await benchKernel(job)) as DryRunResult;
  const prepared = await prepareSpec({ ...job, onProgress: undefined });
  const problem: OptimizeProblem = { file: prepared.file, source: prepared.text, kernel: prepared.kernel, spec: prepared.spec, baseline: NOT_MEASURED };
  const lines = [
    `dry run: nothing runs on a GPU, so nothing is timed or verified and no run is recorded`,
    `kernel ${base.kernel} in ${prepared.file}; spec ${base.specSource.kind === 'file' ? base.specSource.path : 'inferred (no spec file)'}`,
    `built for ${base.builds[0]?.arch ?? '?'}: ${base.builds.map((b) => `the ${b.role === 'runtime' ? 'gate runtime' : b.role} (${builtText(b)})`).join(', ')}`,
    "the built-in search's first candidate of each strategy, checked as kernel code and built as the gate builds it:",
  ];
  const scratch = await createScratch('dry-optimize');
  try {
    lines.push(
      ...(await firstCandidates(new SearchProposer(), problem, request.signal, async (candidate, strategy, title) => {
        const file = join(scratch.dir, `${strategy}.cu`);
        await writeFile(file, candidate.source);
        const result = await compareCandidates({ ...job, onProgress: undefined, candidates: [{ file, ...(candidate.launch ? { launch: candidate.launch, launchOrigin: `the search's ${title} variant` } : {}), ...(candidate.extraFlags ? { extraFlags: candidate.extraFlags } : {}) }] });
        const build = (result as DryRunResult).builds.find((b) => b.role === 'candidate');
        return `kernel code, ${build ? builtText(build) : 'built'}`;
      })),
    );
  } finally {
    await scratch.remove();
  }
  lines.push('', gpuRunLine(loop, 'each checked on fresh seeds at every spec size and timed in verified pairs against the baseline'));
  return lines.join('\n');
}

/** What --dry-run prints for a Triton kernel: the Python gate's own dry run, which starts no python. */
async function dryRunTriton(request: PrepareRequest, gate: EvaluationOptions, loop: LoopOptions): Promise<string> {
  const options: Omit<TritonJobOptions, 'candidates'> = {
    file: gate.file,
    ...(gate.kernel ? { kernel: gate.kernel } : {}),
    ...(gate.specPath ? { specPath: gate.specPath } : {}),
    workspace: gate.workspace,
    target: gate.target,
    ...(request.triton?.python ? { python: request.triton.python } : {}),
    dryRun: true,
  };
  const base = (await runTritonJob({ ...options, candidates: [] })) as TritonDryRun;
  const prepared = await prepareSpec(options);
  const problem: OptimizeProblem = { file: prepared.file, source: prepared.text, kernel: prepared.kernel, spec: prepared.spec, baseline: NOT_MEASURED };
  const autotune = base.spec.triton?.autotune;
  const lines = [
    `dry run: nothing runs on a GPU, so nothing is timed or verified and no run is recorded`,
    `Triton kernel ${base.kernel} in ${prepared.file}; spec ${prepared.source.kind === 'file' ? prepared.source.path : 'inferred (no spec file)'}; the gate task generated (${base.generated.task.split('\n').length} lines: Model launches your kernel)`,
    ...(autotune ? [`autotuned over ${autotune.configs.length} config(s): the baseline's autotuner picks once per run; the search adds configs next to its pick (here, with no pick, next to each config as listed)`] : []),
    "the built-in search's first candidate of each strategy, its kernel and launch checked against the spec and its ModelNew generated:",
  ];
  const scratch = await createScratch('dry-optimize');
  try {
    lines.push(
      ...(await firstCandidates(new SearchProposer('triton'), problem, request.signal, async (candidate, strategy, title) => {
        const file = join(scratch.dir, `${strategy}.py`);
        await writeFile(file, candidate.source);
        await runTritonJob({ ...options, candidates: [{ file, ...(candidate.launch ? { launch: candidate.launch, launchOrigin: `the search's ${title} variant` } : {}) }] });
        return 'launch checked, ModelNew generated';
      })),
    );
  } finally {
    await scratch.remove();
  }
  lines.push('', gpuRunLine(loop, 'each in a child of one gate process per round: checked on fresh seeds and timed in verified pairs against the baseline (python with torch and triton on the target)'));
  return lines.join('\n');
}

/** What --dry-run prints: each step it ran, then what a run on a GPU would do. */
export async function dryRunOptimization(request: PrepareRequest, loop: LoopOptions, options: JobCliOptions = {}): Promise<string> {
  const gate = await evaluationOptions(request, options);
  const language = await kernelLanguageOf(resolve(gate.workspace, gate.file), gate.kernel);
  if (language === 'triton') return dryRunTriton(request, gate, loop);
  if (language === 'kernelbench') {
    throw new JobError('kernel', `${gate.file} is a KernelBench task: its optimize has no built-in search (the model writes whole ModelNew files), so a dry run has nothing to check; \`kernelpilot optimize ${gate.file} --device cpu\` runs the loop on CPU torch (checks for real, host-clock times that prove no GPU speedup)`);
  }
  return dryRunCuda(request, gate, loop);
}
