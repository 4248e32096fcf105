// Applying a verified candidate: the edit that replaces exactly the kernel's declaration in the document as it is now
// (optimize/apply.ts's replacement, the one the CLI's --apply writes), refused when the document is not at the version
// the client reviewed, when the kernel's text is no longer the one the run started from (its candidates were verified
// against that code), or when the attempt has nothing verified to apply. Edits elsewhere in the file do not matter: the kernel is found where it is now. For every LSP editor the
// edit is a versioned TextDocumentEdit (a stale one is refused by the client) with a change annotation asking for
// confirmation where the client supports them. A KernelBench task is never edited: its verified ModelNew becomes a new
// file, solutions/<task>.py beside it (a CreateFile that never overwrites, then the text).

import { pathToFileURL } from 'node:url';
import type { CodeAction, WorkspaceEdit } from 'vscode-languageserver';
import type { LaunchConfig } from '../benchspec/model';
import type { KernelDocument } from '../kernels/document';
import { indexLines, offsetAt, positionAt } from '../kernels/lines';
import type { Kernel, Range } from '../kernels/model';
import { verifiedWithout, type KernelReplacement } from '../optimize/apply';
import type { AttemptRecord } from '../optimize/record';
import type { OptimizeEditResult } from '../protocol/optimize';
import { pathOf } from './documents';

/** The text of `range` in `source`, by the LSP's rules for lines and columns. */
export function textIn(source: string, range: Range): string {
  const lines = indexLines(source);
  return source.slice(offsetAt(source, lines, range.start), offsetAt(source, lines, range.end));
}

/** What a run knows about the code it started from, and each attempt's replacement (optimize/apply.ts) there. */
export interface RunBaseline {
  source: string;
  /** The kernel in `source` as discovery found it (its range, its launch sites), and that range's text. */
  kernel: Kernel;
  kernelText: string;
  /** The spec's launch, which the candidates' own launches are told against. */
  specLaunch: LaunchConfig;
  /** By attempt id; computed in the background as attempts end. */
  replacements: ReadonlyMap<string, KernelReplacement>;
}

export interface EditRequest {
  uri: string;
  document: KernelDocument;
  kernelName: string;
  attempt: AttemptRecord;
  /** Undefined: the run's baseline could not be recovered (the file changed and no candidate's diff gives it back). */
  baseline: RunBaseline | undefined;
  /** The version the client reviewed; undefined: the document's current one (a code action computed now). */
  version?: number;
  /** `1.84× faster · 3 seeds · …`. */
  title: string;
  /** A KernelBench task's: where an accepted ModelNew goes (solutions/<task>.py) and whether a file is there already. */
  /** A KernelBench attempt's new solution file; `creatable`: the client applies edits that create files. */
  solution?: { file: string; exists: boolean; creatable: boolean };
}

/** "H100" for "NVIDIA H100 80GB HBM3": the name a code action title has room for. */
export function shortGpuName(name: string): string {
  return name.replace(/^NVIDIA\s+/, '').replace(/\s+\d+\s*GB\b.*$/i, '').trim() || name;
}

/** The kernel named `name` in the document now, by qualified name, else by plain name. */
function kernelNow(document: KernelDocument, name: string): Kernel | undefined {
  const kernels = document.kernels().kernels;
  return kernels.find((k) => k.qualifiedName === name) ?? kernels.find((k) => k.name === name);
}

/**
 * Where `text` (the baseline's kernel, or its whole declaration) is in the document now: the occurrence that overlaps
 * the kernel found there; undefined when there is none, i.e. the kernel's code changed. Found by text, not by the
 * kernel's range, so edits elsewhere move it freely and two parses need not agree on where a kernel's range starts.
 */
export function locate(content: string, kernel: Kernel, text: string): Range | undefined {
  const lines = indexLines(content);
  const kernelStart = offsetAt(content, lines, kernel.range.start);
  const kernelEnd = offsetAt(content, lines, kernel.range.end);
  for (let at = content.indexOf(text); at >= 0; at = content.indexOf(text, at + 1)) {
    if (at < kernelEnd && kernelStart < at + text.length) return { start: positionAt(lines, at), end: positionAt(lines, at + text.length) };
  }
  return undefined;
}

