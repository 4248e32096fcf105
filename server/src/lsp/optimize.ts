// "⚡ Optimize" in the editor: one background optimize job per kernel (optimize-job.ts) with work-done progress and
// cancel, its state on the kernel's lens (round, candidates in flight, best verified speedup), its result restored
// from the run record on open (marked when the source changed), and what applying a candidate needs: the run's
// baseline kernel text and each attempt's replacement text (optimize-edit.ts; a KernelBench task's Model has none: its
// verified ModelNew becomes a new solutions/<task>.py). Requests read this cache only.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeAction, Connection } from 'vscode-languageserver';
import { solutionFileFor } from '../bench/python-bench';
import { discover } from '../kernels/discover';
import type { Kernel } from '../kernels/model';
import type { LoopEvent } from '../optimize/loop';
import { bestOf } from '../optimize/loop';
import type { AttemptRecord, RecordedRun } from '../optimize/record';
import { replaceKernel, verifiedWithout, type KernelReplacement } from '../optimize/apply';
import { API_KEY_REQUEST, OPTIMIZE_CHANGED_NOTIFICATION, type ApiKeyParams, type ApiKeyResult, type KernelOfDocument, type OptimizeEditResult, type OptimizeRunView } from '../protocol/optimize';
import { ServerCommand } from '../protocol/commands';
import { sha256Text } from '../runs/hash';
import { baselineSource, latestOptimizeRun } from '../runs/optimize-latest';
import { openOptimizeRun } from '../runs/optimize-store';
import type { Settings } from '../settings';
import type { Target } from '../targets/target';
import type { KernelDocument } from '../kernels/document';
import { pathOf, type Documents } from './documents';
import { optimizable, workspaceRootFor } from './kernel-ref';
import { applyAction, locate, planEdit, shortGpuName, textIn, type RunBaseline } from './optimize-edit';
import { runOptimizeJob } from './optimize-job';
import { candidateTitle, gateFactsOf, runView, type GateFacts } from './optimize-view';
import { beginJobProgress } from './job-progress';

export const optimizeCommands = { optimize: ServerCommand.optimize, cancelOptimize: ServerCommand.cancelOptimize, reviewOptimize: ServerCommand.reviewOptimize } as const;

/** How long the client may take to hand a job its key before the job runs without one. */
const KEY_WAIT_MS = 30_000;

interface Deps {
  connection: Connection;
  documents: Documents;
  /** Effective settings (rounds, candidates, temperature, time limit) and the user's own (endpoint, model, money). */
  settings: () => Settings;
  userSettings: () => Settings;
  trusted: () => boolean;
  workspaceRoots: () => string[];
  /** The active target (lsp/active-target.ts); rejects when the user's setting names none. */
  target: () => Promise<Target>;
  refreshLenses: () => void;
  client: () => { progress: boolean; showDocument: boolean; annotations: boolean; createFiles: boolean; disabledActions: boolean };
}

/** A run the editor knows: its records so far and what applying its candidates needs. */
interface KnownRun {
  dir: string;
  run: RecordedRun;
  keyless: boolean;
  facts: Map<string, GateFacts>;
  baseline?: RunBaseline & { replacements: Map<string, KernelReplacement> };
  /** Replacements and gate facts still being computed (awaited before a run is shown as done). */
  pending: Array<Promise<void>>;
  /** sourceChanged/kernelChanged for one document version (lens requests come often; hashing a file does not). */
  changed?: { version: number; source: boolean; kernel: boolean };
}

type State =
  | { kind: 'running'; abort: AbortController; keyless: boolean; stage: string; round: number; rounds: number; inFlight: number; best?: number; known?: KnownRun }
  | { kind: 'done'; status: 'done' | 'cancelled' | 'interrupted'; statusText: string; known: KnownRun }
  | { kind: 'failed'; message: string };

const key = (uri: string, kernel: string) => `${uri}\u0000${kernel}`;

function speedup(x: number): string {
  return `${x.toFixed(2)}×`;
}

export class OptimizeService {
  private readonly states = new Map<string, State>();

  constructor(private readonly deps: Deps) {}

