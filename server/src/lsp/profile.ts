// "◎ Profile" in the editor: one background profile job per kernel (static analysis everywhere, Nsight Compute where
// the target has it) with work-done progress and cancel; its report as a hover section, a lens, Information/Hint
// diagnostics on the lines the hints name, and a full report document. Reports are stored in the run folder and
// restored on open; a report whose kernel text changed since is marked stale and its line diagnostics withdrawn.
// Requests read this cache only (hashing one kernel's text is the most they do).

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Connection, type Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import type { KernelDocument } from '../kernels/document';
import type { Kernel } from '../kernels/model';
import { profileHoverSection } from '../profile/markdown';
import type { ProfileReport } from '../profile/report';
import { reportFreshness } from '../profile/stale';
import { ServerCommand } from '../protocol/commands';
import { latestProfileReport, PROFILE_DOCUMENT, writeProfileReport } from '../runs/profile-store';
import type { ProfileJobOptions } from '../bench/profile-job';
import type { SettingOrigins, Settings } from '../settings';
import type { Target } from '../targets/target';
import type { DiagnosticSink } from './diagnostics';
import { pathOf, savedDocument, type Documents } from './documents';
import { workspaceRootFor } from './kernel-ref';
import { beginJobProgress } from './job-progress';

export const profileCommands = { profile: ServerCommand.profile, cancelProfile: ServerCommand.cancelProfile, openProfileReport: ServerCommand.openProfileReport } as const;

/** The engine's profile job (bench/profile-job.ts); tests may pass another. */
export type ProfileRunner = (options: ProfileJobOptions) => Promise<ProfileReport>;

interface Deps {
  connection: Connection;
  diagnostics: DiagnosticSink;
  documents: Documents;
  trusted: () => boolean;
  workspaceRoots: () => string[];
  /** The user's active target (lsp/active-target.ts); rejects with what to fix when its setting is wrong. */
  target: () => Promise<Target>;
  settings: () => Settings;
  /** Who set each cuda.* value: the build uses the check's flags, validated the same way (check/compile-flags.ts). */
  origins: () => SettingOrigins;
  refreshLenses: () => void;
  client: () => { progress: boolean; showDocument: boolean };
  run: ProfileRunner;
}

type State = { kind: 'running'; abort: AbortController } | { kind: 'done'; report: ProfileReport; dir: string } | { kind: 'failed'; message: string };

const key = (uri: string, kernel: string) => `${uri}\u0000${kernel}`;
const SOURCE = 'kernelpilot';

export class ProfileService {
  private readonly states = new Map<string, State>();

  constructor(private readonly deps: Deps) {}

  /** Starts a job and answers at once; the report arrives as lens, hover, diagnostics and a notification. */
  async start(kernel: Kernel, uri: string): Promise<string> {
    const k = key(uri, kernel.qualifiedName);
    if (this.states.get(k)?.kind === 'running') return `KernelPilot: ${kernel.qualifiedName} is already being profiled.`;
    if (!this.deps.trusted()) throw new Error(`KernelPilot: ${kernel.qualifiedName} was not profiled: this folder is in Restricted Mode, and profiling compiles and runs its code. Trust the folder (Manage Workspace Trust) first.`);
    if (kernel.language !== 'cuda') throw new Error(`KernelPilot: only CUDA kernels can be profiled so far; ${kernel.qualifiedName} is a ${kernel.language} kernel.`);
    await savedDocument(this.deps.documents, uri, 'profile');
    const abort = new AbortController();
    this.states.set(k, { kind: 'running', abort });
    this.deps.refreshLenses();
    void this.run(kernel, uri, abort).catch((error: unknown) => this.deps.connection.console.error(`profile of ${kernel.qualifiedName}: ${String(error)}`));
    return `KernelPilot: profiling ${kernel.qualifiedName}…`;
  }

  cancel(uri: string, kernel: string): string {
    const state = this.states.get(key(uri, kernel));
    if (state?.kind !== 'running') return `KernelPilot: no profile of ${kernel} is running.`;
    state.abort.abort();
    return `KernelPilot: cancelling the profile of ${kernel}…`;
  }

