import { type Connection, type Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { pathToFileURL } from 'node:url';
import { formatLens, formatResourcesMarkdown } from '../check/format';
import { matchResources } from '../check/match';
import { runStaticCheck } from '../check/run';
import type { CheckResult } from '../check/types';
import { notCheckableReason } from '../check/checkable';
import { resolveCompileFlags } from '../check/compile-flags';
import type { Kernel } from '../kernels/model';
import type { SettingOrigins, Settings } from '../settings';
import { ServerCommand } from '../protocol/commands';
import { defaultArch, listGpus } from '../targets/gpus';
import type { Target } from '../targets/target';
import { toDiagnostic } from './convert';
import type { DiagnosticSink } from './diagnostics';
import type { Documents } from './documents';
import { localPath, pathOf } from './documents';

interface Deps {
  connection: Connection;
  diagnostics: DiagnosticSink;
  settings: () => Settings;
  /** Who set each cuda.* value (server.ts): workspace values pass only what compile-flags.ts allows. */
  origins: () => SettingOrigins;
  /** False in VS Code's Restricted Mode: nothing is compiled until the user trusts the folder. */
  trusted: () => boolean;
  workspaceRoots: () => string[];
  documents: Documents;
  /** The active target (lsp/active-target.ts): the check runs its nvcc for its GPU's arch; rejects when the setting names none. */
  target: () => Promise<Target>;
  refreshLenses: () => void;
}

interface State {
  timer?: ReturnType<typeof setTimeout>;
  running?: AbortController;
  /** Bumped by every schedule; a finished check publishes only if it is still the newest. */
  generation: number;
  result?: CheckResult;
  /** Kernel id → resource records, for the document version the check compiled. */
  byKernel?: Map<string, CheckResult['resources']>;
  /** URIs (other than the document) that received diagnostics from this check, to clear them later. */
  otherUris: Set<string>;
}

/** VS Code's own command; in other editors there is no Restricted Mode, so this lens never shows there. */
const MANAGE_TRUST = 'workbench.trust.manage';
export const RESTRICTED_LENS = 'KernelPilot: not compiled — Restricted Mode (click to trust this folder; then it is checked)';

export interface Lens {
  title: string;
  command?: string;
}

/** A cascade of errors (a missing include, a stray brace) says nothing more after the first hundred. */
const maxDiagnosticsPerFile = 100;

function capped(list: Diagnostic[]): Diagnostic[] {
  const kept = list.slice(0, maxDiagnosticsPerFile);
  const first = kept[0];
  kept.push({ ...first, severity: DiagnosticSeverity.Information, message: `KernelPilot: ${list.length - maxDiagnosticsPerFile} more compiler messages not shown; fix the first errors and save.` });
  return kept;
}

/** A check that could not start (the active target setting names no target): its reason on the lens. */
function notRunResult(file: string, message: string): CheckResult {
  return { file, arch: '', ok: false, resources: [], deviceFunctions: [], diagnostics: [], command: '', durationMs: 0, demangler: 'none', warnings: [], error: { kind: 'failed', message } };
}

/**
 * The static check in the background: debounced per document, superseded by newer saves (the older nvcc is
 * killed), results kept per document for lenses and hovers, diagnostics published when it ends.
 */
export class CheckService {
  private readonly states = new Map<string, State>();
  /** Per target: its GPU's arch, asked once. */
  private readonly archGuess = new WeakMap<Target, Promise<string>>();
  private nvccMissingShown = false;

  constructor(private readonly deps: Deps) {}

  private state(uri: string): State {
    let state = this.states.get(uri);
    if (!state) {
      state = { generation: 0, otherUris: new Set() };
      this.states.set(uri, state);
    }
    return state;
  }

  /** The configured arch, else the target's GPU's (asked once per target), else sm_90. */
  private arch(target: Target): Promise<string> {
    const configured = this.deps.settings().cuda.arch;
    if (configured) return Promise.resolve(configured);
    let guess = this.archGuess.get(target);
    if (!guess) this.archGuess.set(target, (guess = listGpus(target).then(defaultArch, () => 'sm_90')));
    return guess;
  }

  schedule(uri: string): void {
    const state = this.state(uri);
    state.generation++;
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    if (!this.deps.trusted()) return this.deps.refreshLenses(); // kept: recheckAll compiles it once trusted
    state.timer = setTimeout(() => void this.run(uri).catch((e: unknown) => this.deps.connection.console.error(`static check of ${uri}: ${String(e)}`)), this.deps.settings().check.debounceMs);
    this.deps.refreshLenses();
  }

  recheckAll(): void {
    for (const uri of this.deps.documents.uris()) if (this.states.has(uri)) this.schedule(uri);
  }

  /** For the recheck command: run now and answer with a one-line summary. */
  async runNow(uri: string): Promise<string> {
    const state = this.state(uri);
    state.generation++;
    if (state.timer) clearTimeout(state.timer);
    const result = await this.run(uri);
    if (!result) return this.notCheckedReason(uri);
    if (result.error) return `KernelPilot: ${result.error.message}`;
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    return errors ? `KernelPilot: ${errors} compile error(s) for ${result.arch}` : `KernelPilot: ${result.resources.length} kernel instance(s) compiled for ${result.arch} in ${Math.round(result.durationMs)} ms`;
  }

  /** Why run() compiled nothing, in words the user can act on. */
  private async notCheckedReason(uri: string): Promise<string> {
    const file = pathOf(uri);
    const document = await this.deps.documents.get(uri);
    if (!document) return `KernelPilot: ${file} is not open in the editor; open it to check it.`;
    if (!this.deps.trusted()) return `KernelPilot: ${file} was not compiled: this folder is in Restricted Mode, where KernelPilot runs no compiler. Trust the folder (Manage Workspace Trust) to check it.`;
    if (!localPath(uri)) return `KernelPilot: ${uri} is not a file on this machine — nothing to check.`;
    return `KernelPilot: ${notCheckableReason(file, document.content) ?? `${file} was not checked`}.`;
  }

  private async run(uri: string): Promise<CheckResult | undefined> {
    const state = this.state(uri);
    state.timer = undefined;
    const generation = state.generation;
    const document = await this.deps.documents.get(uri);
    // Nothing runs in Restricted Mode. Binary, oversized or non-CUDA content is not compiled (nvcc would answer with
    // thousands of errors), nor is a document that has no file on this machine (`file://host/…`, `untitled:`).
    if (!this.deps.trusted() || !document || !localPath(uri) || notCheckableReason(pathOf(uri), document.content)) return undefined;
    state.running?.abort();
    const abort = new AbortController();
    state.running = abort;
    const settings = this.deps.settings();
    const file = pathOf(uri);
    const flags = await resolveCompileFlags({ file, roots: this.deps.workspaceRoots().map(pathOf), cuda: settings.cuda, origins: this.deps.origins() });
    const result = await this.deps.target().then(
      async (active) => {
        const target = active.compileTarget ?? active;
        return runStaticCheck(target, { file, text: document.content, arch: await this.arch(target), flags, timeoutMs: settings.check.timeoutMs, signal: abort.signal });
      },
      (error: unknown) => notRunResult(file, (error as Error).message),
    );
    if (state.running === abort) state.running = undefined;
    if (generation !== state.generation || !this.states.has(uri)) return result; // superseded or closed: publish nothing
    state.result = result;
    state.byKernel = matchResources(document.kernels().kernels, result.resources);
    this.publish(uri, file, result, state);
    this.deps.refreshLenses();
    if (result.error?.kind === 'notFound' && !this.nvccMissingShown) {
      this.nvccMissingShown = true; // once per session: a missing toolkit is not news on every save
      void this.deps.connection.window.showWarningMessage(`KernelPilot: ${result.error.message}${result.error.hint ? ' ' + result.error.hint : ''}`);
    }
    return result;
  }

  private publish(uri: string, file: string, result: CheckResult, state: State): void {
    const byUri = new Map<string, Diagnostic[]>([[uri, []]]);
    for (const d of result.diagnostics) {
      const target = d.file === file ? uri : pathToFileURL(d.file).toString();
      byUri.set(target, [...(byUri.get(target) ?? []), toDiagnostic(d)]);
    }
    for (const [target, list] of byUri) if (list.length > maxDiagnosticsPerFile) byUri.set(target, capped(list));
    for (const stale of state.otherUris) if (!byUri.has(stale)) byUri.set(stale, []);
    state.otherUris = new Set([...byUri.keys()].filter((u) => u !== uri && (byUri.get(u)?.length ?? 0) > 0));
    for (const [target, diagnostics] of byUri) this.deps.diagnostics.set('check', target, diagnostics);
  }

  forget(uri: string): void {
    const state = this.states.get(uri);
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    state.running?.abort();
    this.states.delete(uri);
    for (const other of [uri, ...state.otherUris]) this.deps.diagnostics.set('check', other, []);
  }

  /** On shutdown: stop every pending and running check, so no compiler outlives the server. */
  dispose(): void {
    for (const state of this.states.values()) {
      if (state.timer) clearTimeout(state.timer);
      state.running?.abort();
    }
    this.states.clear();
  }

  lensFor(uri: string, kernel: Kernel): Lens {
    if (kernel.language !== 'cuda') return { title: `${kernel.language === 'triton' ? 'Triton' : 'KernelBench'} kernel · ${kernel.params.length} params` };
    if (!this.deps.trusted()) return { title: RESTRICTED_LENS, command: MANAGE_TRUST };
    const state = this.states.get(uri);
    const pending = state?.timer !== undefined || state?.running !== undefined;
    if (!state?.result) return { title: pending ? 'KernelPilot: checking…' : 'KernelPilot: not checked yet', command: ServerCommand.recheck };
    const result = state.result;
    if (result.error) return { title: `KernelPilot: ${result.error.kind === 'notFound' ? 'nvcc not found — set kernelpilot.cuda.nvccPath' : result.error.message}` };
    const records = state.byKernel?.get(kernel.id) ?? [];
    if (!result.ok && records.length === 0) return { title: `${result.arch} · compile errors — see Problems`, command: ServerCommand.recheck };
    return { title: formatLens(result.arch, records, kernel) + (pending ? ' (re-checking…)' : ''), command: ServerCommand.recheck };
  }

  hoverSections(uri: string, kernel: Kernel): string[] {
    const state = this.states.get(uri);
    if (kernel.language !== 'cuda' || !state?.result || state.result.error) return [];
    return [formatResourcesMarkdown(state.result.arch, state.byKernel?.get(kernel.id) ?? [], kernel)];
  }
}
