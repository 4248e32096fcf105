// An optimize run as the editor shows it: the protocol's view of a run (panel, quick pick, review titles) built from
// its records, and the lens and progress texts. Figures come from the attempts' gate outcomes only; how many seeds and
// probes a verified candidate passed is read once from its gate record (in the background, never on a request).

import { rooflineBytes, rooflineFlops } from '../derive/shapes';
import type { KernelLanguage } from '../kernels/model';
import { launchText } from '../optimize/apply';
import { bestOf, inAttemptOrder } from '../optimize/loop';
import { resultLine } from '../optimize/feedback';
import type { AttemptRecord, RecordedRun } from '../optimize/record';
import { STRATEGY_TITLES } from '../optimize/strategies';
import { readRunRecord, rederive } from '../runs/record';
import type { CandidateVerdict, CandidateView, OptimizeRunView } from '../protocol/optimize';

export interface GateFacts {
  seeds?: number;
  probes?: number;
}

/** Seeds and passed gate probes of an accepted attempt, from its gate record; nothing when it has none or it cannot be read. */
export async function gateFactsOf(attempt: AttemptRecord): Promise<GateFacts> {
  const outcome = attempt.outcome;
  if (outcome?.verdict !== 'accepted' || !outcome.evidence || attempt.duplicateOf) return {};
  try {
    const probes = rederive(await readRunRecord(outcome.evidence)).verification?.probes ?? [];
    const seeds = probes.find((p) => p.name === 'seeds')?.details?.['seeds'];
    const passed = new Set(probes.filter((p) => p.gate && p.passed && !p.skipped).map((p) => p.name));
    return { ...(Array.isArray(seeds) ? { seeds: seeds.length } : {}), probes: passed.size };
  } catch {
    return {};
  }
}

function verdictOf(attempt: AttemptRecord): CandidateVerdict {
  const outcome = attempt.outcome;
  if (!attempt.candidate || !outcome) return 'no candidate';
  return outcome.verdict === 'accepted' ? outcome.timing.status : 'rejected';
}

const ORDER: Record<CandidateVerdict, number> = { faster: 0, 'no-significant-difference': 1, slower: 2, rejected: 3, 'no candidate': 4 };

/** Every attempt as a table row, best first. `reviewable`: its code differs from the baseline's kernel. */
export function candidateViews(attempts: readonly AttemptRecord[], facts: ReadonlyMap<string, GateFacts>, reviewable: (id: string) => boolean, language: KernelLanguage = 'cuda'): CandidateView[] {
  const rows = [...attempts].sort(inAttemptOrder).map((a): CandidateView => {
    const outcome = a.outcome;
    const usage = a.exchange?.usage;
    const id = a.duplicateOf ?? a.id;
    const row: CandidateView = {
      id: a.id,
      round: a.round,
      strategy: STRATEGY_TITLES[a.strategy] ?? a.strategy,
      proposer: a.proposer,
      verdict: verdictOf(a),
      tokens: usage ? usage.inputTokens + usage.outputTokens : 0,
      reviewable: reviewable(a.id),
      ...(a.costUsd !== undefined ? { costUsd: a.costUsd } : {}),
      ...(a.duplicateOf ? { duplicateOf: a.duplicateOf } : {}),
      ...(a.description ? { description: a.description } : {}),
      ...(a.candidate?.launch ? { launch: launchText(a.candidate.launch, language) } : {}),
      ...(a.candidate?.extraFlags?.length ? { extraFlags: a.candidate.extraFlags } : {}),
      ...facts.get(id),
    };
    if (outcome?.verdict === 'accepted') {
      Object.assign(row, { timeMs: outcome.timing.candidateMs, speedup: outcome.timing.speedup, ci: outcome.timing.ci });
      if (outcome.fractionOfRoofline !== undefined) row.fractionOfRoofline = outcome.fractionOfRoofline;
    } else if (outcome) {
      row.failedProbe = outcome.failedProbes[0]?.name ?? outcome.stage;
      row.reason = outcome.failedProbes[0]?.reason ?? outcome.reasons[0];
    } else {
      row.reason = resultLine(a);
    }
    return row;
  });
  // A stable sort over attempts in the order they were made: equal rows stay earliest first.
  return rows.sort((x, y) => ORDER[x.verdict] - ORDER[y.verdict] || (y.speedup ?? 0) - (x.speedup ?? 0));
}

