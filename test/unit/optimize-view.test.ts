// The results panel's candidate table (lsp/optimize-view.ts): best first, and equal rows in the order they were made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candidateViews } from '../../server/src/lsp/optimize-view';
import { attemptId, type AttemptRecord } from '../../server/src/optimize/record';
import { accepted } from './optimize-helpers';

const record = (round: number, slot: number, speedup: number): AttemptRecord => ({ id: attemptId(round, slot, 0), round, slot, attempt: 0, strategy: 'fusion', proposer: 'llm', parent: 'baseline', parentSpeedup: 1, notes: [], durationMs: 0, startedAtMs: 0, outcome: accepted(speedup) });

test('candidate rows: faster first by speedup; equal rows earliest first (round 11 before round 100)', { timeout: 10_000 }, () => {
  const rows = candidateViews([record(100, 1, 1.5), record(11, 2, 1.5), record(11, 1, 1.5), record(3, 1, 2)], new Map(), () => true);
  assert.deepEqual(rows.map((r) => r.id), [attemptId(3, 1, 0), attemptId(11, 1, 0), attemptId(11, 2, 0), attemptId(100, 1, 0)]);
});
