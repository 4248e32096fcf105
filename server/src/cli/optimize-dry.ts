// `kernelpilot optimize --dry-run`: the parts of a run that need no GPU, and what the rest would do. It resolves the
// kernel and its spec, builds the gate runtime and the baseline (bench --dry-run), and puts the built-in search's
// first candidate of each strategy through what the gate does before the GPU: the candidate check (kernel code
// only) and the sandboxed build with the candidate's launch and nvcc options (compare --dry-run). Nothing is timed
// or verified, no run is recorded, and no model is asked (that costs money and proves nothing without the gate).

import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { benchKernel, compareCandidates, JobError, type DryRunResult, type JobOptions } from '../bench/job';
import { prepareSpec } from '../bench/job-prepare';
import type { BaselineFacts } from '../optimize/evaluator';
import type { OptimizeProblem } from '../optimize/proposer';
import { candidateKey, type LoopOptions } from '../optimize/record';
import { SearchProposer } from '../optimize/search';
import { STRATEGY_TITLES } from '../optimize/strategies';
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

/** What --dry-run prints: each step it ran, then what a run on a GPU would do. */
export async function dryRunOptimization(request: PrepareRequest, loop: LoopOptions, options: JobCliOptions = {}): Promise<string> {
  const job: JobOptions = { ...(await evaluationOptions(request, options)), dryRun: true };
  const base = (await benchKernel(job)) as DryRunResult;
  const prepared = await prepareSpec({ ...job, onProgress: undefined });
  const problem: OptimizeProblem = { file: prepared.file, source: prepared.text, kernel: prepared.kernel, spec: prepared.spec, baseline: NOT_MEASURED };
  const lines = [
    `dry run: nothing runs on a GPU, so nothing is timed or verified and no run is recorded`,
    `kernel ${base.kernel} in ${prepared.file}; spec ${base.specSource.kind === 'file' ? base.specSource.path : 'inferred (no spec file)'}`,
    `built for ${base.builds[0]?.arch ?? '?'}: ${base.builds.map((b) => `the ${b.role === 'runtime' ? 'gate runtime' : b.role} (${builtText(b)})`).join(', ')}`,
    "the built-in search's first candidate of each strategy, checked as kernel code and built as the gate builds it:",
  ];

  const search = new SearchProposer();
  const seen = new Set([candidateKey({ source: problem.source })]);
  const scratch = await createScratch('dry-optimize');
  try {
    const checks: Array<Promise<string>> = [];
    for (const strategy of search.strategies) {
      const title = STRATEGY_TITLES[strategy];
      const proposal = await search.propose({ id: `dry-${strategy}`, problem, parent: { id: 'baseline', candidate: { source: problem.source }, speedup: 1 }, strategy, tried: [], seen });
      if (proposal.kind !== 'candidate') {
        checks.push(Promise.resolve(`  ${title}: nothing to propose (${proposal.kind === 'exhausted' ? proposal.reason : proposal.problem})`));
        continue;
      }
      const { candidate } = proposal;
      seen.add(candidateKey(candidate));
      const file = join(scratch.dir, `${strategy}.cu`);
      await writeFile(file, candidate.source);
      const what = `  ${title}: ${proposal.description ?? 'a variant'}`;
      checks.push(
        compareCandidates({ ...job, onProgress: undefined, candidates: [{ file, ...(candidate.launch ? { launch: candidate.launch, launchOrigin: `the search's ${title} variant` } : {}), ...(candidate.extraFlags ? { extraFlags: candidate.extraFlags } : {}) }] }).then(
          (result) => {
            const build = (result as DryRunResult).builds.find((b) => b.role === 'candidate');
            return `${what} — kernel code, ${build ? builtText(build) : 'built'}`;
          },
          (error: unknown) => {
            if (error instanceof JobError && !request.signal.aborted) return `${what} — ${error.kind === 'candidate' ? 'refused' : 'failed'}: ${error.message.split('\n').join(' ')}`;
            throw error;
          },
        ),
      );
    }
    lines.push(...(await Promise.all(checks)));
  } finally {
    await scratch.remove();
  }
  lines.push(
    '',
    `on a GPU, \`kernelpilot optimize\` would check and time the baseline, then run ${loop.rounds} round${loop.rounds === 1 ? '' : 's'} of ${loop.candidatesPerRound} candidate${loop.candidatesPerRound === 1 ? '' : 's'}, ` +
      'each checked on fresh seeds at every spec size and timed in verified pairs against the baseline, the best verified one seeding the next round; ' +
      `with a key in ${KEY_VARIABLES.join(' or ')} the model proposes too (it is not asked in a dry run).`,
  );
  return lines.join('\n');
}
