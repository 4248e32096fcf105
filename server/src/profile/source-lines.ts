// The source page's per-line figures, for the user's file only. The harness `#include`s the user's file, so ncu names
// it by the path it was compiled from: this machine's path, or the same file under another prefix on a remote target
// (its copy in the target's files folder). Lines of other files (the harness shim, CUDA headers) are dropped.

import { posix } from 'node:path';
import { ncuNumber, type SourceFile } from './ncu-csv';
import type { LineFacts } from './report';

const STALL_COLUMN = /^stall_([a-z_]+)$/;

function components(path: string): string[] {
  return posix.normalize(path.replace(/\\/g, '/')).split('/').filter(Boolean);
}

/** How many trailing path components two paths share (0 when the file names differ). */
function sharedSuffix(a: string, b: string): number {
  const x = components(a);
  const y = components(b);
  let n = 0;
  while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
  return n;
}

/**
 * The source page's blocks that are the user's file: its exact path (here or as the target sees it), else the blocks
 * sharing the longest path suffix with it (at least the file name).
 */
export function userFileBlocks(files: readonly SourceFile[], userFile: string, targetPath?: string): SourceFile[] {
  const exact = files.filter((f) => f.path === userFile || (targetPath !== undefined && f.path === targetPath));
  if (exact.length) return exact;
  const scored = files.map((f) => ({ f, n: sharedSuffix(f.path, userFile) })).filter((s) => s.n > 0);
  const best = Math.max(0, ...scored.map((s) => s.n));
  return scored.filter((s) => s.n === best).map((s) => s.f);
}

/** Opcode (without modifiers or predicate) → how many, from SASS text such as `@!P0 LDG.E R2, desc[UR4][R2.64]`. */
export function opcodeMix(instructions: readonly string[]): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const text of instructions) {
    const op = /^(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)/.exec(text.trim())?.[1];
    if (op) mix[op] = (mix[op] ?? 0) + 1;
  }
  return mix;
}

function count(metrics: Map<string, string>, name: string): number | undefined {
  return ncuNumber(metrics.get(name));
}

/** Per-line facts of the user's file (0-based lines), with each line's share of all the kernel's stall samples. */
export function lineFactsFromSource(files: readonly SourceFile[], userFile: string, targetPath?: string): LineFacts[] {
  // Shares are of the whole kernel's samples, the harness's and headers' lines included.
  let totalSamples = 0;
  for (const f of files) for (const row of f.rows) totalSamples += count(row.metrics, 'Warp Stall Sampling (All Samples)') ?? 0;
  const byLine = new Map<number, LineFacts>();
  for (const file of userFileBlocks(files, userFile, targetPath)) {
    for (const row of file.rows) {
      const samples = count(row.metrics, 'Warp Stall Sampling (All Samples)');
      const stalls: { reason: string; samples: number }[] = [];
      for (const [name, value] of row.metrics) {
        const reason = STALL_COLUMN.exec(name)?.[1];
        const n = ncuNumber(value);
        if (reason && n) stalls.push({ reason, samples: n });
      }
      stalls.sort((a, b) => b.samples - a.samples);
      const facts: LineFacts = { line: row.line - 1 };
      if (samples !== undefined) {
        facts.stallSamples = samples;
        if (totalSamples > 0) facts.stallShare = samples / totalSamples;
      }
      if (stalls.length) facts.stalls = stalls;
      const executed = count(row.metrics, 'Instructions Executed');
      if (executed !== undefined) facts.instructionsExecuted = executed;
      const sectors = count(row.metrics, 'L2 Theoretical Sectors Global');
      const ideal = count(row.metrics, 'L2 Theoretical Sectors Global Ideal');
      if (sectors) facts.l2SectorsGlobal = sectors;
      if (sectors && ideal !== undefined) facts.l2SectorsGlobalIdeal = ideal;
      if (row.sass.length) facts.sassMix = opcodeMix(row.sass.map((s) => s.text));
      if (Object.keys(facts).length > 1) byLine.set(facts.line, mergeLine(byLine.get(facts.line), facts));
    }
  }
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}

/** Two facts about one line (a line inlined into two places, or live and static facts) as one. */
export function mergeLine(a: LineFacts | undefined, b: LineFacts): LineFacts {
  if (!a) return b;
  const sum = (x?: number, y?: number): number | undefined => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const merged: LineFacts = { ...a, ...b };
  for (const key of ['stallSamples', 'stallShare', 'instructionsExecuted', 'l2SectorsGlobal', 'l2SectorsGlobalIdeal'] as const) {
    const value = sum(a[key], b[key]);
    if (value !== undefined) merged[key] = value;
  }
  if (a.stalls || b.stalls) {
    const reasons = new Map<string, number>();
    for (const s of [...(a.stalls ?? []), ...(b.stalls ?? [])]) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + s.samples);
    merged.stalls = [...reasons].map(([reason, samples]) => ({ reason, samples })).sort((x, y) => y.samples - x.samples);
  }
  if (a.sassMix || b.sassMix) {
    const mix: Record<string, number> = { ...(a.sassMix ?? {}) };
    for (const [op, n] of Object.entries(b.sassMix ?? {})) mix[op] = (mix[op] ?? 0) + n;
    merged.sassMix = mix;
  }
  return merged;
}
