// The optimize run record as data: a header written when the run starts, one record per attempt, and round and
// stop events. The loop produces these and hands them to a sink (runs/optimize-store.ts writes them under
// `.kernelpilot/runs/<id>/`); a resumed run and `report` read them back. No API key is ever part of them: the
// proposers' descriptions carry the endpoint and model only.

import { createTwoFilesPatch } from 'diff';
import { basename } from 'node:path';
import type { BenchSpec } from '../benchspec/model';
import { sha256Text } from '../runs/hash';
import type { Prices, Spend } from './budget';
import type { BaselineFacts, CandidateInput, CandidateOutcome } from './evaluator';
import type { Exchange } from './proposer';
import type { StrategyId } from './strategies';

export interface LoopOptions {
  rounds: number;
  candidatesPerRound: number;
  seed: number;
  /** Repairs after a first attempt that did not compile, failed probes or could not be used. */
  maxRepairs: number;
  timeLimitMs?: number;
  maxTokens?: number;
  budgetUsd?: number;
  prices?: Prices;
  /** Stop once the best candidate reaches this fraction of the roofline (0..1). */
  rooflineTarget?: number;
  /** Stop after this many rounds without a new best. */
  patience?: number;
}

/** How a proposer was set up, as the record shows it (never the key). */
export interface ProposerInfo {
  kind: 'llm' | 'search';
  model?: string;
  baseUrl?: string;
  temperature?: number;
  maxTokens?: number;
}

export interface RunHeader {
  version: 1;
  kind: 'optimize';
  id: string;
  createdAt: string;
  /** The baseline file (absolute path) and its content hash when the run started. */
  file: string;
  baselineSha256: string;
  kernel: string;
  spec: BenchSpec;
  baseline: BaselineFacts;
  options: LoopOptions;
  proposers: ProposerInfo[];
}

export interface RecordedCandidate extends CandidateInput {
  /** candidateKey: equal keys are the same candidate. */
  key: string;
  /** Unified diff of the source against the baseline file. */
  diff: string;
}

export interface AttemptRecord {
  /** `r01-c02-a0`: round, candidate slot, attempt (0 the proposal, then repairs). */
  id: string;
  round: number;
  slot: number;
  attempt: number;
  strategy: StrategyId;
  proposer: 'llm' | 'search';
  parent: string;
  parentSpeedup: number;
  candidate?: RecordedCandidate;
  /** Why the answer gave no candidate. */
  problem?: string;
  description?: string;
  notes: string[];
  /** Same candidate as an earlier attempt: its outcome is shared, not measured again. */
  duplicateOf?: string;
  exchange?: Exchange;
  costUsd?: number;
  outcome?: CandidateOutcome;
  /** Run time (ms, summed over resumed sessions) when the attempt started, and how long it took. */
  startedAtMs: number;
  durationMs: number;
}

export interface BestRef {
  id: string;
  speedup: number;
}

export type RunEvent =
  | { kind: 'round-end'; round: number; best?: BestRef; roundBest?: BestRef; spend: Spend; elapsedMs: number }
  | { kind: 'stop'; reason: StopReason; detail: string; best?: BestRef; spend: Spend; elapsedMs: number };

export type StopReason = 'rounds' | 'time' | 'tokens' | 'budget' | 'roofline' | 'no-gain' | 'exhausted' | 'cancelled' | 'error';

export interface RunSink {
  attempt(record: AttemptRecord): Promise<void>;
  event(event: RunEvent): Promise<void>;
}

export interface RecordedRun {
  header: RunHeader;
  attempts: AttemptRecord[];
  events: RunEvent[];
}

export function attemptId(round: number, slot: number, attempt: number): string {
  return `r${String(round).padStart(2, '0')}-c${String(slot).padStart(2, '0')}-a${attempt}`;
}

/** Equal for the same source, launch and flags: the gate would build and time the same thing. */
export function candidateKey(candidate: CandidateInput): string {
  return sha256Text(JSON.stringify([candidate.source, candidate.launch ?? null, [...(candidate.extraFlags ?? [])].sort()]));
}

export function candidateDiff(baselineFile: string, baselineSource: string, candidate: CandidateInput): string {
  const name = basename(baselineFile);
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, baselineSource, candidate.source, undefined, undefined, { context: 3 });
}
