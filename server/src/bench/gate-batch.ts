// The Python gates' evaluations gathered into few gate processes. The loop asks for its slots' candidates one at a
// time and in parallel, and each gate process pays its own start before its first candidate — torch imported, the
// task's reference loaded, run and (a Triton kernel) compiled and autotuned: seconds, as long as a small candidate's
// whole check. So requests that arrive while a process runs wait and go together into the next one; a round of the
// built-in search, whose proposals come at once, is one process. Each candidate still runs in a child of its own
// (kp_kernelbench.py), so batching changes what is shared, not what a candidate can reach.
import type { CandidateOutcome, EvaluationRequest } from '../optimize/evaluator';

/** Evaluates several requests in one gate run: an outcome per request, in order. Throws only when the gate itself fails. */
export type BatchRunner = (requests: readonly EvaluationRequest[], signal: AbortSignal) => Promise<CandidateOutcome[]>;

interface Waiting {
  request: EvaluationRequest;
  signal: AbortSignal;
  resolve: (outcome: CandidateOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * The outcomes of a batch, with the requests it did not run (undefined: the gate's process ended before their turn,
 * ended by the candidate that ran then, which is rejected for it) run again in a batch of their own.
 */
export async function withRetried(requests: readonly EvaluationRequest[], outcomes: ReadonlyArray<CandidateOutcome | undefined>, signal: AbortSignal, run: BatchRunner): Promise<CandidateOutcome[]> {
  const missing = requests.flatMap((_, i) => (outcomes[i] ? [] : [i]));
  if (!missing.length) return outcomes as CandidateOutcome[];
  if (missing.length === requests.length) throw new Error(`the gate ran none of attempts ${requests.map((r) => r.id).join(', ')}`);
  const again = await run(missing.map((i) => requests[i]), signal);
  const out = [...outcomes];
  missing.forEach((i, k) => (out[i] = again[k]));
  return out as CandidateOutcome[];
}

/** How long the first request of a batch waits for the others of its round (the search proposes them together). */
const GATHER_MS = 20;

function cancelled(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('the evaluation was cancelled');
}

/** An `evaluate` that runs whatever is waiting as one batch, one batch at a time; a request cancelled while it waits leaves it. */
export function batchedEvaluate(run: BatchRunner): (request: EvaluationRequest, signal: AbortSignal) => Promise<CandidateOutcome> {
  let waiting: Waiting[] = [];
  let busy = false;

  const runBatch = async (batch: Waiting[]): Promise<void> => {
    // The gate run stops when every request in it was cancelled; one cancelled request alone only stops waiting.
    const all = new AbortController();
    const live = new Set(batch);
    const leave = batch.map((w) => {
      const onAbort = () => {
        live.delete(w);
        w.reject(cancelled(w.signal));
        if (live.size === 0) all.abort(cancelled(w.signal));
      };
      w.signal.addEventListener('abort', onAbort);
      return () => w.signal.removeEventListener('abort', onAbort);
    });
    try {
      const outcomes = await run(batch.map((w) => w.request), all.signal);
      batch.forEach((w, i) => {
        const outcome = outcomes[i];
        if (outcome) w.resolve(outcome);
        else w.reject(new Error(`the gate gave no verdict for attempt ${w.request.id}`));
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      for (const off of leave) off();
    }
  };

  const drain = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (waiting.length) {
        await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
        const batch = waiting;
        waiting = [];
        if (batch.length) await runBatch(batch);
      }
    } finally {
      busy = false;
    }
  };

  return (request, signal) =>
    new Promise<CandidateOutcome>((resolve, reject) => {
      if (signal.aborted) return reject(cancelled(signal));
      const w: Waiting = { request, signal, resolve, reject };
      const onAbort = () => {
        waiting = waiting.filter((x) => x !== w);
        reject(cancelled(signal));
      };
      signal.addEventListener('abort', onAbort);
      // Once in a batch, the batch listens for the cancel (runBatch); this listener only takes it out of the queue.
      const settle = <T>(fn: (value: T) => void) => (value: T) => {
        signal.removeEventListener('abort', onAbort);
        fn(value);
      };
      w.resolve = settle(resolve);
      w.reject = settle(reject);
      waiting.push(w);
      void drain();
    });
}
