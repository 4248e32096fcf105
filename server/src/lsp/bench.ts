// "▶ Benchmark" in the editor: one background bench job per kernel with work-done progress and cancel, its result
// as a lens and a hover section, its failure as a notification plus diagnostics where the failure has a place.
// Jobs start at once and build side by side; the target's GPU gate (targets/gpu-gate.ts) lets one at a time time on
// a GPU, and a job waiting there says so on its lens.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Connection, type Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { hoverMarkdown, lensText } from '../bench/format';
import { benchKernel, JobError, type JobResult } from '../bench/job';
import { benchPythonKernel } from '../bench/python-bench';
import type { Kernel } from '../kernels/model';
import type { BenchSummary } from '../derive/summary';
import { sha256Text } from '../runs/hash';
import { latestBenchRecord, RECORD_FILE, rederive } from '../runs/record';
import { latestTritonBench, rederiveTriton, TRITON_RECORD_FILE } from '../runs/triton-record';
import { tritonHover, tritonLens } from '../bench/triton-format';
import type { SettingOrigins, Settings } from '../settings';
import { specDiagnostics } from '../benchspec/diagnostics';
import type { Target } from '../targets/target';
import { ServerCommand } from '../protocol/commands';
import { toDiagnostic, toLspRange } from './convert';
import type { DiagnosticSink } from './diagnostics';
import { pathOf, savedDocument, type Documents } from './documents';
import { workspaceRootFor, type KernelRef } from './kernel-ref';
import { beginJobProgress } from './job-progress';

export const benchCommands = { run: ServerCommand.benchmark, cancel: ServerCommand.cancelBenchmark } as const;

interface Deps {
  connection: Connection;
  diagnostics: DiagnosticSink;
  documents: Documents;
  settings: () => Settings;
  /** Who set each cuda.* value: the build uses the check's flags, validated the same way (check/compile-flags.ts). */
  origins: () => SettingOrigins;
  /** False in VS Code's Restricted Mode: a benchmark compiles and runs the folder's code, so none starts. */
  trusted: () => boolean;
  workspaceRoots: () => string[];
  /** The active target (lsp/active-target.ts); rejects when the user's setting names none. */
  target: () => Promise<Target>;
  /** The python of the Python gates there: the user's own kernelpilot.python (a repository cannot choose a program). */
  python: () => string | undefined;
  refreshLenses: () => void;
  /** The client can show server-created progress (window.workDoneProgress). */
  progress: () => boolean;
  /** Offered on a failure that a spec file would fix. */
  createSpec: (ref: KernelRef) => Promise<string>;
}

type State =
  /** waiting: why the job waits for the GPU (another job times on it), as the gate says it. */
  | { kind: 'running'; abort: AbortController; waiting?: string }
  | Done
  | { kind: 'failed'; message: string };

/** A result; `version` is the document version it measured (-1: other source text than the open document's). */
interface Done {
  kind: 'done';
  version: number;
  lens: string;
  hover: string;
}

const key = (uri: string, kernel: string) => `${uri}\u0000${kernel}`;
const SOURCE = 'kernelpilot bench';

export class BenchService {
  private readonly states = new Map<string, State>();
  /** Per job key: the diagnostics its last failure placed, by URI. */
  private readonly placed = new Map<string, Map<string, Diagnostic[]>>();

  constructor(private readonly deps: Deps) {}

  /** Starts a job and answers at once; the outcome arrives as lens, hover, notification and diagnostics. */
  async start(kernel: Kernel, uri: string): Promise<string> {
    const k = key(uri, kernel.qualifiedName);
    if (this.states.get(k)?.kind === 'running') return `KernelPilot: ${kernel.qualifiedName} is already being benchmarked.`;
    if (!this.deps.trusted()) throw new Error(`KernelPilot: ${kernel.qualifiedName} was not benchmarked: this folder is in Restricted Mode, and a benchmark compiles and runs its code. Trust the folder (Manage Workspace Trust) first.`);
    const document = await savedDocument(this.deps.documents, uri, 'benchmark');
    const abort = new AbortController();
    const state: State = { kind: 'running', abort };
    this.states.set(k, state);
    this.place(k, new Map());
    this.deps.refreshLenses();
    void this.run(kernel, uri, document.version, state).catch((error: unknown) => this.deps.connection.console.error(`benchmark of ${kernel.qualifiedName}: ${String(error)}`));
    return `KernelPilot: benchmarking ${kernel.qualifiedName}…`;
  }

  cancel(uri: string, kernel: string): string {
    const state = this.states.get(key(uri, kernel));
    if (state?.kind !== 'running') return `KernelPilot: no benchmark of ${kernel} is running.`;
    state.abort.abort();
    return `KernelPilot: cancelling the benchmark of ${kernel}…`;
  }

