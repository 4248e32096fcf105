// Shared by the optimize-*.test.ts and llm-*.test.ts files: the vector_add example as an optimize problem, a fake
// evaluator that decides by what a candidate's source contains (the stand-in for the gate), a sink that keeps
// records in memory, and a scripted proposer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { discover } from '../../server/src/kernels/discover';
import type { AcceptedOutcome, BaselineFacts, CandidateEvaluator, CandidateOutcome, EvaluationRequest, RejectedOutcome } from '../../server/src/optimize/evaluator';
import type { AttemptFeedback, OptimizeProblem, Proposal, ProposalRequest, Proposer } from '../../server/src/optimize/proposer';
import type { AttemptRecord, RunEvent, RunSink } from '../../server/src/optimize/record';
import type { StrategyId } from '../../server/src/optimize/strategies';
import { EXAMPLES } from './harness-helpers';

export const VECTOR_ADD = join(EXAMPLES, 'vector_add', 'vector_add.cu');

export const FAKE_BASELINE: BaselineFacts = { timeMs: 0.25, fractionOfRoofline: 0.6, bound: 'memory', gpu: { name: 'Fake H200', computeCapability: '9.0', copyBytesPerSecond: 4.0e12, fp32FlopsPerSecond: 6.0e13 } };

export async function vectorAddProblem(file = VECTOR_ADD): Promise<OptimizeProblem> {
  const source = readFileSync(file, 'utf8');
  const { kernels } = await discover(file, source);
  const spec = JSON.parse(readFileSync(join(EXAMPLES, 'vector_add', 'vector_add.spec.json'), 'utf8')) as BenchSpec;
  return { file, source, kernel: kernels[0], spec, baseline: FAKE_BASELINE };
}

export function accepted(speedup: number, fractionOfRoofline?: number): AcceptedOutcome {
  const status = speedup > 1.02 ? 'faster' : speedup < 0.98 ? 'slower' : 'no-significant-difference';
  return { verdict: 'accepted', timing: { status, baselineMs: 0.25, candidateMs: 0.25 / speedup, speedup, ci: { low: speedup * 0.98, high: speedup * 1.02, confidence: 0.95 }, pValue: 0.001 }, ...(fractionOfRoofline !== undefined ? { fractionOfRoofline } : {}), warnings: [] };
}

export function rejected(stage: RejectedOutcome['stage'], probe?: string, reason = 'wrong'): RejectedOutcome {
  return {
    verdict: 'rejected',
    stage,
    reasons: [reason],
    failedProbes: probe ? [{ name: probe, reason }] : [],
    diagnostics: stage === 'compile' ? [{ file: 'candidate.cu', line: 4, column: 2, severity: 'error', message: reason, source: 'nvcc' }] : [],
  };
}

/** The stand-in gate: the first rule whose text the candidate's source (or launch/flags JSON) contains decides. */
export class FakeEvaluator implements CandidateEvaluator {
  readonly calls: EvaluationRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    readonly rules: Array<[string, CandidateOutcome]>,
    readonly fallback: CandidateOutcome = accepted(1.0),
    readonly baseline: BaselineFacts = FAKE_BASELINE,
    private readonly delayMs = 0,
  ) {}

  async evaluate(request: EvaluationRequest, signal: AbortSignal): Promise<CandidateOutcome> {
    this.calls.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs) await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, this.delayMs);
        signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
      });
      signal.throwIfAborted();
      const text = `${request.source}\n${JSON.stringify(request.launch ?? null)}\n${(request.extraFlags ?? []).join(' ')}`;
      const rule = this.rules.find(([needle]) => text.includes(needle));
      if (rule) return rule[1];
      // `SPEED=1.5` in a candidate: correct and that much faster than the baseline (the newest marker counts).
      const speed = [...request.source.matchAll(/SPEED=([\d.]+)(?:@([\d.]+))?/g)].at(-1);
      return speed ? accepted(Number(speed[1]), speed[2] ? Number(speed[2]) : undefined) : this.fallback;
    } finally {
      this.inFlight--;
    }
  }
}

export class MemorySink implements RunSink {
  readonly attempts: AttemptRecord[] = [];
  readonly events: RunEvent[] = [];
  async attempt(record: AttemptRecord): Promise<void> {
    this.attempts.push(JSON.parse(JSON.stringify(record)) as AttemptRecord);
  }
  async event(event: RunEvent): Promise<void> {
    this.events.push(event);
  }
}

/** The vector_add kernel with `marker` as a comment in its body: a distinct candidate the fake gate recognises. */
export function vectorAddWith(marker: string, source = readFileSync(VECTOR_ADD, 'utf8')): string {
  return source.replace('int i = blockIdx.x', `// ${marker}\n  int i = blockIdx.x`);
}

/** Answers by strategy with a marker per call, without a model: `markers(strategy, n)` names the n-th candidate. */
export class ScriptedProposer implements Proposer {
  readonly kind = 'llm';
  readonly model = 'scripted';
  readonly requests: ProposalRequest[] = [];
  /** The feedback each repair was given, newest last. */
  readonly feedback: string[] = [];
  constructor(
    readonly strategies: readonly StrategyId[],
    private readonly markers: (request: ProposalRequest, attempt: number) => string | undefined,
    readonly tokensPerCall = 1000,
  ) {}

  async propose(request: ProposalRequest): Promise<Proposal> {
    return this.answer(request, 0);
  }

  async repair(request: ProposalRequest, earlier: readonly AttemptFeedback[]): Promise<Proposal> {
    this.feedback.push(earlier.at(-1)?.feedback ?? '');
    return this.answer(request, earlier.length);
  }

  private answer(request: ProposalRequest, attempt: number): Proposal {
    this.requests.push(request);
    const marker = this.markers(request, attempt);
    const exchange = { messages: [{ role: 'user' as const, content: `${request.id} ${request.strategy}` }], response: marker ?? 'no idea', model: 'scripted', usage: { inputTokens: this.tokensPerCall / 2, outputTokens: this.tokensPerCall / 2 } };
    if (!marker) return { kind: 'unusable', problem: 'no code block', exchange };
    return { kind: 'candidate', candidate: { source: vectorAddWith(marker, request.parent.candidate.source) }, exchange, notes: [] };
  }
}
