// Where candidates come from: a model (llm/) or the built-in search (search.ts). The loop asks for one strategy
// per candidate and hands back what went wrong for a bounded repair; proposers keep no state between calls, so a
// run can resume from its record.

import type { BenchSpec, TritonConfig } from '../benchspec/model';
import type { Kernel } from '../kernels/model';
import type { TokenUsage } from './budget';
import type { BaselineFacts, CandidateInput } from './evaluator';
import type { StrategyId } from './strategies';

/** The kernel being optimized, as every proposer sees it. */
export interface OptimizeProblem {
  /** The baseline file's path (names in diffs and prompts). */
  file: string;
  /** The baseline file's text as the run started. */
  source: string;
  kernel: Kernel;
  spec: BenchSpec;
  baseline: BaselineFacts;
  /** A profiler report as a short text block, when one exists. */
  profile?: string;
}

/** What a new candidate is derived from: the baseline or the best verified candidate so far. */
export interface Parent {
  /** 'baseline' or an attempt id. */
  id: string;
  candidate: CandidateInput;
  /** Its verified speedup over the baseline (1 for the baseline). */
  speedup: number;
  /** Its profile as a short text block (the loop profiles each round's parent when a profiler is given). */
  profile?: string;
  /** An autotuned Triton kernel: the config its autotuner picked. */
  autotunePick?: TritonConfig;
}

/** One earlier attempt, as the prompt's history shows it. */
export interface Tried {
  id: string;
  strategy: StrategyId;
  parent: string;
  /** One line: the verdict and its reason or the speedup. */
  result: string;
  /** What the proposer said it changed (the search's variants say it exactly). */
  description?: string;
  /** Its source, when it gave a candidate (the search reads what an earlier attempt already tried). */
  source?: string;
}

export interface ProposalRequest {
  /** The attempt id. */
  id: string;
  problem: OptimizeProblem;
  parent: Parent;
  strategy: StrategyId;
  tried: readonly Tried[];
  /** Keys (candidateKey) of every candidate already made in this run: a search skips them. */
  seen: ReadonlySet<string>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One model call: what was sent and what came back. Never holds a key. */
export interface Exchange {
  messages: ChatMessage[];
  response: string;
  model: string;
  usage: TokenUsage;
  /** The model stopped at the token limit. */
  truncated?: boolean;
}

export type Proposal =
  | { kind: 'candidate'; candidate: CandidateInput; exchange?: Exchange; notes: string[]; description?: string }
  /** An answer that gave no usable candidate; `problem` goes back to the model in a repair. */
  | { kind: 'unusable'; problem: string; exchange?: Exchange }
  /** Nothing more to propose for this strategy and parent (the search ran out of variants). */
  | { kind: 'exhausted'; reason: string };

/** An earlier attempt of the same slot and what went wrong with it, for a repair. */
export interface AttemptFeedback {
  proposal: Proposal;
  feedback: string;
}

export interface Proposer {
  readonly kind: 'llm' | 'search';
  readonly strategies: readonly StrategyId[];
  /** The model whose price applies to this proposer's tokens. */
  readonly model?: string;
  /** Proposals are made one at a time, in slot order (a search whose variants must not collide). */
  readonly sequential?: boolean;
  propose(request: ProposalRequest, signal: AbortSignal): Promise<Proposal>;
  /** Another answer to the same request, given the earlier attempts and their feedback; absent: no repairs. */
  repair?(request: ProposalRequest, earlier: readonly AttemptFeedback[], signal: AbortSignal): Promise<Proposal>;
}
