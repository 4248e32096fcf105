// A real LSP client for tests and benchmarks: spawns `node dist/cli.js lsp --stdio` and speaks JSON-RPC to it
// over stdio with vscode-jsonrpc, the same transport library VS Code's client uses. Records what the server
// pushes (logs, messages, diagnostics, lens refreshes) so tests can assert on it and print it on failure.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  CodeLens,
  Diagnostic,
  DocumentSymbol,
  Hover,
  InitializeResult,
  Position,
  PublishDiagnosticsParams,
  Range,
  SymbolInformation,
  TextDocumentContentChangeEvent,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { ServerCommand } from '../../server/src/protocol/commands';

export const repoRoot = join(__dirname, '..', '..');
/** The built CLI; KP_CLI points the tests at another build (e.g. an installed package). */
export const cliPath = process.env.KP_CLI ? resolve(process.env.KP_CLI) : join(repoRoot, 'dist', 'cli.js');

/** The `kernelpilot.*` settings as VS Code hands them out for `workspace/configuration` with section `kernelpilot`. */
export interface ClientSettings {
  cuda?: Record<string, unknown>;
  check?: Record<string, unknown>;
  optimize?: Record<string, unknown>;
  /** `kernelpilot.targets` and `kernelpilot.activeTarget`: where the check and the jobs run. */
  targets?: Record<string, unknown>;
  activeTarget?: string;
  /** `kernelpilot.python`: the Python gates' python. */
  python?: string;
}

export interface StartOptions {
  settings?: ClientSettings;
  /** Workspace folder (absolute path). */
  root?: string;
  /** Also send the settings as `initializationOptions.settings` (default true). */
  initializationSettings?: boolean;
  /**
   * The user's own settings, sent as `initializationOptions.settings` instead of `settings`; `settings` are then
   * only the workspace/configuration answer, as when a repository's settings differ from the user's.
   */
  userSettings?: ClientSettings;
  /** Sent as `initializationOptions.workspaceTrusted` (VS Code's Restricted Mode when false). */
  workspaceTrusted?: boolean;
  /** Extra node flags for the server process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Answer workspace/codeLens/refresh with an error, as a client may. */
  refuseLensRefresh?: boolean;
  /** Advertise window.workDoneProgress and window.showDocument, as VS Code does (default false: a minimal client). */
  windowFeatures?: boolean;
  /** Advertise versioned workspace edits with change annotations and disabled code actions, as VS Code does. */
  editFeatures?: boolean;
  /** Run this script (argv after node) as the server instead of `dist/cli.js lsp --stdio`. */
  serverArgs?: string[];
  /** Added to the server's environment. */
  env?: Record<string, string>;
}

/** The commands of the benchmark lens (one per CUDA kernel, beside the static-check lens). */
export const BENCH_LENS_COMMANDS: string[] = [ServerCommand.benchmark, ServerCommand.cancelBenchmark];
export const OPTIMIZE_LENS_COMMANDS: string[] = [ServerCommand.optimize, ServerCommand.cancelOptimize, ServerCommand.reviewOptimize];
export const PROFILE_LENS_COMMANDS: string[] = [ServerCommand.profile, ServerCommand.cancelProfile, ServerCommand.openProfileReport];

export interface ShowMessage {
  type: number;
  message: string;
}

export function uriOf(path: string): string {
  return pathToFileURL(path).toString();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lines and UTF-16 columns of `needle`'s `occurrence`-th appearance in `text` (0-based). */
export function positionOf(text: string, needle: string, occurrence = 0): Position {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index === -1) throw new Error(`'${needle}' (#${occurrence}) not in the text`);
  }
  const before = text.slice(0, index);
  const line = before.split('\n').length - 1;
  return { line, character: index - (before.lastIndexOf('\n') + 1) };
}