  private async run(kernel: Kernel, uri: string, version: number, state: Extract<State, { kind: 'running' }>): Promise<void> {
    const { abort } = state;
    const k = key(uri, kernel.qualifiedName);
    const file = pathOf(uri);
    const progress = await beginJobProgress(this.deps.connection, this.deps.progress(), `KernelPilot: benchmarking ${kernel.qualifiedName}`, abort);
    const settings = this.deps.settings();
    const workspace = workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf));
    const onProgress = (line: string) => {
      progress?.report(line);
      this.deps.connection.console.log(`[bench ${kernel.qualifiedName}] ${line}`);
    };
    const onGpuWait = (wait: { message: string } | undefined) => {
      state.waiting = wait?.message;
      this.deps.refreshLenses();
    };
    try {
      if (kernel.language !== 'cuda') {
        const outcome = await benchPythonKernel(kernel, { file, workspace, target: await this.deps.target(), python: this.deps.python(), signal: abort.signal, onProgress, onGpuWait });
        this.states.set(k, { kind: 'done', version, lens: outcome.lens, hover: outcome.hover });
        void this.deps.connection.window.showInformationMessage(`KernelPilot: ${outcome.notice}`);
        return;
      }
      const result = await benchKernel({
        file,
        kernel: kernel.qualifiedName,
        workspace,
        target: await this.deps.target(),
        signal: abort.signal,
        onProgress,
        onGpuWait,
        ...(settings.cuda.arch ? { arch: settings.cuda.arch } : {}),
        compile: { roots: this.deps.workspaceRoots().map(pathOf), cuda: settings.cuda, origins: this.deps.origins() },
      });
      if (result.kind === 'dry-run') throw new Error('the job only built the harness (dry run)');
      this.finish(k, kernel, version, result);
    } catch (error) {
      await this.fail(k, kernel, uri, error, abort.signal.aborted);
    } finally {
      progress?.done();
      this.deps.refreshLenses();
    }
  }


  private doneState(summary: BenchSummary, record: string, warnings: string[], version: number, recordedAt?: string): Done {
    const when = recordedAt ? ` (recorded ${recordedAt})` : '';
    const notes = warnings.map((w) => `\n\n⚠ ${w}`).join('');
    return { kind: 'done', version, lens: lensText(summary), hover: `${hoverMarkdown(summary)}\n\nrecord: \`${record}\`${when}${notes}` };
  }

  private finish(k: string, kernel: Kernel, version: number, result: JobResult): void {
    const state = this.doneState(result.summary, join(result.runDir, RECORD_FILE), result.warnings, version);
    this.states.set(k, state);
    void this.deps.connection.window.showInformationMessage(`KernelPilot: ${kernel.qualifiedName}: ${state.lens}${result.warnings.length ? ` (${result.warnings.length} warning(s): see the hover)` : ''}`);
  }

  private async fail(k: string, kernel: Kernel, uri: string, error: unknown, cancelled: boolean): Promise<void> {
    if (cancelled) {
      this.states.delete(k);
      void this.deps.connection.window.showInformationMessage(`KernelPilot: benchmark of ${kernel.qualifiedName} cancelled.`);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.states.set(k, { kind: 'failed', message });
    if (!(error instanceof JobError)) this.deps.connection.console.error(`benchmark of ${kernel.qualifiedName}: ${error instanceof Error ? (error.stack ?? message) : message}`);
    this.place(k, await this.placesOf(error, kernel, uri));
    const text = `KernelPilot: benchmark of ${kernel.qualifiedName} failed: ${message}`;
    // A spec problem with no spec file yet is fixed by creating one: offer it.
    // Not awaited: the answer comes when the user clicks, and the job must end (progress, lens) before that.
    if (error instanceof JobError && error.kind === 'spec' && !error.where) {
      void this.deps.connection.window.showErrorMessage(text, { title: 'Create Bench Spec' }).then(async (action) => {
        if (action?.title === 'Create Bench Spec') await this.deps.createSpec({ uri, name: kernel.qualifiedName });
      }).catch((e: unknown) => void this.deps.connection.window.showErrorMessage(e instanceof Error ? e.message : String(e)));
      return;
    }
    void this.deps.connection.window.showErrorMessage(text);
  }

  /** Diagnostics for a failure: compiler messages on their lines, a spec file's problems, a run failure on the kernel. */
  private async placesOf(error: unknown, kernel: Kernel, uri: string): Promise<Map<string, Diagnostic[]>> {
    const out = new Map<string, Diagnostic[]>();
    const add = (target: string, d: Diagnostic) => out.set(target, [...(out.get(target) ?? []), { ...d, source: SOURCE }]);
    if (!(error instanceof JobError)) return out;
    const where = error.where;
    if (where && 'diagnostics' in where) {
      for (const d of where.diagnostics) add(d.file === pathOf(uri) ? uri : pathToFileURL(d.file).toString(), toDiagnostic(d));
    } else if (where && 'specFile' in where) {
      const text = await readFile(where.specFile, 'utf8').catch(() => undefined);
      const specUri = pathToFileURL(where.specFile).toString();
      for (const d of text === undefined ? [] : specDiagnostics(text)) {
        add(specUri, { range: toLspRange(d.range), severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, message: d.message });
      }
    } else if (error.kind === 'run') {
      add(uri, { range: toLspRange(kernel.nameRange), severity: DiagnosticSeverity.Error, message: `benchmark failed: ${error.message}` });
    }
    return out;
  }

  /** Replaces a job's diagnostics; the sink gets, per URI, the union over every job that placed some there. */
  private place(k: string, byUri: Map<string, Diagnostic[]>): void {
    const touched = new Set([...(this.placed.get(k)?.keys() ?? []), ...byUri.keys()]);
    if (byUri.size) this.placed.set(k, byUri);
    else this.placed.delete(k);
    for (const uri of touched) this.deps.diagnostics.set('bench', uri, [...this.placed.values()].flatMap((m) => m.get(uri) ?? []));
  }

  /** The benchmark lens of a kernel: start, cancel, the last result (marked when the file changed since), or the last failure. */
  lensFor(uri: string, kernel: Kernel, version: number): { title: string; command: string } {
    const state = this.states.get(key(uri, kernel.qualifiedName));
    switch (state?.kind) {
      case 'running':
        return { title: `KernelPilot: ${state.waiting ?? 'benchmarking…'} (click to cancel)`, command: benchCommands.cancel };
      case 'done':
        return { title: `${state.lens}${state.version === version ? '' : ' (before your edits)'}`, command: benchCommands.run };
      case 'failed':
        return { title: '▶ Benchmark (last run failed)', command: benchCommands.run };
      default:
        return { title: this.deps.trusted() ? '▶ Benchmark' : '▶ Benchmark (Restricted Mode: trust the folder first)', command: benchCommands.run };
    }
  }

  hoverSection(uri: string, kernel: Kernel): string | undefined {
    const state = this.states.get(key(uri, kernel.qualifiedName));
    if (state?.kind === 'done') return state.hover;
    if (state?.kind === 'failed') return `**Last benchmark failed:** ${state.message}`;
    return undefined;
  }

  /**
   * On open: the newest recorded benchmark of each CUDA and Triton kernel in the file, so results survive a restart. Read in
   * the background (never on a request); a record of other source text than the document's shows as older.
   */
  async restore(uri: string): Promise<void> {
    const document = await this.deps.documents.get(uri);
    if (!document) return;
    const file = pathOf(uri);
    const root = workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf));
    const hash = sha256Text(document.content);
    let found = false;
    for (const kernel of document.kernels().kernels.filter((k) => k.language === 'cuda')) {
      const k = key(uri, kernel.qualifiedName);
      const latest = await latestBenchRecord(root, kernel.qualifiedName, file);
      if (!latest || this.states.has(k)) continue; // a job started meanwhile wins
      const same = latest.record.sources?.find((src) => src.role === 'baseline')?.sha256 === hash;
      this.states.set(k, this.doneState(rederive(latest.record), join(latest.dir, RECORD_FILE), [], same ? document.version : -1, latest.record.createdAt));
      found = true;
    }
    for (const kernel of document.kernels().kernels.filter((k) => k.language === 'triton')) {
      const k = key(uri, kernel.qualifiedName);
      const latest = await latestTritonBench(root, kernel.qualifiedName, file);
      if (!latest || this.states.has(k)) continue;
      const shown = { spec: latest.record.spec, run: latest.record.run, result: rederiveTriton(latest.record) };
      const same = latest.record.sources[0]?.sha256 === hash;
      this.states.set(k, { kind: 'done', version: same ? document.version : -1, lens: tritonLens(shown), hover: `${tritonHover(shown)}\n\nrecord: \`${join(latest.dir, TRITON_RECORD_FILE)}\` (recorded ${latest.record.createdAt})` });
      found = true;
    }
    if (found) this.deps.refreshLenses();
  }

  /** Jobs outlive their document's tab (closing a file does not stop a long run); shutdown stops them. */
  dispose(): void {
    for (const state of this.states.values()) if (state.kind === 'running') state.abort.abort();
  }
}
