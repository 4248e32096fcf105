// "Optimize this kernel" in VS Code: the API key (SecretStorage, one per endpoint, handed to the server for one job
// through protocol/optimize.ts's request), a cancellable notification while a run goes, and the review: a diff of the
// file as it is against the file with the kernel replaced (a read-only virtual document), Accept as one
// WorkspaceEdit of exactly the kernel's range (one Undo restores it; a KernelBench task's ModelNew: a new
// solutions/<task>.py, reviewed against an empty file, never over an existing one), refused when the document moved on, Reject,
// and every verified candidate in a quick pick, best first. Figures and edits come from the server; nothing here
// writes a file.
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import { ClientCommand, type KernelCommandArgs, type ReviewCommandArgs, ServerCommand } from '../../server/src/protocol/commands';
import { CONFIGURATION_SECTION } from '../../server/src/protocol/configuration';
import { cursorIn, savedForBenchmark, targetUri } from './commands';
import { ResultsPanel } from './results-panel';
import {
  API_KEY_REQUEST,
  OPTIMIZE_CHANGED_NOTIFICATION,
  OPTIMIZE_EDIT_REQUEST,
  OPTIMIZE_RESULT_REQUEST,
  type ApiKeyParams,
  type ApiKeyResult,
  type CandidateView,
  type KernelOfDocument,
  type OptimizeEditParams,
  type OptimizeEditResult,
  type OptimizeResult,
  type OptimizeRunView,
} from '../../server/src/protocol/optimize';

/** The scheme of the review's right side: the file with the candidate's kernel, read-only. */
export const CANDIDATE_SCHEME = 'kernelpilot-candidate';
const SECRET_PREFIX = 'kernelpilot.apiKey:';
const OPTIMIZE_AGAIN = 'Optimize Again';

type Plan = Extract<OptimizeEditResult, { ok: true }>;

/** The candidate under review: the document and version it was computed against, and the edit. */
interface Review {
  uri: string;
  kernel: string;
  plan: Plan;
  view: vscode.Uri;
}

/** The endpoint the user's own settings name (a workspace cannot choose where the key goes: the setting is machine-scoped). */
function endpoint(): string {
  const inspected = vscode.workspace.getConfiguration(CONFIGURATION_SECTION).inspect<string>('optimize.baseUrl');
  return inspected?.globalValue ?? inspected?.defaultValue ?? '';
}

const document = (uri: string) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);