/** The range of `needle` in `text`. */
export function rangeOf(text: string, needle: string, occurrence = 0): Range {
  const start = positionOf(text, needle, occurrence);
  const lines = needle.split('\n');
  const end = lines.length === 1 ? { line: start.line, character: start.character + needle.length } : { line: start.line + lines.length - 1, character: lines[lines.length - 1].length };
  return { start, end };
}

/** Applies an LSP change to a string, as the server must (for tests that keep the expected text). */
export function applyChange(text: string, change: TextDocumentContentChangeEvent): string {
  if (!('range' in change)) return change.text;
  const offset = (p: Position) => {
    let index = 0;
    for (let line = 0; line < p.line; line++) index = text.indexOf('\n', index) + 1;
    return index + p.character;
  };
  return text.slice(0, offset(change.range.start)) + change.text + text.slice(offset(change.range.end));
}

/** Live processes (Linux /proc) whose command line mentions `needle`: to find compilers a server left behind. */
export function processesMentioning(needle: string): { pid: number; args: string }[] {
  const found: { pid: number; args: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const state = /\) (\w)/.exec(readFileSync(`/proc/${entry}/stat`, 'utf8'))?.[1];
      if (args.includes(needle) && state !== 'Z') found.push({ pid: Number(entry), args });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export class LspClient {
  readonly logs: string[] = [];
  readonly messages: ShowMessage[] = [];
  /** Every publishDiagnostics, in arrival order. */
  readonly diagnostics: PublishDiagnosticsParams[] = [];
  readonly configurationRequests: unknown[] = [];
  /** window/workDoneProgress/create tokens and every $/progress value, in order. */
  readonly progress: { token: string | number; value: { kind: string; title?: string; message?: string; cancellable?: boolean } }[] = [];
  readonly progressTokens: (string | number)[] = [];
  readonly shownDocuments: { uri: string; takeFocus?: boolean }[] = [];
  lensRefreshes = 0;
  refuseLensRefresh = false;
  stderr = '';
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<number | null>;
  settings: ClientSettings;
  private versions = new Map<string, number>();

  private constructor(
    readonly process: ChildProcessWithoutNullStreams,
    readonly connection: MessageConnection,
    settings: ClientSettings,
  ) {
    this.settings = settings;
    this.exited = new Promise((resolve) => {
      process.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve(code);
      });
    });
    process.stderr.setEncoding('utf8');
    process.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    connection.onNotification('window/logMessage', (p: { type: number; message: string }) => this.logs.push(`[${p.type}] ${p.message}`));
    connection.onNotification('window/showMessage', (p: ShowMessage) => this.messages.push(p));
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => this.diagnostics.push(p));
    connection.onNotification('$/logTrace', () => undefined);
    connection.onRequest('window/showMessageRequest', (p: ShowMessage) => {
      this.messages.push(p);
      return null;
    });
    connection.onRequest('workspace/configuration', (p: { items: { section?: string; scopeUri?: string }[] }) => {
      this.configurationRequests.push(p);
      const answer = p.items.map((item) => this.section(item.section));
      setImmediate(() => this.configurationAnswered?.());
      return answer;
    });
    connection.onRequest('workspace/codeLens/refresh', () => {
      this.lensRefreshes++;
      if (this.refuseLensRefresh) throw new Error('this client refuses lens refreshes');
      return null;
    });
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('client/unregisterCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      this.progressTokens.push(p.token);
      return null;
    });
    connection.onNotification('$/progress', (p: LspClient['progress'][number]) => this.progress.push(p));
    connection.onRequest('window/showDocument', (p: { uri: string; takeFocus?: boolean }) => {
      this.shownDocuments.push(p);
      return { success: true };
    });
  }

  /** Spawns the server and completes the initialize / initialized handshake. */
  static async start(options: StartOptions = {}): Promise<LspClient> {
    if (!options.serverArgs && !existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    const serverArgs = options.serverArgs ?? [cliPath, 'lsp', '--stdio'];
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...serverArgs], { cwd: options.root ?? repoRoot, stdio: 'pipe', env: { ...process.env, ...options.env } });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspClient(child, connection, options.settings ?? {});
    client.refuseLensRefresh = options.refuseLensRefresh === true;
    connection.listen();
    const root = options.root ?? repoRoot;
    const configured = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000); // a server that never asks still gets going
      client.configurationAnswered = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const died = client.exited.then((code) => {
      throw new Error(`the server exited (code ${code}, signal ${client.exitSignal}) before initialize answered\n${client.transcript()}`);
    });
    const initializing = connection.sendRequest<InitializeResult>('initialize', {
      processId: process.pid,
      clientInfo: { name: 'kernelpilot-test-client', version: '1' },
      rootUri: uriOf(root),
      workspaceFolders: [{ uri: uriOf(root), name: 'workspace' }],
      initializationOptions: options.initializationSettings === false
        ? undefined
        : { settings: options.userSettings ?? options.settings ?? {}, ...(options.workspaceTrusted === undefined ? {} : { workspaceTrusted: options.workspaceTrusted }) },
      capabilities: {
        workspace: {
          configuration: true,
          codeLens: { refreshSupport: true },
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: false },
          ...(options.editFeatures ? { workspaceEdit: { documentChanges: true, resourceOperations: ['create'], changeAnnotationSupport: { groupsOnLabel: true } } } : {}),
        },
        textDocument: {
          synchronization: { didSave: true, dynamicRegistration: false },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          codeLens: {},
          ...(options.editFeatures ? { codeAction: { disabledSupport: true } } : {}),
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { relatedInformation: true },
        },
        window: options.windowFeatures ? { showMessage: {}, workDoneProgress: true, showDocument: { support: true } } : { showMessage: {}, workDoneProgress: false },
        general: { positionEncodings: ['utf-16'] },
      },
    });
    died.catch(() => undefined); // observed below, or irrelevant once initialized
    client.initializeResult = await Promise.race([initializing, died]);
    await connection.sendNotification('initialized', {});
    // Settings are pulled right after `initialized`; opening documents before the answer would race them.
    await configured;
    return client;
  }

  initializeResult: InitializeResult | undefined;
  private configurationAnswered: (() => void) | undefined;

  private section(section: string | undefined): unknown {
    const all = { kernelpilot: this.settings };
    if (!section) return all;
    let value: unknown = all;
    for (const key of section.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return value ?? null;
  }

  /** Changes the settings the client answers with and tells the server (which pulls them again). */
  async updateSettings(settings: ClientSettings): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
  }

  async open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** Sends changes with the next version number; returns that version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  async save(uri: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didSave', { textDocument: { uri } });
  }

  async close(uri: string): Promise<void> {
    this.versions.delete(uri);
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** A request that fails (with the server's transcript) when the server dies instead of answering. */
  request<T>(method: string, params?: unknown): Promise<T> {
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const died = new Promise<never>((_, reject) => {
      keepAlive = setInterval(() => undefined, 1000); // a dead server must not leave the event loop empty
      void this.exited.then((code) => reject(new Error(`the server exited (code ${code}, signal ${this.exitSignal}) instead of answering ${method}\n${this.transcript()}`)));
    });
    died.catch(() => undefined); // the answer may fail first (connection closed); the exit must not then go unobserved
    const answer = params === undefined ? this.connection.sendRequest<T>(method) : this.connection.sendRequest<T>(method, params);
    return Promise.race([answer, died]).finally(() => clearInterval(keepAlive));
  }

  symbols(uri: string): Promise<DocumentSymbol[] | SymbolInformation[] | null> {
    return this.request('textDocument/documentSymbol', { textDocument: { uri } });
  }

  /** Symbol names in document order (the server answers with hierarchical DocumentSymbols). */
  async symbolNames(uri: string): Promise<string[]> {
    const symbols = (await this.symbols(uri)) ?? [];
    return symbols.map((s) => s.name);
  }

  /** The static-check lenses (one per kernel); the benchmark, profile and optimize lenses are in allLenses. */
  async lenses(uri: string): Promise<CodeLens[] | null> {
    const all = await this.allLenses(uri);
    const jobs = [...BENCH_LENS_COMMANDS, ...OPTIMIZE_LENS_COMMANDS, ...PROFILE_LENS_COMMANDS];
    return all && all.filter((l) => !jobs.includes(l.command?.command ?? ''));
  }

  allLenses(uri: string): Promise<CodeLens[] | null> {
    return this.request('textDocument/codeLens', { textDocument: { uri } });
  }

  codeActions(uri: string, range: Range): Promise<Array<{ title: string; command?: { command: string; arguments?: unknown[] }; edit?: WorkspaceEdit; disabled?: { reason: string } }> | null> {
    return this.request('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [] } });
  }

  async cancelProgress(token: string | number): Promise<void> {
    await this.connection.sendNotification('window/workDoneProgress/cancel', { token });
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.request('textDocument/hover', { textDocument: { uri }, position });
  }

  executeCommand(command: string, args: unknown[]): Promise<unknown> {
    return this.request('workspace/executeCommand', { command, arguments: args });
  }

  /** The diagnostics last published for a URI (undefined: none published yet). */
  lastDiagnostics(uri: string): Diagnostic[] | undefined {
    for (let i = this.diagnostics.length - 1; i >= 0; i--) if (this.diagnostics[i].uri === uri) return this.diagnostics[i].diagnostics;
    return undefined;
  }

  /** Polls `probe` until it returns a value other than undefined, or throws with `what` and the server log. */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      last = value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})\n${this.transcript()}`);
      await sleep(intervalMs);
    }
  }

  /** Lens titles, polled until `done(titles)` holds. */
  async waitForLenses(uri: string, done: (titles: string[]) => boolean, what: string, timeoutMs = 20_000): Promise<CodeLens[]> {
    let lastTitles: string[] = [];
    try {
      return await this.waitFor(what, async () => {
        const lenses = (await this.lenses(uri)) ?? [];
        lastTitles = lenses.map((l) => l.command?.title ?? '');
        return done(lastTitles) ? lenses : undefined;
      }, timeoutMs, 150);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nlast lens titles: ${JSON.stringify(lastTitles)}`);
    }
  }

  /** What the server said, for failure messages. */
  transcript(): string {
    const lines = [
      '--- server log (window/logMessage) ---',
      ...this.logs,
      '--- window/showMessage ---',
      ...this.messages.map((m) => `[${m.type}] ${m.message}`),
      '--- stderr ---',
      this.stderr.trimEnd(),
    ];
    return lines.join('\n');
  }

  /** shutdown + exit; resolves with the process's exit code. */
  async stop(timeoutMs = 5000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    await this.request('shutdown');
    await this.connection.sendNotification('exit');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }

  /** For `finally` blocks: stops the server however it is doing. */
  async dispose(): Promise<void> {
    if (this.exitCode !== undefined) return;
    try {
      await Promise.race([this.stop(3000), sleep(4000)]);
    } catch {
      // the connection may already be gone
    }
    if (this.exitCode === undefined) this.process.kill('SIGKILL');
    this.connection.dispose();
  }
}

/** How long a test body may run with a client before it fails (a server that stops answering must not hang CI). */
export const DEFAULT_BODY_LIMIT_MS = 120_000;

/**
 * Runs `body` with a started client; on failure the test's output gets the server's transcript. Always disposes.
 * The body fails after `limitMs` (default DEFAULT_BODY_LIMIT_MS), whatever it was waiting for.
 */
export async function withLspClient(t: { diagnostic(message: string): void }, options: StartOptions, body: (client: LspClient) => Promise<void>, limitMs = DEFAULT_BODY_LIMIT_MS): Promise<void> {
  const client = await LspClient.start(options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the test did not finish within ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([body(client), expired]);
  } catch (error) {
    t.diagnostic(client.transcript());
    throw error;
  } finally {
    clearTimeout(timer);
    await client.dispose();
  }
}
