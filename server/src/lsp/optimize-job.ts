// One optimize job of the editor: the loop's options from the settings, the proposers of the kernel's language (the
// model when the client handed a key for this job, the built-in search where the language has one; none: refused before
// any work), the gate for that language prepared on the server's target through the same dispatch the CLI uses (bench/optimize-prepare.ts), the run record, and the
// loop. The key goes into the model client and nowhere else. Cancel (the signal) stops model requests, compiles and
// GPU runs: the loop, the model client and the gate each take it, and the gate's processes die with it (targets/).

import { kernelLanguageOf, prepareOptimizationFor } from '../bench/optimize-prepare';
import type { Kernel } from '../kernels/model';
import { ChatClient, ENDPOINT_DEFAULTS } from '../llm/client';
import { proposersFor } from '../llm/proposer';
import { runLoop, type LoopEvent, type LoopResult } from '../optimize/loop';
import type { LoopOptions, ProposerInfo, RunHeader } from '../optimize/record';
import { sha256Text } from '../runs/hash';
import { createOptimizeRun } from '../runs/optimize-store';
import type { Settings } from '../settings';
import type { Target } from '../targets/target';

type OptimizeSettings = Settings['optimize'];

export interface JobRequest {
  file: string;
  kernel: string;
  workspace: string;
  target: Target;
  /** The effective settings (rounds, candidates, temperature, time limit) and the user's own (endpoint, model, money). */
  settings: OptimizeSettings;
  user: OptimizeSettings;
  /** The key for this job, if the client hands one. */
  key: string | undefined;
  /** The python of the Python gate on the target (the user's kernelpilot.python); undefined: python3 there. */
  python: string | undefined;
  signal: AbortSignal;
  onProgress: (line: string) => void;
  onEvent: (event: LoopEvent) => void;
  /** The run record exists: the run's header, the baseline as the gate read it and its kernel there. */
  onStarted: (started: { dir: string; header: RunHeader; source: string; kernel: Kernel }) => void;
}

function setting(name: keyof OptimizeSettings, value: number, ok: boolean, what: string): number {
  if (!ok || !Number.isFinite(value)) throw new Error(`KernelPilot: the setting kernelpilot.optimize.${name} must be ${what}, got ${value}.`);
  return value;
}

/** The loop's options from the settings; a value out of range is an error naming the setting. */
export function loopOptionsOf(settings: OptimizeSettings, user: OptimizeSettings): LoopOptions {
  const whole = (name: 'rounds' | 'candidates') => setting(name, settings[name], Number.isInteger(settings[name]) && settings[name] >= 1, 'a whole number of at least 1');
  setting('temperature', settings.temperature, settings.temperature >= 0 && settings.temperature <= 2, 'between 0 and 2');
  const minutes = setting('timeLimitMinutes', settings.timeLimitMinutes, settings.timeLimitMinutes >= 0, '0 (no limit) or a number of minutes');
  const budget = setting('budgetUsd', user.budgetUsd, user.budgetUsd >= 0, '0 (no limit) or a number of US dollars');
  const priced = user.priceInputPerMillion > 0 && user.priceOutputPerMillion > 0;
  if (budget > 0 && !priced) throw new Error(`KernelPilot: kernelpilot.optimize.budgetUsd needs the model's prices: set kernelpilot.optimize.priceInputPerMillion and priceOutputPerMillion (USD per million tokens), or set the budget to 0.`);
  return {
    rounds: whole('rounds'),
    candidatesPerRound: whole('candidates'),
    seed: 1,
    maxRepairs: 2,
    rooflineTarget: 0.9,
    ...(minutes > 0 ? { timeLimitMs: minutes * 60_000 } : {}),
    ...(budget > 0 ? { budgetUsd: budget } : {}),
    ...(priced ? { prices: { [user.model]: { inputPerMillion: user.priceInputPerMillion, outputPerMillion: user.priceOutputPerMillion } } } : {}),
  };
}

/** The model's client when the client handed a key for this job, and what the record says of each proposer. */
function modelOf(request: JobRequest): { client?: ChatClient; infos: ProposerInfo[] } {
  const { user, settings, key } = request;
  const search: ProposerInfo = { kind: 'search' };
  if (!key) return { infos: [search] };
  const endpoint = { ...ENDPOINT_DEFAULTS, baseUrl: user.baseUrl, model: user.model, temperature: settings.temperature };
  const client = new ChatClient(endpoint, key, (n) => request.onProgress(`model endpoint: ${n.reason}, retry ${n.attempt} in ${(n.waitMs / 1000).toFixed(1)} s`));
  return { client, infos: [{ kind: 'llm', model: user.model, baseUrl: user.baseUrl, temperature: settings.temperature }, search] };
}

/** Runs the job to its stop; the record is written as it goes. Throws on a gate that cannot be prepared or a broken loop. */
export async function runOptimizeJob(request: JobRequest): Promise<{ dir: string; result: LoopResult }> {
  const options = loopOptionsOf(request.settings, request.user);
  const { client, infos } = modelOf(request);
  // Before any work: a language without a built-in search (a KernelBench task: no kernel of its own to tune) has no
  // proposer without a model, so it is refused here rather than after timing its baseline.
  const language = await kernelLanguageOf(request.file, request.kernel);
  const proposers = proposersFor(language, { ...(client ? { client } : {}), search: true });
  if (!proposers.length) throw new Error(`KernelPilot: a KernelBench task has no built-in search (no kernel of its own to tune): its ModelNew candidates come from a model, and no API key is set for ${request.user.baseUrl}. Set one with "KernelPilot: Set API Key", then optimize again.`);
  const prepared = await prepareOptimizationFor({ file: request.file, kernel: request.kernel, workspace: request.workspace, target: request.target, signal: request.signal, onProgress: request.onProgress, ...(request.python ? { triton: { python: request.python } } : {}) });
  try {
    const { problem, evaluator } = prepared;
    const { header, store } = await createOptimizeRun(request.workspace, { file: request.file, baselineSha256: sha256Text(problem.source), kernel: problem.kernel.qualifiedName, spec: problem.spec, baseline: problem.baseline, options, proposers: infos });
    request.onStarted({ dir: store.dir, header, source: problem.source, kernel: problem.kernel });
    const result = await runLoop({ problem, proposers, evaluator, ...(prepared.profiler ? { profiler: prepared.profiler } : {}), sink: store, options, signal: request.signal, onEvent: request.onEvent });
    return { dir: store.dir, result };
  } finally {
    await prepared.close();
  }
}