  /** Starts a job and answers at once; its state shows on the lens and in progress, its result as a notification. */
  async start(kernel: Kernel, uri: string): Promise<string> {
    const k = key(uri, kernel.qualifiedName);
    if (!optimizable(kernel)) throw new Error(`KernelPilot: Optimize: ${kernel.qualifiedName} is a KernelBench solution; optimize its task's Model instead (its verified ModelNew becomes solutions/<task>.py).`);
    if (this.states.get(k)?.kind === 'running') return `KernelPilot: ${kernel.qualifiedName} is already being optimized.`;
    if (!this.deps.trusted()) throw new Error(`KernelPilot: ${kernel.qualifiedName} was not optimized: this folder is in Restricted Mode, and optimizing compiles and runs code. Trust the folder (Manage Workspace Trust) first.`);
    const document = await this.deps.documents.get(uri);
    const file = pathOf(uri);
    const onDisk = await readFile(file, 'utf8').catch(() => undefined);
    if (!document || onDisk === undefined) throw new Error(`KernelPilot: cannot optimize ${file}: it is not a saved file on disk. Save it first.`);
    if (onDisk !== document.content) throw new Error(`KernelPilot: ${file} has unsaved changes. Save it, then optimize: the gate compiles the file as saved.`);
    // A task's candidates come from the model alone (no built-in search): without a key the command itself is refused.
    const user = this.deps.userSettings().optimize;
    const taskKey = kernel.language === 'kernelbench' ? await this.apiKey({ kernel: kernel.qualifiedName, file, baseUrl: user.baseUrl, model: user.model }, new AbortController().signal) : undefined;
    if (kernel.language === 'kernelbench' && !taskKey) {
      throw new Error(`KernelPilot: ${kernel.qualifiedName} was not optimized: a KernelBench task has no built-in search (no kernel of its own to tune), its ModelNew candidates come from a model, and no API key is set for ${user.baseUrl}. Set one with "KernelPilot: Set API Key", then optimize again.`);
    }
    const state: Extract<State, { kind: 'running' }> = { kind: 'running', abort: new AbortController(), keyless: false, stage: 'starting', round: 0, rounds: 0, inFlight: 0 };
    this.states.set(k, state);
    this.changed(uri, kernel.qualifiedName);
    void this.run(kernel.qualifiedName, uri, state, taskKey).catch((error: unknown) => this.deps.connection.console.error(`optimize ${kernel.qualifiedName}: ${String(error)}`));
    return `KernelPilot: optimizing ${kernel.qualifiedName}…`;
  }

  cancel(uri: string, kernel: string): string {
    const state = this.states.get(key(uri, kernel));
    if (state?.kind !== 'running') return `KernelPilot: no optimize run of ${kernel} is running.`;
    state.abort.abort();
    return `KernelPilot: cancelling the optimize run of ${kernel}…`;
  }

  private changed(uri: string, kernel: string): void {
    this.deps.refreshLenses();
    void this.deps.connection.sendNotification(OPTIMIZE_CHANGED_NOTIFICATION, { uri, kernel } satisfies KernelOfDocument).catch(() => undefined);
  }

