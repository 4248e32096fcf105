// The model as a proposer: one conversation per candidate (the proposal, then at most a few repairs carrying the
// compiler's errors or the failed probes), each answer parsed, its launch checked against the spec, and its code
// merged into the parent file. An answer that cannot be used is reported as such, with the reason for the repair.

import { candidateSpec } from '../bench/job-prepare';
import { assembleCandidate } from '../optimize/assemble';
import { assembleTritonCandidate } from '../optimize/assemble-triton';
import type { AttemptFeedback, Exchange, Proposal, ProposalRequest, Proposer } from '../optimize/proposer';
import type { KernelLanguage } from '../kernels/model';
import { SearchProposer } from '../optimize/search';
import { MODEL_STRATEGIES, strategiesFor, type StrategyId } from '../optimize/strategies';
import { parseAnswer, parseKernelBenchAnswer, parseTritonAnswer } from './answer';
import type { ChatClient } from './client';
import { conversation } from './prompt';

export class LlmProposer implements Proposer {
  readonly kind = 'llm';
  readonly strategies: readonly StrategyId[];
  readonly model: string;

  constructor(
    private readonly client: ChatClient,
    strategies: readonly StrategyId[] = MODEL_STRATEGIES,
  ) {
    this.model = client.config.model;
    this.strategies = strategies;
  }

  propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal> {
    return this.ask(request, [], signal);
  }

  repair(request: ProposalRequest, earlier: readonly AttemptFeedback[], signal: AbortSignal): Promise<Proposal> {
    return this.ask(request, earlier, signal);
  }

  private async ask(request: ProposalRequest, earlier: readonly AttemptFeedback[], signal: AbortSignal): Promise<Proposal> {
    const messages = await conversation(request, earlier);
    const answer = await this.client.complete(messages, signal);
    const exchange: Exchange = { messages, response: answer.text, model: answer.model, usage: answer.usage, ...(answer.truncated ? { truncated: true } : {}) };
    const cutOff = answer.truncated ? ' (the answer was cut off at the token limit: answer with less prose)' : '';
    const { problem, parent } = request;
    if (problem.kernel.language === 'kernelbench') {
      // The answer is a whole ModelNew file: nothing to merge into the task, which stays the reference.
      const parsed = parseKernelBenchAnswer(answer.text);
      if (parsed.problem || parsed.code === undefined) return { kind: 'unusable', problem: `${parsed.problem ?? 'no code'}${cutOff}`, exchange };
      return { kind: 'candidate', candidate: { source: `${parsed.code.trimEnd()}\n` }, exchange, notes: [], ...(parsed.prose ? { description: parsed.prose } : {}) };
    }
    const triton = problem.kernel.language === 'triton';
    const parsed = triton ? parseTritonAnswer(answer.text, problem.kernel.name, parent.candidate.launch ?? problem.spec.launch) : parseAnswer(answer.text, problem.kernel.name);
    if (parsed.problem || parsed.code === undefined) return { kind: 'unusable', problem: `${parsed.problem ?? 'no code'}${cutOff}`, exchange };
    const launch = parsed.launch ?? parent.candidate.launch;
    if (parsed.launch) {
      try {
        candidateSpec(problem.spec, parsed.launch, "the answer's JSON launch block");
      } catch (error) {
        return { kind: 'unusable', problem: (error as Error).message, exchange };
      }
    }
    const assembly = await (triton ? assembleTritonCandidate : assembleCandidate)(parent.candidate.source, problem.file, problem.kernel, parsed.code);
    if (!assembly.ok) return { kind: 'unusable', problem: `${assembly.problem}${cutOff}`, exchange };
    const candidate = { source: assembly.source, ...(launch ? { launch } : {}), ...(parent.candidate.extraFlags ? { extraFlags: parent.candidate.extraFlags } : {}) };
    return { kind: 'candidate', candidate, exchange, notes: assembly.notes, ...(parsed.prose ? { description: parsed.prose } : {}) };
  }
}

/**
 * The proposers of a run on a kernel of `language`, each with that language's strategies: the model when there is a
 * client for it, the built-in search when asked for. The command line and the editor both build them here.
 */
export function proposersFor(language: KernelLanguage, options: { client?: ChatClient; search: boolean }): Proposer[] {
  const { model, search } = strategiesFor(language);
  return [...(options.client ? [new LlmProposer(options.client, model)] : []), ...(options.search && search.length ? [new SearchProposer(language)] : [])];
}