  private async run(kernel: Kernel, uri: string, abort: AbortController): Promise<void> {
    const k = key(uri, kernel.qualifiedName);
    const file = pathOf(uri);
    const workspace = workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf));
    const progress = await beginJobProgress(this.deps.connection, this.deps.client().progress, `KernelPilot: profiling ${kernel.qualifiedName}`, abort);
    const settings = this.deps.settings();
    try {
      const report = await this.deps.run({
        file,
        kernel: kernel.qualifiedName,
        workspace,
        target: await this.deps.target(),
        signal: abort.signal,
        onProgress: (line) => {
          progress?.report(line);
          this.deps.connection.console.log(`[profile ${kernel.qualifiedName}] ${line}`);
        },
        clockControl: settings.profile.clockControl,
        ...(settings.cuda.arch ? { arch: settings.cuda.arch } : {}),
        compile: { roots: this.deps.workspaceRoots().map(pathOf), cuda: settings.cuda, origins: this.deps.origins() },
      });
      const dir = await writeProfileReport(workspace, report);
      this.states.set(k, { kind: 'done', report, dir });
      const live = report.live.status === 'measured' ? '' : ` (static analysis only: ${report.live.message})`;
      void this.deps.connection.window.showInformationMessage(`KernelPilot: ${kernel.qualifiedName}: ${this.lensText(report)}${live}`);
    } catch (error) {
      if (abort.signal.aborted) {
        this.states.delete(k);
        void this.deps.connection.window.showInformationMessage(`KernelPilot: profile of ${kernel.qualifiedName} cancelled.`);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.states.set(k, { kind: 'failed', message });
        void this.deps.connection.window.showErrorMessage(`KernelPilot: profile of ${kernel.qualifiedName} failed: ${message}`);
      }
    } finally {
      progress?.done();
      await this.publish(uri);
      this.deps.refreshLenses();
    }
  }


  private lensText(report: ProfileReport): string {
    const bound = report.classification ? `${report.classification.bound}-bound` : report.live.status === 'measured' ? 'profiled' : 'static profile';
    const n = report.hints.length;
    return `◎ ${bound} · ${n === 0 ? 'no hints' : n === 1 ? '1 hint' : `${n} hints`}`;
  }

  /** The profile lens: start, cancel, the report (opens it; marked stale when the kernel changed), or the failure. */
  lensFor(uri: string, kernel: Kernel, document: KernelDocument): { title: string; command: string } {
    const state = this.states.get(key(uri, kernel.qualifiedName));
    switch (state?.kind) {
      case 'running':
        return { title: 'KernelPilot: profiling… (click to cancel)', command: profileCommands.cancelProfile };
      case 'done':
        return reportFreshness(state.report, document.content, kernel).stale
          ? { title: '◎ Profile (kernel changed since its profile)', command: profileCommands.profile }
          : { title: this.lensText(state.report), command: profileCommands.openProfileReport };
      case 'failed':
        return { title: '◎ Profile (last run failed)', command: profileCommands.profile };
      default:
        return { title: this.deps.trusted() ? '◎ Profile' : '◎ Profile (Restricted Mode: trust the folder first)', command: profileCommands.profile };
    }
  }

  hoverSection(uri: string, kernel: Kernel, document: KernelDocument): string | undefined {
    const state = this.states.get(key(uri, kernel.qualifiedName));
    if (state?.kind === 'done') return profileHoverSection(state.report, reportFreshness(state.report, document.content, kernel));
    if (state?.kind === 'failed') return `**Last profile failed:** ${state.message}`;
    return undefined;
  }

  /** Opens the kernel's full report (window/showDocument), or names its file where the client cannot open one. */
  async openReport(uri: string, kernel: string): Promise<string> {
    const state = this.states.get(key(uri, kernel));
    if (state?.kind !== 'done') throw new Error(`KernelPilot: ${kernel} has no profile yet. Run "◎ Profile" (KernelPilot: Profile Kernel) first.`);
    const file = join(state.dir, PROFILE_DOCUMENT);
    if (this.deps.client().showDocument) {
      const shown = await this.deps.connection.window.showDocument({ uri: pathToFileURL(file).toString(), takeFocus: true }).catch(() => ({ success: false }));
      if (shown.success) return `KernelPilot: opened the profile of ${kernel}.`;
    }
    return `KernelPilot: the profile of ${kernel} is in ${file}`;
  }

  /** On open: the newest stored report of each CUDA kernel in the file (read in the background, never on a request). */
  async restore(uri: string): Promise<void> {
    const document = await this.deps.documents.get(uri);
    if (!document) return;
    const file = pathOf(uri);
    const workspace = workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf));
    let found = false;
    for (const kernel of document.kernels().kernels.filter((k) => k.language === 'cuda')) {
      const k = key(uri, kernel.qualifiedName);
      const skipped: string[] = [];
      const latest = await latestProfileReport(workspace, kernel.qualifiedName, file, skipped);
      for (const why of skipped) this.deps.connection.console.warn(`KernelPilot: ignored a stored profile: ${why}`);
      if (!latest || this.states.has(k)) continue; // a job started meanwhile wins
      this.states.set(k, { kind: 'done', report: latest.report, dir: latest.dir });
      found = true;
    }
    if (found) {
      await this.publish(uri);
      this.deps.refreshLenses();
    }
  }

  /** After an edit: line diagnostics follow their kernel, and go when it changed (its figures no longer hold). */
  async documentChanged(uri: string): Promise<void> {
    if ([...this.states.keys()].some((k) => k.startsWith(`${uri}\u0000`))) await this.publish(uri);
  }

  /** The hints that name a line, as Information (warnings) or Hint (the rest) diagnostics on the document's lines now. */
  private async publish(uri: string): Promise<void> {
    const document = await this.deps.documents.get(uri);
    const diagnostics: Diagnostic[] = [];
    for (const kernel of document?.kernels().kernels ?? []) {
      const state = this.states.get(key(uri, kernel.qualifiedName));
      if (state?.kind !== 'done' || !document) continue;
      const freshness = reportFreshness(state.report, document.content, kernel);
      if (freshness.stale) continue;
      for (const hint of state.report.hints) {
        if (hint.line === undefined) continue;
        const line = hint.line + freshness.lineShift;
        const text = document.content.split('\n', line + 1)[line] ?? '';
        const start = text.length - text.trimStart().length;
        const gain = hint.estimatedSpeedupPct === undefined ? '' : ` (estimated gain up to ${Math.round(hint.estimatedSpeedupPct)} %)`;
        diagnostics.push({
          range: { start: { line, character: start }, end: { line, character: Math.max(start, text.trimEnd().length) } },
          severity: hint.severity === 'warning' ? DiagnosticSeverity.Information : DiagnosticSeverity.Hint,
          source: SOURCE,
          code: hint.rule ?? hint.kind,
          message: `${hint.title}: ${hint.text}${gain}`,
        });
      }
    }
    this.deps.diagnostics.set('profile', uri, diagnostics);
  }

  /** Jobs outlive their document's tab; shutdown stops them. */
  dispose(): void {
    for (const state of this.states.values()) if (state.kind === 'running') state.abort.abort();
  }
}