  /** The key for one job from the client (VS Code: its secret storage), or undefined: the built-in search runs alone. */
  private async apiKey(params: ApiKeyParams, signal: AbortSignal): Promise<string | undefined> {
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(KEY_WAIT_MS)]);
    try {
      const answer = await new Promise<ApiKeyResult>((resolve, reject) => {
        timeout.addEventListener('abort', () => reject(new Error('no answer')), { once: true });
        this.deps.connection.sendRequest<ApiKeyResult>(API_KEY_REQUEST, params).then(resolve, reject);
      });
      const value = answer && typeof answer.key === 'string' ? answer.key.trim() : '';
      return value || undefined;
    } catch {
      return undefined; // a client that does not hand keys: the built-in search runs
    }
  }

  /** `givenKey`: the key already asked for when the command was taken (a KernelBench task's). */
  private async run(kernel: string, uri: string, state: Extract<State, { kind: 'running' }>, givenKey: string | undefined): Promise<void> {
    const { abort } = state;
    const k = key(uri, kernel);
    const file = pathOf(uri);
    const progress = await beginJobProgress(this.deps.connection, this.deps.client().progress, `KernelPilot: optimizing ${kernel}`, abort);
    const report = () => {
      progress?.report(this.progressText(state));
      this.changed(uri, kernel);
    };
    try {
      const user = this.deps.userSettings().optimize;
      const apiKey = givenKey ?? (await this.apiKey({ kernel, file, baseUrl: user.baseUrl, model: user.model }, abort.signal));
      state.keyless = !apiKey;
      state.stage = 'preparing the baseline';
      report();
      const { dir } = await runOptimizeJob({
        file,
        kernel,
        workspace: workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf)),
        target: await this.deps.target(),
        settings: this.deps.settings().optimize,
        user,
        key: apiKey,
        python: this.deps.userSettings().python || undefined,
        signal: abort.signal,
        onProgress: (line) => {
          progress?.report(line);
          this.deps.connection.console.log(`[optimize ${kernel}] ${line}`);
        },
        onStarted: (started) => {
          state.known = this.knownRun(started.dir, { header: started.header, attempts: [], events: [] }, state.keyless, started.source, started.kernel);
        },
        onEvent: (event) => {
          this.onLoopEvent(state, event);
          report();
        },
      });
      const { run } = await openOptimizeRun(dir);
      const known = state.known ?? this.knownRun(dir, run, state.keyless, undefined, undefined);
      known.run = run;
      this.addFacts(known, run.attempts);
      await Promise.all(known.pending);
      const stop = [...run.events].reverse().find((e) => e.kind === 'stop');
      const done: State = { kind: 'done', status: stop?.reason === 'cancelled' ? 'cancelled' : 'done', statusText: stop ? stop.detail : 'stopped', known };
      this.states.set(k, done);
      // The loop ends a cancelled run itself (its stop event says so): what it verified before stays reviewable.
      const said = done.status === 'cancelled' ? `optimize run of ${kernel} cancelled; ${this.resultText(done, run)}` : `${kernel}: ${this.resultText(done, run)}`;
      void this.deps.connection.window.showInformationMessage(`KernelPilot: ${said}`);
    } catch (error) {
      const message = error instanceof Error ? error.message.replace(/^KernelPilot: /, '') : String(error);
      if (abort.signal.aborted) {
        this.states.delete(k);
        void this.deps.connection.window.showInformationMessage(`KernelPilot: optimize run of ${kernel} cancelled.`);
      } else {
        this.states.set(k, { kind: 'failed', message });
        void this.deps.connection.window.showErrorMessage(`KernelPilot: optimize run of ${kernel} failed: ${message}`);
      }
    } finally {
      progress?.done();
      this.changed(uri, kernel);
    }
  }

  private onLoopEvent(state: Extract<State, { kind: 'running' }>, event: LoopEvent): void {
    switch (event.kind) {
      case 'round-start':
        Object.assign(state, { round: event.round, rounds: event.rounds, stage: `round ${event.round}/${event.rounds}` });
        break;
      case 'attempt-start':
        state.inFlight++;
        break;
      case 'attempt-end':
        if (!event.replayed) state.inFlight = Math.max(0, state.inFlight - 1);
        if (state.known) {
          state.known.run.attempts.push(event.record);
          this.addReplacement(state.known, event.record);
          this.addFacts(state.known, [event.record]);
        }
        break;
      case 'round-end':
        if (event.best) state.best = event.best.speedup;
        break;
      case 'stop':
        state.stage = `stopping: ${event.detail}`;
        break;
    }
  }

  private progressText(state: Extract<State, { kind: 'running' }>): string {
    const search = state.keyless ? 'built-in search (no API key) · ' : '';
    if (state.round === 0) return `${search}${state.stage}`;
    return `${search}round ${state.round}/${state.rounds} · ${state.inFlight} in flight · best ${state.best ? `${speedup(state.best)} verified` : 'none yet'}`;
  }


  private knownRun(dir: string, run: RecordedRun, keyless: boolean, source: string | undefined, kernel: Kernel | undefined): KnownRun {
    const known: KnownRun = { dir, run, keyless, facts: new Map(), pending: [] };
    if (source !== undefined && kernel) known.baseline = { source, kernel, kernelText: textIn(source, kernel.range), specLaunch: run.header.spec.launch, replacements: new Map() };
    for (const attempt of run.attempts) this.addReplacement(known, attempt);
    return known;
  }

  /** The attempt's candidate as a replacement of the baseline's kernel (parsed in the background, never on a request). */
  private addReplacement(known: KnownRun, attempt: AttemptRecord): void {
    const b = known.baseline;
    const candidate = attempt.candidate;
    // A KernelBench candidate is a whole ModelNew file, written beside the task: nothing of the task is replaced.
    if (!b || !candidate || b.kernel.language === 'kernelbench') return;
    known.pending.push(replaceKernel(b.source, b.kernel, candidate.source).then((r) => void b.replacements.set(attempt.id, r), (error: unknown) => void b.replacements.set(attempt.id, { ok: false, problem: String(error) })));
  }

  /** Seeds and probes of each verified attempt, read from its gate record in the background. */
  private addFacts(known: KnownRun, attempts: readonly AttemptRecord[]): void {
    for (const attempt of attempts) {
      if (known.facts.has(attempt.id)) continue;
      known.facts.set(attempt.id, {});
      known.pending.push(gateFactsOf(attempt).then((facts) => void known.facts.set(attempt.id, facts)));
    }
  }

  private resultText(state: Extract<State, { kind: 'done' }>, run: RecordedRun): string {
    const best = bestOf(run.attempts);
    if (!best) return `nothing faster found${state.known.keyless ? ' by the built-in search (no API key set)' : ''}: ${state.statusText}`;
    const seeds = state.known.facts.get(best.id)?.seeds;
    return `${speedup(best.speedup)} faster${seeds ? `, verified on ${seeds} seeds` : ', verified'} (${best.id}; ${state.statusText})`;
  }

  private kernelState(uri: string, kernel: string): State | undefined {
    return this.states.get(key(uri, kernel));
  }

  /** Whether the document differs from the run's baseline, and whether its kernel does; cached per version. */
  private changes(known: KnownRun, document: KernelDocument, kernel: Kernel): { source: boolean; kernel: boolean } {
    if (known.changed?.version !== document.version) {
      const source = sha256Text(document.content) !== known.run.header.baselineSha256;
      const kernelChanged = !known.baseline || (source && !locate(document.content, kernel, known.baseline.kernelText));
      known.changed = { version: document.version, source, kernel: kernelChanged };
    }
    return known.changed;
  }

  /** The optimize lens of a CUDA or Triton kernel. */
  lensFor(uri: string, kernel: Kernel, document: KernelDocument): { title: string; command: string; arguments: unknown[] } {
    const state = this.kernelState(uri, kernel.qualifiedName);
    const args = [uri, kernel.qualifiedName];
    const optimize = (title: string) => ({ title, command: optimizeCommands.optimize, arguments: args });
    switch (state?.kind) {
      case 'running': {
        const search = state.keyless ? 'built-in search (no API key) · ' : '';
        const where = state.round === 0 ? `${state.stage}…` : `round ${state.round}/${state.rounds} · ${state.best ? `best ${speedup(state.best)} verified` : `${state.inFlight} in flight`}`;
        return { title: `⚡ ${search}${where} · cancel`, command: optimizeCommands.cancelOptimize, arguments: args };
      }
      case 'done': {
        const best = bestOf(state.known.run.attempts);
        const changes = this.changes(state.known, document, kernel);
        const cancelled = state.status === 'cancelled' ? ' (run cancelled)' : state.status === 'interrupted' ? ' (run interrupted)' : '';
        if (!best && state.status === 'cancelled') return optimize('⚡ Optimize (last run cancelled)');
        if (!best) return optimize(`⚡ nothing faster found${state.known.keyless ? ' by the built-in search (no API key)' : ''}${cancelled} · Optimize again`);
        const seeds = state.known.facts.get(best.id)?.seeds;
        const gain = `⚡ ${speedup(best.speedup)} faster · verified${seeds ? ` on ${seeds} seeds` : ''}`;
        if (changes.kernel) return optimize(`${gain} · ${kernel.qualifiedName} changed since the run · Optimize again`);
        return { title: `${gain} · Review${changes.source ? ' (file edited since the run)' : ''}${cancelled}`, command: optimizeCommands.reviewOptimize, arguments: [...args, best.id] };
      }
      case 'failed':
        return optimize('⚡ Optimize (last run failed)');
      default:
        return optimize(this.deps.trusted() ? '⚡ Optimize' : '⚡ Optimize (Restricted Mode: trust the folder first)');
    }
  }

  hoverSection(uri: string, kernel: Kernel): string | undefined {
    const state = this.kernelState(uri, kernel.qualifiedName);
    if (state?.kind === 'failed') return `**Last optimize run failed:** ${state.message}`;
    if (state?.kind !== 'done') return undefined;
    // What the best was verified with that Accept cannot write (its own launch, nvcc options), said where it is shown.
    const best = bestOf(state.known.run.attempts);
    const notes = best?.record.candidate && state.known.baseline ? verifiedWithout(best.record.candidate, kernel, state.known.baseline.specLaunch) : [];
    return [`**Optimize run** \`${state.known.run.header.id}\`: ${this.resultText(state, state.known.run)}`, ...notes.map((n) => `Not in the edit: ${n}.`), `record: \`${state.known.dir}\``].join('\n\n');
  }

  /** The run as the panel and the review show it (null: no run of this kernel yet). */
  view(uri: string, kernelName: string, document: KernelDocument | undefined): OptimizeRunView | null {
    const state = this.kernelState(uri, kernelName);
    if (state?.kind !== 'done' && state?.kind !== 'running') return null;
    const known = state.known;
    if (!known) return null;
    const kernel = document?.kernels().kernels.find((k) => k.qualifiedName === kernelName);
    const changes = document && kernel ? this.changes(known, document, kernel) : { source: true, kernel: true };
    const status = state.kind === 'running' ? 'running' : state.status;
    const statusText = state.kind === 'running' ? this.progressText(state) : state.statusText;
    const replacements = known.baseline?.replacements;
    const solutions = known.baseline?.kernel.language === 'kernelbench';
    const reviewable = (id: string) => {
      if (solutions) return known.run.attempts.some((a) => a.id === id && a.candidate !== undefined);
      const r = replacements?.get(id);
      return r?.ok === true && r.changed;
    };
    return runView({ uri, run: known.run, dir: known.dir, status, statusText, keyless: known.keyless, facts: known.facts, reviewable, sourceChanged: changes.source, kernelChanged: changes.kernel, language: known.baseline?.kernel.language ?? kernel?.language ?? 'cuda' });
  }

  /** The edit applying `attempt` (default: the best verified one) to the document as it is at `version`. */
  edit(uri: string, kernelName: string, document: KernelDocument, attemptId: string | undefined, version: number | undefined): OptimizeEditResult {
    const state = this.kernelState(uri, kernelName);
    const known = state?.kind === 'done' || state?.kind === 'running' ? state.known : undefined;
    if (!known) return { ok: false, reason: `KernelPilot: ${kernelName} has no optimize run yet; run Optimize first.`, rerun: true };
    const id = attemptId ?? bestOf(known.run.attempts)?.id;
    const attempt = known.run.attempts.find((a) => a.id === id);
    if (!attempt) return { ok: false, reason: `KernelPilot: ${id ? `the run ${known.run.header.id} has no attempt ${id}` : `the run ${known.run.header.id} found nothing faster`}; there is nothing to apply.`, rerun: !id };
    const row = this.view(uri, kernelName, document)?.candidates.find((c) => c.id === attempt.id);
    const title = row ? candidateTitle(row, known.run.header.baseline.gpu.name) : attempt.id;
    const solution = known.baseline?.kernel.language === 'kernelbench' ? solutionFileFor(pathOf(uri)) : undefined;
    return planEdit({ uri, document, kernelName, attempt, baseline: known.baseline, ...(version !== undefined ? { version } : {}), title, ...(solution ? { solution: { file: solution, exists: existsSync(solution), creatable: this.deps.client().createFiles } } : {}) });
  }

  /** Code actions on a kernel: optimize or cancel, and apply the best verified candidate (for every LSP editor). */
  codeActions(uri: string, kernel: Kernel, document: KernelDocument): CodeAction[] {
    const args = [uri, kernel.qualifiedName];
    const state = this.kernelState(uri, kernel.qualifiedName);
    if (state?.kind === 'running') return [{ title: `KernelPilot: Cancel optimizing ${kernel.qualifiedName}`, command: { title: 'Cancel', command: optimizeCommands.cancelOptimize, arguments: args } }];
    const actions: CodeAction[] = [{ title: `KernelPilot: Optimize ${kernel.qualifiedName}`, command: { title: 'Optimize Kernel', command: optimizeCommands.optimize, arguments: args } }];
    const best = state?.kind === 'done' ? bestOf(state.known.run.attempts) : undefined;
    if (state?.kind === 'done' && best) {
      const plan = this.edit(uri, kernel.qualifiedName, document, best.id, undefined);
      const what = kernel.language === 'kernelbench' ? `Write optimized ModelNew to solutions/${basename(pathOf(uri))}` : 'Apply optimized kernel';
      const title = `${what} (${speedup(best.speedup)}, verified on ${shortGpuName(state.known.run.header.baseline.gpu.name)})`;
      actions.push(applyAction(plan, title, uri, kernel.qualifiedName, { annotations: this.deps.client().annotations, disabled: this.deps.client().disabledActions }, { command: optimizeCommands.reviewOptimize, arguments: [...args, best.id] }));
    }
    return actions;
  }

  /**
   * The lens's "Review" outside VS Code (whose client opens its own diff review): refuses as Accept would, else shows
   * the candidate's diff from the run record (window/showDocument) and says how to apply it.
   */
  async review(uri: string, kernelName: string, document: KernelDocument, attemptId: string | undefined): Promise<string> {
    const plan = this.edit(uri, kernelName, document, attemptId, undefined);
    if (!plan.ok) throw new Error(plan.reason);
    const state = this.kernelState(uri, kernelName);
    const dir = state?.kind === 'done' ? state.known.dir : '';
    // A KernelBench candidate is a whole new file: it is shown as it is, not as a diff of the task.
    const shown = join(dir, 'attempts', plan.attempt, plan.createFile ? 'candidate.py' : 'candidate.diff');
    if (this.deps.client().showDocument) await this.deps.connection.window.showDocument({ uri: pathToFileURL(shown).toString(), takeFocus: true }).catch(() => undefined);
    const notes = plan.notes.length ? ` Not in the edit: ${plan.notes.join('; ')}.` : '';
    if (plan.createFile) return `KernelPilot: ${plan.attempt} (${plan.title}): its ModelNew is ${shown}; write it to ${fileURLToPath(plan.createFile)} with the code action "Write optimized ModelNew" on ${kernelName}.`;
    return `KernelPilot: ${plan.attempt} (${plan.title}): its diff is ${shown}; apply it with the code action "Apply optimized kernel" on ${kernelName}.${notes}`;
  }

  /**
   * On open: the latest optimize run of each CUDA or Triton kernel in the file, from its record, so results survive a restart.
   * Read in the background; the run's baseline comes from the document when unchanged, else from the record's diffs.
   */
  async restore(uri: string): Promise<void> {
    const document = await this.deps.documents.get(uri);
    if (!document) return;
    const file = pathOf(uri);
    const root = workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf));
    for (const kernel of document.kernels().kernels.filter(optimizable)) {
      const k = key(uri, kernel.qualifiedName);
      const latest = await latestOptimizeRun(root, kernel.qualifiedName, file);
      if (!latest || this.states.has(k)) continue; // a job started meanwhile wins
      const source = baselineSource(latest.run, document.content);
      const then = source === undefined ? undefined : (await discover(file, source)).kernels.find((x) => x.qualifiedName === kernel.qualifiedName);
      const stop = [...latest.run.events].reverse().find((e) => e.kind === 'stop');
      const known = this.knownRun(latest.dir, latest.run, false, source, then);
      this.addFacts(known, latest.run.attempts);
      await Promise.all(known.pending);
      if (this.states.has(k)) continue;
      this.states.set(k, { kind: 'done', status: !stop ? 'interrupted' : stop.reason === 'cancelled' ? 'cancelled' : 'done', statusText: stop?.detail ?? 'no stop recorded (interrupted)', known });
      this.changed(uri, kernel.qualifiedName);
    }
  }

  /** Jobs outlive their document's tab; shutdown stops them. */
  dispose(): void {
    for (const state of this.states.values()) if (state.kind === 'running') state.abort.abort();
  }
}
