import {
  type CodeAction,
  type CodeLens,
  CodeLensRefreshRequest,
  createConnection,
  type Connection,
  type InitializeResult,
  ProposedFeatures,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { describeKernel } from '../kernels/describe';
import type { Kernel } from '../kernels/model';
import { loadGrammars } from '../kernels/parsers';
import { mergeSettings, type Settings, defaultSettings } from '../settings';
import { LocalTarget } from '../targets/local';
import type { Target } from '../targets/target';
import { BenchService, benchCommands } from './bench';
import { CheckService } from './checks';
import { contains, kernelSymbol, toLspRange } from './convert';
import { DiagnosticSink } from './diagnostics';
import { Documents } from './documents';
import { kernelRefOf, resolveKernelRef, type KernelRef } from './kernel-ref';
import { isSpecUri, SpecFiles, specCommands } from './specs';

export const serverCommands = { recheck: 'kernelpilot.server.recheck', ...benchCommands, createSpec: specCommands.create } as const;

export interface ServerOptions {
  /** Where bench jobs run; default this machine. Tests pass a stand-in GPU. */
  target?: Target;
}

/** Wires LSP requests to the engine. Every request handler reads cached state only: no process, no full parse. */
export function startLanguageServer(connection: Connection = createConnection(ProposedFeatures.all), options: ServerOptions = {}): void {
  const documents = new Documents();
  const diagnostics = new DiagnosticSink(connection);
  let settings: Settings = defaultSettings;
  let configurationPull = false;
  let lensRefresh = false;
  let progressSupport = false;
  let showDocumentSupport = false;
  let workspaceRoots: string[] = [];

  const refreshLenses = () => {
    if (lensRefresh) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined); // a client may refuse: lenses come on its next request
  };
  const specs = new SpecFiles({ connection, diagnostics, workspaceRoots: () => workspaceRoots, showDocument: () => showDocumentSupport });
  const createSpec = async (ref: KernelRef): Promise<string> => {
    const kernel = await resolveKernelRef(documents, ref, 'Create Bench Spec');
    return specs.create(kernel, ref.uri, (await documents.get(ref.uri))?.content ?? '');
  };
  const bench = new BenchService({
    connection,
    diagnostics,
    documents,
    settings: () => settings,
    workspaceRoots: () => workspaceRoots,
    target: options.target ?? new LocalTarget({ sandbox: () => settings.sandbox, onSandboxNotice: (message) => void connection.window.showWarningMessage(message) }),
    refreshLenses,
    progress: () => progressSupport,
    createSpec,
  });
  const checks = new CheckService({
    connection,
    diagnostics,
    settings: () => settings,
    workspaceRoots: () => workspaceRoots,
    documents,
    refreshLenses,
  });

  connection.onInitialize((params): InitializeResult => {
    configurationPull = params.capabilities.workspace?.configuration === true;
    lensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    progressSupport = params.capabilities.window?.workDoneProgress === true;
    showDocumentSupport = params.capabilities.window?.showDocument?.support === true;
    workspaceRoots = (params.workspaceFolders ?? []).map((f) => f.uri).concat(params.rootUri ? [params.rootUri] : []);
    settings = mergeSettings((params.initializationOptions as { settings?: unknown } | undefined)?.settings);
    void loadGrammars(); // warm the wasm runtime before the first document arrives
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        documentSymbolProvider: { label: 'KernelPilot' },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        codeActionProvider: true,
        executeCommandProvider: { commands: Object.values(serverCommands) },
      },
      serverInfo: { name: 'kernelpilot', version: '0.1.0' },
    };
  });

  const pullSettings = async () => {
    if (!configurationPull) return;
    const raw: unknown = await connection.workspace.getConfiguration('kernelpilot');
    settings = mergeSettings(raw);
  };
  connection.onInitialized(() => void pullSettings().catch((e: unknown) => connection.console.error(`reading settings: ${String(e)}`)));
  connection.onDidChangeConfiguration((change) => {
    if (configurationPull) void pullSettings().then(() => checks.recheckAll());
    else {
      settings = mergeSettings((change.settings as { kernelpilot?: unknown } | undefined)?.kernelpilot);
      checks.recheckAll();
    }
  });

  connection.onDidOpenTextDocument(async ({ textDocument }) => {
    if (isSpecUri(textDocument.uri)) return specs.didOpen(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
    try {
      const document = await documents.open(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
      if (document && settings.check.onOpen) checks.schedule(textDocument.uri);
      if (document) void bench.restore(textDocument.uri).catch((e: unknown) => connection.console.error(`reading earlier benchmarks of ${textDocument.uri}: ${String(e)}`));
    } catch (error) {
      connection.console.error(`KernelPilot could not analyse ${textDocument.uri}: ${String(error)}`);
    }
  });
  connection.onDidChangeTextDocument(async ({ textDocument, contentChanges }) => {
    if (specs.isOpen(textDocument.uri)) return specs.didChange(textDocument.uri, textDocument.version, contentChanges);
    try {
      await documents.change(textDocument.uri, textDocument.version, contentChanges);
    } catch (error) {
      connection.console.error(`KernelPilot could not update ${textDocument.uri}: ${String(error)}`);
    }
  });
  connection.onDidSaveTextDocument(({ textDocument }) => {
    if (settings.check.onSave) checks.schedule(textDocument.uri);
  });
  connection.onDidCloseTextDocument(({ textDocument }) => {
    if (specs.isOpen(textDocument.uri)) return specs.didClose(textDocument.uri);
    checks.forget(textDocument.uri);
    documents.close(textDocument.uri);
  });

  const kernelsOf = async (uri: string): Promise<Kernel[]> => (await documents.get(uri))?.kernels().kernels ?? [];

  connection.onDocumentSymbol(async ({ textDocument }) => (await kernelsOf(textDocument.uri)).map(kernelSymbol));

  connection.onCodeLens(async ({ textDocument }) => {
    const uri = textDocument.uri;
    const document = await documents.get(uri);
    if (!document) return [];
    return document.kernels().kernels.flatMap((kernel) => {
      const range = toLspRange(kernel.nameRange);
      const lens = checks.lensFor(uri, kernel);
      const lenses: CodeLens[] = [{ range, command: lens.command ? { title: lens.title, command: lens.command, arguments: [uri] } : { title: lens.title, command: '' } }];
      if (kernel.language === 'cuda') {
        const b = bench.lensFor(uri, kernel, document.version);
        lenses.push({ range, command: { title: b.title, command: b.command, arguments: [uri, kernel.qualifiedName] } });
      }
      return lenses;
    });
  });

  connection.onCodeAction(async ({ textDocument, range }) => {
    const kernel = (await kernelsOf(textDocument.uri)).find((k) => k.language === 'cuda' && contains(k.range, range.start));
    if (!kernel) return [];
    const args = [textDocument.uri, kernel.qualifiedName];
    return [
      { title: `KernelPilot: Benchmark ${kernel.qualifiedName}`, command: { title: 'Benchmark', command: serverCommands.run, arguments: args } },
      { title: `KernelPilot: Create bench spec for ${kernel.qualifiedName}`, command: { title: 'Create Bench Spec', command: serverCommands.createSpec, arguments: args } },
    ] satisfies CodeAction[];
  });

  connection.onHover(async ({ textDocument, position }) => {
    const kernels = await kernelsOf(textDocument.uri);
    const kernel =
      kernels.find((k) => contains(k.nameRange, position)) ??
      kernels.find((k) => k.launchSites.some((s) => contains(s.range, position) && position.line === s.range.start.line));
    if (!kernel) return null;
    const benchSection = bench.hoverSection(textDocument.uri, kernel);
    const sections = [...checks.hoverSections(textDocument.uri, kernel), ...(benchSection ? [benchSection] : [])];
    return { contents: { kind: 'markdown', value: describeKernel(kernel, sections) }, range: toLspRange(kernel.nameRange) };
  });

  connection.onExecuteCommand(async ({ command, arguments: args }) => {
    switch (command) {
      case serverCommands.recheck: {
        const uri = typeof args?.[0] === 'string' ? args[0] : undefined;
        if (!uri) throw new Error('KernelPilot: Re-run Static Check needs a CUDA file open in the editor.');
        return checks.runNow(uri);
      }
      case serverCommands.run: {
        const ref = kernelRefOf(args, 'Benchmark');
        return bench.start(await resolveKernelRef(documents, ref, 'Benchmark'), ref.uri);
      }
      case serverCommands.cancel: {
        const ref = kernelRefOf(args, 'Cancel Benchmark');
        return bench.cancel(ref.uri, (await resolveKernelRef(documents, ref, 'Cancel Benchmark')).qualifiedName);
      }
      case serverCommands.createSpec:
        return createSpec(kernelRefOf(args, 'Create Bench Spec'));
      default:
        throw new Error(`KernelPilot: unknown command ${command}`);
    }
  });

  connection.onShutdown(() => {
    checks.dispose();
    bench.dispose();
  });

  connection.listen();
}
