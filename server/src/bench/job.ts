// The bench jobs the CLI and the editor run, as thin adapters over the prepared evaluation (evaluation.ts):
// `benchKernel` prepares and keeps the baseline's own record; `compareCandidates` prepares once and gates every
// candidate against it (builds in parallel, GPU work in turns). `--dry-run` builds everything and stops before the
// GPU. Every number shown comes from the run record (rederive), so what is printed is what the record proves.

import { resolve } from 'node:path';
import { detectArch } from '../harness/build';
import { createScratch } from '../targets/scratch';
import type { LaunchConfig } from '../benchspec/model';
import { prepare, type CandidateResult, type EvaluationOptions, type JobResult } from './evaluation';
import { refuseUnrunnableSizes } from './fits';
import { buildFor, buildRuntimeFor, candidateReadable, candidateSpec, JobError, prepareCandidate, prepareSpec, requireCuda, type BuildInfo, type PreparedSpec, type SpecSource } from './job-prepare';

export { JobError } from './job-prepare';
export type { CandidateResult, JobResult } from './evaluation';

export interface JobOptions extends EvaluationOptions {
  dryRun?: boolean;
  /** compare, the earlier knobs: pairs = rounds × iters when `pairs` is not given (defaults 4 × 25). */
  rounds?: number;
}

export interface DryRunResult {
  kind: 'dry-run';
  kernel: string;
  spec: PreparedSpec['spec'];
  specSource: SpecSource;
  builds: BuildInfo[];
  /** Where it was built: the target's name and host. */
  target: { name: string; host: string };
}

export interface CandidateFile {
  /** The drop-in replacement: a file that defines the same kernel with the same signature. */
  file: string;
  /** The candidate's own launch; default the spec's. */
  launch?: LaunchConfig;
  /** Where `launch` came from, for messages (a file path, or "--candidate-launch"). */
  launchOrigin?: string;
  /** More nvcc options for this candidate alone (the optimizer's allow-listed flags), one argv token each. */
  extraFlags?: string[];
}

export interface CompareJobOptions extends JobOptions {
  candidates: CandidateFile[];
}

/** Checks the candidates, builds the runtime, the baseline and the candidates, and stops: nothing runs on a GPU. */
async function dryRun(options: JobOptions, candidates: readonly CandidateFile[]): Promise<DryRunResult> {
  const prepared = requireCuda(await prepareSpec(options));
  // Candidate problems first: cheap, and nothing may compile a candidate that is not kernel code.
  const units = await Promise.all(candidates.map((c) => prepareCandidate(prepared, c.file, options)));
  refuseUnrunnableSizes(prepared, undefined);
  const arch = options.arch ?? (await detectArch(options.target, { signal: options.signal })) ?? 'sm_90';
  // Candidate builds run sandboxed, here too: a scratch folder of their own, the sources' folders readable.
  const scratch = await createScratch('dry');
  try {
    const builds = await Promise.all([
      buildRuntimeFor(arch, options).then((r) => r.info),
      buildFor('baseline', prepared.file, prepared.spec, arch, options),
      ...candidates.map((c, i) => {
        return candidateReadable(options, prepared, resolve(options.workspace, c.file)).then((readable) =>
          buildFor('candidate', c.file, candidateSpec(prepared.spec, c.launch, c.launchOrigin ?? 'given'), arch, { ...options, sandbox: { writable: [scratch.dir], readable, gpu: false }, extraFlags: c.extraFlags ?? [] }, units[i]),
        );
      }),
    ]);
    return { kind: 'dry-run', kernel: prepared.kernel.qualifiedName, spec: prepared.spec, specSource: prepared.source, builds, target: { name: options.target.name, host: options.target.host } };
  } finally {
    await scratch.remove();
  }
}

export async function benchKernel(options: JobOptions): Promise<DryRunResult | JobResult> {
  if (options.dryRun) return dryRun(options, []);
  const evaluation = await prepare(options);
  try {
    return await evaluation.bench();
  } finally {
    await evaluation.close();
  }
}

function pairsOf(options: JobOptions): number | undefined {
  if (options.pairs !== undefined) return options.pairs;
  if (options.rounds === undefined && options.iters === undefined) return undefined;
  return (options.rounds ?? 4) * (options.iters ?? 25);
}

/** Every candidate against one prepared baseline; results in the order given. */
export async function compareCandidates(options: CompareJobOptions): Promise<DryRunResult | CandidateResult[]> {
  if (options.candidates.length === 0) throw new JobError('input', 'no candidate to compare');
  if (options.dryRun) return dryRun(options, options.candidates);
  const pairs = pairsOf(options);
  if (pairs !== undefined && pairs < 2) throw new JobError('input', `at least 2 timed pairs are needed for the significance test, got ${pairs}`);
  // The baseline's own samples while preparing: only its record of a rejected candidate shows them.
  const evaluation = await prepare({ ...options, ...(pairs !== undefined ? { pairs } : {}), iters: options.iters ?? 30 });
  try {
    return await Promise.all(options.candidates.map((c) => evaluation.evaluate(c)));
  } finally {
    await evaluation.close();
  }
}
