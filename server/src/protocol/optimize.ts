// What the editor and the server say about optimize jobs beyond standard LSP: the API key handed to one job, a
// kernel's latest run as the review, the quick pick and the results panel show it, the edit that applies a candidate,
// and a notice that a kernel's run changed. Plain names and types, imported by both sides.

import type { CursorPosition } from './commands';

/** A span of a document, 0-based, as LSP counts (UTF-16 code units). */
export interface ProtocolRange {
  start: CursorPosition;
  end: CursorPosition;
}

/**
 * Server → client, when an optimize job starts: the key for this job's endpoint, or null (the built-in search then
 * runs alone). The key lives in that job's model client only; it is never in settings, initializationOptions, a
 * log or a record. A client that does not know the request answers with an error, which counts as null.
 */
export const API_KEY_REQUEST = 'kernelpilot/apiKey';

export interface ApiKeyParams {
  kernel: string;
  file: string;
  /** Where the key would go (the user's own `kernelpilot.optimize.baseUrl`), so the client can say so. */
  baseUrl: string;
  model: string;
}

export type ApiKeyResult = { key: string } | null;

/** Client → server: the latest optimize run of a kernel (null: none yet), answered from the server's cache. */
export const OPTIMIZE_RESULT_REQUEST = 'kernelpilot/optimizeResult';

export interface KernelOfDocument {
  uri: string;
  kernel: string;
}

export type CandidateVerdict = 'faster' | 'slower' | 'no-significant-difference' | 'rejected' | 'no candidate';

export interface CandidateView {
  /** The attempt id, `r02-c01-a0`. */
  id: string;
  round: number;
  /** The strategy, in words. */
  strategy: string;
  proposer: 'llm' | 'search';
  verdict: CandidateVerdict;
  /** Rejected: the first failed probe (or the stage), and why. */
  failedProbe?: string;
  reason?: string;
  /** Accepted: the candidate's median time, its speedup over the baseline and the interval. */
  timeMs?: number;
  speedup?: number;
  ci?: { low: number; high: number; confidence: number };
  fractionOfRoofline?: number;
  /** Accepted: how many check seeds and gate probes it passed (from its gate record). */
  seeds?: number;
  probes?: number;
  tokens: number;
  costUsd?: number;
  duplicateOf?: string;
  /** What it was verified with besides its code. */
  launch?: string;
  extraFlags?: string[];
  /** Its code differs from the baseline's kernel: there is a diff to review. */
  reviewable: boolean;
  description?: string;
}

export interface OptimizeRunView {
  uri: string;
  kernel: string;
  runId: string;
  runDir: string;
  status: 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';
  /** Why it stopped, or what it is doing. */
  statusText: string;
  /** The verified gain, or that none was found. */
  message: string;
  /** Who proposed: the model and endpoint, the built-in search (and why it ran alone). */
  proposers: string;
  gpu: string;
  /** The file differs from the run's baseline; the kernel itself does (its candidates cannot be applied). */
  sourceChanged: boolean;
  kernelChanged: boolean;
  roundsPlanned: number;
  /** The best verified speedup after each round, and the round's own best. */
  rounds: Array<{ round: number; best?: number; roundBest?: number }>;
  baseline: { timeMs: number; fractionOfRoofline?: number; bound?: string };
  /** For the roofline plot: the work of one launch at the spec's sizes and the GPU's measured ceilings. */
  roofline: { bytes: number; flops?: number; copyBytesPerSecond?: number; fp32FlopsPerSecond?: number };
  /** Best first: verified gains by speedup, then other accepted ones, then the rest. */
  candidates: CandidateView[];
  bestId?: string;
  spend: { tokens: number; costUsd?: number };
}

export type OptimizeResult = OptimizeRunView | null;

/**
 * Client → server: the edit that puts one attempt's kernel (default: the best) in place of the user's (for a KernelBench
 * task: a new solution file beside it), computed against the document `version` the client has. Refused when the server's document is at another version, when the kernel's
 * text changed since the run started (`rerun`: running Optimize again is the way on), or when the attempt has nothing
 * verified to apply.
 */
export const OPTIMIZE_EDIT_REQUEST = 'kernelpilot/optimizeEdit';

export interface OptimizeEditParams extends KernelOfDocument {
  attempt?: string;
  version: number;
}

export type OptimizeEditResult =
  | {
      ok: true;
      attempt: string;
      version: number;
      /** The kernel's range in the document at `version`, and what replaces it. */
      range: ProtocolRange;
      newText: string;
      /** `1.84× faster · 3 seeds · 12 probes · NVIDIA H100`. */
      title: string;
      /** What it was verified with that the file does not carry (its own launch, nvcc options). */
      notes: string[];
      /**
       * A KernelBench attempt: the task is never changed; `newText` is the whole verified ModelNew, written as a new
       * file at this URI (the task's solutions/<task>.py), from its start (`range` is empty); never over an existing one.
       */
      createFile?: string;
    }
  | { ok: false; reason: string; rerun: boolean };

/** Server → client: a kernel's optimize run changed (a round ended, it stopped, a record was restored). */
export const OPTIMIZE_CHANGED_NOTIFICATION = 'kernelpilot/optimizeChanged';