export function planEdit(request: EditRequest): OptimizeEditResult {
  const { document, attempt, kernelName, baseline } = request;
  const file = pathOf(request.uri);
  const refuse = (reason: string, rerun = false): OptimizeEditResult => ({ ok: false, reason: `KernelPilot: ${reason}`, rerun });
  if (request.version !== undefined && request.version !== document.version) return refuse(`${file} changed while you reviewed (version ${request.version}, now ${document.version}); review the candidate again.`);
  const outcome = attempt.outcome;
  if (outcome?.verdict !== 'accepted') return refuse(`${attempt.id} was not verified by the gate${outcome ? ` (${outcome.failedProbes[0]?.name ?? outcome.stage}: ${outcome.failedProbes[0]?.reason ?? outcome.reasons[0] ?? 'rejected'})` : ''}; only verified candidates can be applied.`);
  if (!baseline) return refuse(`${file} changed since the optimize run of ${kernelName}, and the code it started from cannot be recovered from the record; run Optimize again.`, true);
  if (request.solution) return planSolution(request, request.solution, baseline, refuse);
  const kernel = kernelNow(document, kernelName);
  if (!kernel) {
    const names = document.kernels().kernels.map((k) => k.qualifiedName);
    return refuse(`${file} no longer has a kernel named ${kernelName} (renamed or removed? it has ${names.join(', ') || 'none'}); run Optimize on the kernel as it is now.`, true);
  }
  const changedKernel = () => refuse(`${kernelName} changed since the optimize run started: its candidates were verified against the old code, so none is applied. Run Optimize again on the kernel as it is now.`, true);
  if (!locate(document.content, kernel, baseline.kernelText)) return changedKernel();
  const replacement = baseline.replacements.get(attempt.id);
  if (!replacement) return refuse(`${attempt.id} has no candidate code to apply${attempt.candidate ? ' yet; try again in a moment' : ''}.`);
  if (!replacement.ok) return refuse(`${attempt.id} cannot be applied: ${replacement.problem}.`);
  const notes = attempt.candidate ? verifiedWithout(attempt.candidate, kernel, baseline.specLaunch) : [];
  if (!replacement.changed) return refuse(`${attempt.id} did not change ${kernelName}'s code: ${notes.join('; ') || 'its gain is not in the code'}.`);
  const range = locate(document.content, kernel, baseline.source.slice(replacement.span.start, replacement.span.end));
  if (!range) return changedKernel();
  return { ok: true, attempt: attempt.id, version: document.version, range, newText: replacement.span.text, title: request.title, notes };
}

/**
 * A KernelBench attempt as a new file: the whole verified ModelNew at solutions/<task>.py. The task stays as it is (it is
 * the reference the candidates were verified against, so it must be the one they were verified against), and an
 * existing solution is never overwritten.
 */
function planSolution(request: EditRequest, solution: NonNullable<EditRequest['solution']>, baseline: RunBaseline, refuse: (reason: string, rerun?: boolean) => OptimizeEditResult): OptimizeEditResult {
  const { document, attempt, kernelName } = request;
  if (document.content !== baseline.source) return refuse(`${pathOf(request.uri)} changed since the optimize run of ${kernelName}: its ModelNew candidates were verified against the task as it was, so none is written. Run Optimize again on the task as it is now.`, true);
  const source = attempt.candidate?.source;
  if (source === undefined) return refuse(`${attempt.id} has no candidate code to write.`);
  if (!solution.creatable) return refuse(`this editor does not apply edits that create files (its workspaceEdit.resourceOperations lacks 'create'), and ${attempt.id}'s ModelNew is a new file: copy attempts/${attempt.id}/candidate.py of the run to ${solution.file}.`);
  if (solution.exists) return refuse(`${solution.file} already exists; a solution is never overwritten. Move or rename it, then accept ${attempt.id} again.`);
  const start = { line: 0, character: 0 };
  return { ok: true, attempt: attempt.id, version: document.version, range: { start, end: start }, newText: source, title: request.title, notes: [], createFile: pathToFileURL(solution.file).toString() };
}

export const CHANGE_ANNOTATION = 'kernelpilot.optimizedKernel';

/**
 * The plan as an LSP edit: one versioned TextDocumentEdit (a client refuses it once the document moved on; clients that
 * do not announce documentChanges, such as Neovim 0.7, still apply it with that check), annotated for confirmation
 * where the client supports change annotations.
 */
export function workspaceEditOf(plan: Extract<OptimizeEditResult, { ok: true }>, uri: string, kernelName: string, annotations: boolean): WorkspaceEdit {
  const range: Range = plan.range;
  const annotation = annotations ? { annotationId: CHANGE_ANNOTATION } : {};
  const edit = { range, newText: plan.newText, ...annotation };
  // A new solution file: created only where none is (the client fails the whole edit otherwise), then filled.
  const changes = plan.createFile
    ? [{ kind: 'create' as const, uri: plan.createFile, options: { overwrite: false, ignoreIfExists: false }, ...annotation }, { textDocument: { uri: plan.createFile, version: null }, edits: [edit] }]
    : [{ textDocument: { uri, version: plan.version }, edits: [edit] }];
  return {
    documentChanges: changes,
    ...(annotations ? { changeAnnotations: { [CHANGE_ANNOTATION]: { label: plan.createFile ? `Write the optimized ModelNew (${plan.attempt}) to a new solution file` : `Apply optimized ${kernelName} (${plan.attempt})`, description: plan.title, needsConfirmation: true } } } : {}),
  };
}

/**
 * The "Apply optimized kernel" code action: the edit, or the refusal as the action's disabled reason; a client without
 * disabled actions gets one that runs `refused` (a command that answers with the reason).
 */
export function applyAction(plan: OptimizeEditResult, title: string, uri: string, kernelName: string, client: { annotations: boolean; disabled: boolean }, refused: { command: string; arguments: unknown[] }): CodeAction {
  if (plan.ok) return { title, kind: 'refactor.rewrite', edit: workspaceEditOf(plan, uri, kernelName, client.annotations) };
  if (client.disabled) return { title, kind: 'refactor.rewrite', disabled: { reason: plan.reason } };
  return { title: `${title}: refused, see why`, kind: 'refactor.rewrite', command: { title: 'Why not', ...refused } };
}
