// What `optimize --apply` and `--out FILE` write once a run ends: nothing at all without them. `--out` writes the
// best verified candidate (a whole file) elsewhere; `--apply` replaces the kernel in the user's file with it
// (optimize/apply.ts decides what may change), only if the file is still what the run started from (its hash), and
// atomically (a temporary file beside it, renamed over it, with the file's mode), so an editor or a crash never sees
// half a file. A launch or nvcc options the candidate was verified with are said, not written.

import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BestCandidate } from '../optimize/loop';
import { replaceKernel, verifiedWithout } from '../optimize/apply';
import type { CandidateInput } from '../optimize/evaluator';
import type { OptimizeProblem } from '../optimize/proposer';
import { sha256Text } from '../runs/hash';

export interface DeliveryRequest {
  /** Replace the kernel in `problem.file`. */
  apply: boolean;
  /** Write the candidate to this file. */
  out?: string;
  /** The file's hash when the run started. */
  startSha256: string;
  problem: OptimizeProblem;
  best?: BestCandidate;
}

export interface Delivery {
  lines: string[];
  json: { applied?: { file: string; attempt: string; lines: { first: number; last: number } }; written?: { file: string; attempt: string }; refused?: string; notes: string[] };
  /** 1 when --apply was refused. */
  exitCode: number;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const mode = (await stat(file)).mode & 0o7777;
  const tmp = join(dirname(file), `.${basename(file)}.kernelpilot-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx', mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** --out, then --apply, for the best verified candidate; each says what it did or why not. */
export async function deliverBest(request: DeliveryRequest): Promise<Delivery> {
  const delivery: Delivery = { lines: [], json: { notes: [] }, exitCode: 0 };
  if (!request.apply && request.out === undefined) return delivery;
  const { best, problem } = request;
  if (!best) {
    delivery.lines.push(`nothing ${request.apply ? 'applied' : 'written'}: no candidate was verified faster`);
    return delivery;
  }
  const candidate = best.record.candidate as CandidateInput;
  const what = `${best.id} (${best.speedup.toFixed(2)}×)`;
  if (request.out !== undefined) {
    await writeFile(request.out, candidate.source, 'utf8');
    delivery.json.written = { file: request.out, attempt: best.id };
    delivery.lines.push(`wrote ${what} to ${request.out}`);
  }
  if (request.apply) {
    const refuse = (why: string) => {
      delivery.json.refused = why;
      delivery.lines.push(`not applied: ${why}`);
      delivery.exitCode = 1;
    };
    const now = await readFile(problem.file, 'utf8');
    const replacement = problem.kernel.language === 'kernelbench' ? undefined : await replaceKernel(problem.source, problem.kernel, candidate.source);
    if (!replacement) {
      refuse(`${problem.file} is a KernelBench task, the reference its candidates were verified against, and is never changed; write the ModelNew with --out FILE (its solutions/${basename(problem.file)}, for \`kernelpilot kernelbench\`)`);
    } else if (sha256Text(now) !== request.startSha256) {
      refuse(`${problem.file} changed since the run started; the candidate is in the run record${request.out === undefined ? ' (or write it elsewhere with --out FILE)' : ''}`);
    } else if (!replacement.ok) {
      refuse(`${replacement.problem}; write it elsewhere with --out FILE and merge it by hand`);
    } else {
      if (replacement.changed) await writeAtomically(problem.file, replacement.text);
      delivery.json.applied = { file: problem.file, attempt: best.id, lines: replacement.lines };
      delivery.lines.push(
        replacement.changed
          ? `applied ${what} to ${problem.file}: ${problem.kernel.qualifiedName} (lines ${replacement.lines.first}–${replacement.lines.last} before) replaced`
          : `applied ${what}: its code is the file's own, ${problem.file} is unchanged`,
      );
    }
  }
  delivery.json.notes = verifiedWithout(candidate, problem.kernel, problem.spec.launch);
  delivery.lines.push(...delivery.json.notes.map((n) => `note: ${n}`));
  return delivery;
}
