// What `optimize --apply` may write: the user's file with only the kernel's declaration replaced by the verified
// candidate's (and the declarations the candidate added just before it, where assemble.ts puts them). A candidate is
// a whole file; it is applied only when it differs from the user's file inside that span alone, so what is written
// is exactly what the gate compiled there. A change anywhere else (a new #include at the top) is refused with its
// line rather than merged by guesswork. What the candidate was verified with besides its code — its own launch (a
// Triton kernel's meta-parameters), nvcc options — is not in the file: it is said, with the launch sites that would
// have to change.

import type { LaunchConfig } from '../benchspec/model';
import { indexLines, offsetAt } from '../kernels/lines';
import type { Kernel } from '../kernels/model';
import { kernelUnit } from './context';
import type { CandidateInput } from './evaluator';
import { parseUnits } from './units';

export type KernelReplacement =
  | {
      ok: true;
      /** The whole file with the candidate's kernel in place. */
      text: string;
      changed: boolean;
      lines: { first: number; last: number };
      /** The kernel's declaration in the user's file (offsets, end exclusive) and the candidate's text for it: an editor's edit. */
      span: { start: number; end: number; text: string };
    }
  | { ok: false; problem: string };

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/**
 * The kernel's declaration in `source` (offsets, end exclusive): a CUDA kernel's unit (units.ts), a Triton kernel's
 * definition with its decorators (its range, as discovery found it in `source`).
 */
async function declarationOf(source: string, kernel: Pick<Kernel, 'name' | 'qualifiedName' | 'language' | 'range'>): Promise<{ start: number; end: number } | undefined> {
  if (kernel.language !== 'triton') return kernelUnit((await parseUnits(source)).units, kernel);
  const lines = indexLines(source);
  return { start: offsetAt(source, lines, kernel.range.start), end: offsetAt(source, lines, kernel.range.end) };
}

/** The user's file (`source`, in which `kernel` was found) with the candidate's kernel in place of its own. */
export async function replaceKernel(source: string, kernel: Pick<Kernel, 'name' | 'qualifiedName' | 'language' | 'range'>, candidate: string): Promise<KernelReplacement> {
  const unit = await declarationOf(source, kernel);
  if (!unit) return { ok: false, problem: `the file no longer has a definition of ${kernel.qualifiedName}` };
  const lines = { first: lineOf(source, unit.start), last: lineOf(source, unit.end) };
  const span = { start: unit.start, end: unit.end, text: candidate.slice(unit.start, candidate.length - (source.length - unit.end)) };
  if (candidate === source) return { ok: true, text: source, changed: false, lines, span };
  let prefix = 0;
  const shorter = Math.min(source.length, candidate.length);
  while (prefix < shorter && source[prefix] === candidate[prefix]) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && source[source.length - 1 - suffix] === candidate[candidate.length - 1 - suffix]) suffix++;
  const before = prefix < unit.start;
  if (before || source.length - suffix > unit.end) {
    // The candidate's own line where it departs from the file: what it would change there.
    const at = before ? prefix : candidate.length - suffix - 1;
    const line = lineOf(candidate, at);
    const text = candidate.split('\n')[line - 1]?.trim() ?? '';
    return { ok: false, problem: `the candidate also changes the file ${before ? 'before' : 'after'} the kernel (its line ${line}: \`${text}\`), outside ${kernel.qualifiedName} (lines ${lines.first}–${lines.last}): only the kernel is replaced` };
  }
  return { ok: true, text: candidate, changed: true, lines, span };
}

/** A CUDA launch's grid and block; a Triton launch's grid and meta-parameters (its `block` only informs reports). */
export function launchText(launch: LaunchConfig, language: Kernel['language']): string {
  if (language === 'triton') {
    const meta = [...Object.entries(launch.constexprs ?? {}).map(([name, value]) => `${name}=${String(value)}`), ...(launch.numWarps !== undefined ? [`num_warps=${launch.numWarps}`] : []), ...(launch.numStages !== undefined ? [`num_stages=${launch.numStages}`] : [])];
    return `grid (${launch.grid.join(', ')})${meta.length ? `, ${meta.join(', ')}` : ''}`;
  }
  return `grid (${launch.grid.join(', ')}), block (${launch.block.join(', ')})${launch.sharedMem ? `, ${launch.sharedMem} bytes of shared memory` : ''}`;
}

/**
 * What the candidate was verified with that its code does not carry, and where the user's code would follow it: a
 * launch is never written into the user's launch sites (a Triton kernel's BLOCK constexprs, num_warps, num_stages are
 * passed there), nor nvcc options into a build.
 */
export function verifiedWithout(candidate: CandidateInput, kernel: Pick<Kernel, 'launchSites' | 'language'>, specLaunch: LaunchConfig): string[] {
  const notes: string[] = [];
  if (candidate.launch) {
    const triton = kernel.language === 'triton';
    const sites = kernel.launchSites.map((s) => `line ${s.range.start.line + 1} (${triton ? `${s.callee}[${s.grid}](…)` : `<<<${s.grid}, ${s.block}>>>`})`);
    notes.push(
      `it was verified with its own launch, ${launchText(candidate.launch, kernel.language)}, where the spec launches ${launchText(specLaunch, kernel.language)}; ` +
        (sites.length ? `your launch sites were not changed${triton ? ' (pass the same meta-parameters there)' : ''}: ${sites.join(', ')}` : 'the file launches it nowhere; launch it that way where you do'),
    );
  }
  if (candidate.extraFlags?.length) notes.push(`it was verified built with the nvcc options ${candidate.extraFlags.join(' ')}: add them where you build it`);
  return notes;
}