/** Who proposed the candidates, in words. */
export function proposersText(run: Pick<RecordedRun, 'header'>, keyless: boolean): string {
  const parts = run.header.proposers.map((p) => (p.kind === 'llm' ? `model ${p.model ?? '?'} at ${p.baseUrl ?? '?'}` : 'the built-in search'));
  return keyless ? `${parts.join(' + ')} (no API key set)` : parts.join(' + ');
}

export interface ViewInput {
  uri: string;
  run: RecordedRun;
  dir: string;
  status: OptimizeRunView['status'];
  statusText: string;
  keyless: boolean;
  facts: ReadonlyMap<string, GateFacts>;
  reviewable: (id: string) => boolean;
  sourceChanged: boolean;
  kernelChanged: boolean;
  /** The kernel's: a Triton candidate's launch is told by its meta-parameters. */
  language: KernelLanguage;
}

export function runView(input: ViewInput): OptimizeRunView {
  const { run } = input;
  const { header, attempts } = run;
  const best = bestOf(attempts);
  const rounds: OptimizeRunView['rounds'] = [];
  let bestSoFar: number | undefined;
  for (const round of [...new Set(attempts.map((a) => a.round))].sort((a, b) => a - b)) {
    const roundBest = bestOf(attempts.filter((a) => a.round === round))?.speedup;
    if (roundBest !== undefined && (bestSoFar === undefined || roundBest > bestSoFar)) bestSoFar = roundBest;
    rounds.push({ round, ...(bestSoFar !== undefined ? { best: bestSoFar } : {}), ...(roundBest !== undefined ? { roundBest } : {}) });
  }
  const tokens = attempts.reduce((sum, a) => sum + (a.exchange ? a.exchange.usage.inputTokens + a.exchange.usage.outputTokens : 0), 0);
  const costs = attempts.filter((a) => a.exchange).map((a) => a.costUsd);
  const flops = rooflineFlops(header.spec);
  return {
    uri: input.uri,
    kernel: header.kernel,
    runId: header.id,
    runDir: input.dir,
    status: input.status,
    statusText: input.statusText,
    message: best ? `${best.speedup.toFixed(2)}× faster, verified (${best.id}, ${STRATEGY_TITLES[best.record.strategy]})` : attempts.length ? 'nothing faster found so far' : 'no candidate yet',
    proposers: proposersText(run, input.keyless),
    gpu: header.baseline.gpu.name,
    sourceChanged: input.sourceChanged,
    kernelChanged: input.kernelChanged,
    roundsPlanned: header.options.rounds,
    rounds,
    baseline: { timeMs: header.baseline.timeMs, ...(header.baseline.fractionOfRoofline !== undefined ? { fractionOfRoofline: header.baseline.fractionOfRoofline } : {}), ...(header.baseline.bound ? { bound: header.baseline.bound } : {}) },
    roofline: {
      bytes: rooflineBytes(header.spec),
      ...(flops !== undefined ? { flops } : {}),
      ...(header.baseline.gpu.copyBytesPerSecond ? { copyBytesPerSecond: header.baseline.gpu.copyBytesPerSecond } : {}),
      ...(header.baseline.gpu.fp32FlopsPerSecond ? { fp32FlopsPerSecond: header.baseline.gpu.fp32FlopsPerSecond } : {}),
    },
    candidates: candidateViews(attempts, input.facts, input.reviewable, input.language),
    ...(best ? { bestId: best.id } : {}),
    spend: { tokens, ...(costs.length && costs.every((c) => c !== undefined) ? { costUsd: costs.reduce((a, b) => (a ?? 0) + (b ?? 0), 0) } : {}) },
  };
}

/** `1.84× faster · 3 seeds · 12 probes · NVIDIA H100`: a verified candidate as the review's title names it. */
export function candidateTitle(row: CandidateView, gpu: string): string {
  const gain = row.verdict === 'faster' ? `${row.speedup?.toFixed(2)}× faster` : row.verdict === 'rejected' ? `rejected (${row.failedProbe})` : `${row.speedup?.toFixed(2)}×, ${row.verdict.replace(/-/g, ' ')}`;
  return [gain, row.seeds !== undefined ? `${row.seeds} seeds` : undefined, row.probes !== undefined ? `${row.probes} probes` : undefined, gpu].filter(Boolean).join(' · ');
}