/** The document's text with the plan's range replaced. */
function withPlan(doc: vscode.TextDocument, plan: Plan): string {
  const text = doc.getText();
  const start = doc.offsetAt(new vscode.Position(plan.range.start.line, plan.range.start.character));
  const end = doc.offsetAt(new vscode.Position(plan.range.end.line, plan.range.end.character));
  return text.slice(0, start) + plan.newText + text.slice(end);
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class OptimizeUi implements vscode.TextDocumentContentProvider {
  private readonly candidates = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private review: Review | undefined;
  /** Runs this window started, with the progress notification's end. */
  private readonly watched = new Map<string, (view: OptimizeRunView | null) => void>();
  /** Files whose Optimize command was just sent: the server's first notice names the kernel it started on. */
  private readonly expected = new Set<string>();
  private readonly panel: ResultsPanel;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: LanguageClient,
  ) {
    this.panel = new ResultsPanel(context.extensionUri, (uri, kernel, attempt) => this.open(uri, kernel, attempt));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.candidates.get(uri.toString()) ?? '// KernelPilot: this candidate is no longer under review.';
  }

  register(): void {
    const { context, client } = this;
    client.onRequest(API_KEY_REQUEST, (params: ApiKeyParams) => this.apiKey(params));
    client.onNotification(OPTIMIZE_CHANGED_NOTIFICATION, (params: KernelOfDocument) => void this.onChanged(params));
    context.subscriptions.push(
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(CANDIDATE_SCHEME, this),
      vscode.commands.registerCommand(ClientCommand.optimize, (arg?: unknown) => this.optimize(arg)),
      vscode.commands.registerCommand(ClientCommand.setApiKey, () => this.setApiKey()),
      vscode.commands.registerCommand(ClientCommand.review, (uri?: unknown, kernel?: unknown, attempt?: unknown) => this.reviewCommand(uri, kernel, attempt)),
      vscode.commands.registerCommand(ClientCommand.browseCandidates, (uri?: unknown, kernel?: unknown) => this.browse(uri, kernel)),
      vscode.commands.registerCommand(ClientCommand.showResults, (uri?: unknown, kernel?: unknown) => this.showResults(uri, kernel)),
      vscode.commands.registerCommand(ClientCommand.accept, () => this.accept()),
      vscode.commands.registerCommand(ClientCommand.reject, () => this.reject()),
    );
  }

  /** The key for the endpoint the job names, if the user stored one for exactly that endpoint. */
  private async apiKey(params: ApiKeyParams): Promise<ApiKeyResult> {
    if (params.baseUrl !== endpoint()) return null;
    const key = await this.context.secrets.get(SECRET_PREFIX + params.baseUrl);
    return key ? { key } : null;
  }

  private async setApiKey(): Promise<void> {
    const baseUrl = endpoint();
    const key = await vscode.window.showInputBox({
      title: 'KernelPilot API key',
      prompt: `The key for ${baseUrl} (kernelpilot.optimize.baseUrl). Stored in VS Code's secret storage; empty removes it.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return;
    if (key.trim()) await this.context.secrets.store(SECRET_PREFIX + baseUrl, key.trim());
    else await this.context.secrets.delete(SECRET_PREFIX + baseUrl);
    void vscode.window.showInformationMessage(key.trim() ? `KernelPilot: API key for ${baseUrl} stored.` : `KernelPilot: API key for ${baseUrl} removed; optimize runs the built-in search.`);
  }

  /** Optimize from the palette or the context menu: the kernel at the cursor (the server picks it), the file saved first. */
  private async optimize(arg: unknown): Promise<unknown> {
    const uri = targetUri(arg);
    if (!uri) {
      void vscode.window.showWarningMessage('KernelPilot: open a CUDA file to optimize a kernel.');
      return undefined;
    }
    const cursor = cursorIn(uri);
    return this.started(uri, () => this.client.sendRequest(ExecuteCommandRequest.type, { command: ServerCommand.optimize, arguments: (cursor ? [uri, cursor] : [uri]) satisfies KernelCommandArgs }));
  }

  /** Starts a run (`send`: the server command), after saving the file with the user's say; its progress is followed. */
  async started(uri: string, send: () => Promise<unknown>): Promise<unknown> {
    if (!(await savedForBenchmark(uri, 'optimize'))) return undefined;
    this.expected.add(uri);
    try {
      return await send();
    } catch (error) {
      void vscode.window.showErrorMessage(errorText(error));
      return undefined;
    } finally {
      this.expected.delete(uri);
    }
  }

  /**
   * A cancellable notification for a run this window started; it follows the server's notices and ends with the run.
   * (The server's own work-done progress shows in the status bar, where VS Code offers no cancel.)
   */
  follow(uri: string, kernel: string): void {
    const key = `${uri}\u0000${kernel}`;
    if (this.watched.has(key)) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `KernelPilot: optimizing ${kernel}`, cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        token.onCancellationRequested(() => void this.client.sendRequest(ExecuteCommandRequest.type, { command: ServerCommand.cancelOptimize, arguments: [uri, kernel] }).catch(() => undefined));
        this.watched.set(key, (view) => {
          if (view?.status === 'running') {
            progress.report({ message: view.statusText });
            return;
          }
          this.watched.delete(key);
          resolve();
        });
      }),
    );
  }

  private async onChanged(params: KernelOfDocument): Promise<void> {
    if (this.expected.delete(params.uri)) this.follow(params.uri, params.kernel);
    const update = this.watched.get(`${params.uri}\u0000${params.kernel}`);
    const shown = this.panel.shows(params.uri, params.kernel);
    if (!update && !shown) return;
    const view = await this.result(params.uri, params.kernel).catch(() => null);
    update?.(view);
    if (view) this.panel.update(view);
  }

  private result(uri: string, kernel: string): Promise<OptimizeResult> {
    return this.client.sendRequest<OptimizeResult>(OPTIMIZE_RESULT_REQUEST, { uri, kernel } satisfies KernelOfDocument);
  }

  /** The kernel a palette command means: the one given, else the one with a review lens around the cursor (or the only one). */
  private async kernelAt(arg: unknown, kernel: unknown): Promise<{ uri: string; kernel: string } | undefined> {
    const uri = arg instanceof vscode.Uri ? arg.toString() : typeof arg === 'string' ? arg : vscode.window.activeTextEditor?.document.uri.toString();
    if (!uri) return undefined;
    if (typeof kernel === 'string') return { uri, kernel };
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.parse(uri))) ?? [];
    const reviews = lenses.filter((l) => l.command?.command === ServerCommand.reviewOptimize || l.command?.command === ServerCommand.optimize);
    const cursor = vscode.window.activeTextEditor?.selection.active;
    const here = reviews.filter((l) => !cursor || l.range.start.line <= cursor.line).at(-1) ?? reviews[0];
    const name = here?.command?.arguments?.[1];
    return typeof name === 'string' ? { uri, kernel: name } : undefined;
  }

  private async reviewCommand(arg: unknown, kernel: unknown, attempt: unknown): Promise<void> {
    const target = await this.kernelAt(arg, kernel);
    if (!target) {
      void vscode.window.showWarningMessage('KernelPilot: put the cursor in a kernel that has an optimize result to review.');
      return;
    }
    await this.open(target.uri, target.kernel, typeof attempt === 'string' ? attempt : undefined);
  }

  /** The server's edit for the document as it is now, or a message saying why not (with Optimize Again where that helps). */
  private async plan(uri: string, kernel: string, attempt: string | undefined, version: number): Promise<Plan | undefined> {
    const params: OptimizeEditParams = { uri, kernel, version, ...(attempt ? { attempt } : {}) };
    const plan = await this.client.sendRequest<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, params);
    if (plan.ok) return plan;
    void vscode.window.showErrorMessage(plan.reason, ...(plan.rerun ? [OPTIMIZE_AGAIN] : [])).then((choice) => {
      if (choice === OPTIMIZE_AGAIN) void vscode.commands.executeCommand(ClientCommand.optimize, vscode.Uri.parse(uri));
    });
    return undefined;
  }

  /** Opens the diff of the file now against the file with `attempt`'s kernel (default: the best verified one). */
  async open(uri: string, kernel: string, attempt: string | undefined): Promise<void> {
    const doc = document(uri) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(uri)).then(undefined, () => undefined));
    if (!doc) {
      void vscode.window.showErrorMessage(`KernelPilot: ${vscode.Uri.parse(uri).fsPath} cannot be opened (deleted or moved?); nothing to review against.`);
      return;
    }
    const plan = await this.plan(uri, kernel, attempt, doc.version).catch((error: unknown) => void vscode.window.showErrorMessage(errorText(error)));
    if (!plan) return;
    // A KernelBench task stays as it is: its candidate is a new solution file, shown against an empty one.
    const target = plan.createFile ? vscode.Uri.parse(plan.createFile) : doc.uri;
    const view = vscode.Uri.from({ scheme: CANDIDATE_SCHEME, path: target.path, query: `${kernel}/${plan.attempt}/${plan.version}` });
    const before = plan.createFile ? view.with({ query: `${view.query}/none` }) : doc.uri;
    this.candidates.clear();
    if (plan.createFile) this.candidates.set(before.toString(), '');
    this.candidates.set(view.toString(), plan.createFile ? plan.newText : withPlan(doc, plan));
    this.changed.fire(view);
    this.review = { uri, kernel, plan, view };
    const name = target.path.split('/').pop() ?? '';
    await vscode.commands.executeCommand('vscode.diff', before, view, `${name}${plan.createFile ? ' (new)' : ''} ↔ ${kernel} ${plan.attempt}: ${plan.title}`, { preview: true });
    const notes = plan.notes.length ? ` Note: ${plan.notes.join('; ')}.` : '';
    void vscode.window.showInformationMessage(`KernelPilot: review ${kernel} ${plan.attempt} (${plan.title}).${notes}`, 'Accept', 'Reject').then((choice) => {
      if (choice === 'Accept') void this.accept();
      else if (choice === 'Reject') void this.reject();
    });
  }

  /**
   * Applies the reviewed candidate: one WorkspaceEdit of exactly the kernel's range, only while the document is at the
   * version the review was computed for (the server checks again: the kernel's text, the version).
   */
  async accept(): Promise<boolean> {
    const review = this.review;
    if (!review) {
      void vscode.window.showWarningMessage('KernelPilot: no optimized kernel is under review.');
      return false;
    }
    const doc = document(review.uri);
    if (!doc || doc.isClosed) {
      void vscode.window.showErrorMessage(`KernelPilot: ${vscode.Uri.parse(review.uri).fsPath} was closed; review the candidate again to apply it.`);
      return false;
    }
    if (doc.version !== review.plan.version) {
      const why = `KernelPilot: ${vscode.workspace.asRelativePath(doc.uri)} changed since this review (version ${review.plan.version}, now ${doc.version}); nothing was applied. Review the candidate again.`;
      void vscode.window.showErrorMessage(why, 'Review Again').then((choice) => {
        if (choice === 'Review Again') void this.open(review.uri, review.kernel, review.plan.attempt);
      });
      return false;
    }
    const plan = await this.plan(review.uri, review.kernel, review.plan.attempt, review.plan.version).catch((error: unknown) => void vscode.window.showErrorMessage(errorText(error)));
    if (!plan || doc.version !== plan.version) return false;
    const edit = new vscode.WorkspaceEdit();
    const metadata = { label: `Apply optimized ${review.kernel}`, description: plan.title, needsConfirmation: false };
    // A KernelBench solution: a new file only (VS Code fails the edit if one appeared meanwhile), the task untouched.
    const target = plan.createFile ? vscode.Uri.parse(plan.createFile) : doc.uri;
    // Created with its text, so the file on disk is whole (not an empty file with unsaved text in an editor).
    if (plan.createFile) edit.createFile(target, { overwrite: false, ignoreIfExists: false, contents: new TextEncoder().encode(plan.newText) }, metadata);
    else edit.replace(target, new vscode.Range(plan.range.start.line, plan.range.start.character, plan.range.end.line, plan.range.end.character), plan.newText, metadata);
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) {
      void vscode.window.showErrorMessage(`KernelPilot: VS Code did not apply the edit to ${vscode.workspace.asRelativePath(target)} (${plan.createFile ? 'the file exists now?' : 'it changed meanwhile?'}); nothing was changed.`);
      return false;
    }
    await this.closeReview();
    if (plan.createFile) {
      await vscode.window.showTextDocument(target, { preview: false });
      void vscode.window.showInformationMessage(`KernelPilot: wrote ${review.kernel} ${plan.attempt} (${plan.title}) to ${vscode.workspace.asRelativePath(target)}; the task is unchanged; ▶ Benchmark on the task gates it.`);
      return true;
    }
    await vscode.window.showTextDocument(doc, { preview: false });
    const notes = plan.notes.length ? ` Note: ${plan.notes.join('; ')}.` : '';
    void vscode.window.showInformationMessage(`KernelPilot: applied ${review.kernel} ${plan.attempt} (${plan.title}); Undo restores your kernel. Save to keep it.${notes}`);
    return true;
  }

  async reject(): Promise<void> {
    await this.closeReview();
  }

  private async closeReview(): Promise<void> {
    const review = this.review;
    this.review = undefined;
    if (!review) return;
    this.candidates.delete(review.view.toString());
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === review.view.toString());
    await vscode.window.tabGroups.close(tabs);
  }

  private async showResults(arg: unknown, kernel: unknown): Promise<void> {
    const target = await this.kernelAt(arg, kernel);
    const view = target ? await this.result(target.uri, target.kernel).catch(() => null) : null;
    if (!view) {
      void vscode.window.showWarningMessage('KernelPilot: this kernel has no optimize run yet; run Optimize Kernel first.');
      return;
    }
    this.panel.show(view);
  }

  /** Every verified candidate of the kernel's latest run, best first; the one picked is reviewed. */
  private async browse(arg: unknown, kernel: unknown): Promise<void> {
    const target = await this.kernelAt(arg, kernel);
    const view = target ? await this.result(target.uri, target.kernel).catch(() => null) : null;
    if (!target || !view) {
      void vscode.window.showWarningMessage('KernelPilot: this kernel has no optimize run yet; run Optimize Kernel first.');
      return;
    }
    const verified = view.candidates.filter((c) => c.reviewable && c.speedup !== undefined);
    if (!verified.length) {
      void vscode.window.showInformationMessage(`KernelPilot: the run ${view.runId} of ${view.kernel} has no verified candidate that changes its code.`);
      return;
    }
    const item = (c: CandidateView) => ({
      label: `${c.speedup?.toFixed(2)}× ${c.verdict === 'faster' ? 'faster' : c.verdict.replace(/-/g, ' ')}`,
      description: `${c.id} · ${c.strategy}`,
      detail: [c.seeds !== undefined ? `${c.seeds} seeds` : '', c.probes !== undefined ? `${c.probes} probes passed` : '', c.launch ? `own launch ${c.launch}` : '', c.description ?? ''].filter(Boolean).join(' · '),
      id: c.id,
    });
    const picked = await vscode.window.showQuickPick(verified.map(item), { title: `${view.kernel}: verified candidates on ${view.gpu}, best first` });
    if (picked) await this.open(target.uri, target.kernel, picked.id);
  }
}

/** The lens's "Review" runs the server command; in VS Code it opens the diff review instead. */
export function reviewArgs(args: unknown[]): ReviewCommandArgs | undefined {
  const [uri, kernel, attempt] = args;
  if (typeof uri !== 'string' || typeof kernel !== 'string') return undefined;
  return [uri, kernel, typeof attempt === 'string' ? attempt : undefined];
}
