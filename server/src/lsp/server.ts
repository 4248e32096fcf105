import {
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
import { CheckService } from './checks';
import { contains, kernelSymbol, toLspRange } from './convert';
import { Documents } from './documents';

export const serverCommands = { recheck: 'kernelpilot.server.recheck' } as const;

/** Wires LSP requests to the engine. Every request handler reads cached state only: no process, no full parse. */
export function startLanguageServer(connection: Connection = createConnection(ProposedFeatures.all)): void {
  const documents = new Documents();
  let settings: Settings = defaultSettings;
  let configurationPull = false;
  let lensRefresh = false;
  let workspaceRoots: string[] = [];

  const checks = new CheckService({
    connection,
    settings: () => settings,
    workspaceRoots: () => workspaceRoots,
    documents,
    refreshLenses: () => {
      if (lensRefresh) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined); // a client may refuse: lenses come on its next request
    },
  });

  connection.onInitialize((params): InitializeResult => {
    configurationPull = params.capabilities.workspace?.configuration === true;
    lensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    workspaceRoots = (params.workspaceFolders ?? []).map((f) => f.uri).concat(params.rootUri ? [params.rootUri] : []);
    settings = mergeSettings((params.initializationOptions as { settings?: unknown } | undefined)?.settings);
    void loadGrammars(); // warm the wasm runtime before the first document arrives
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        documentSymbolProvider: { label: 'KernelPilot' },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
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
    try {
      const document = await documents.open(textDocument.uri, textDocument.languageId, textDocument.version, textDocument.text);
      if (document && settings.check.onOpen) checks.schedule(textDocument.uri);
    } catch (error) {
      connection.console.error(`KernelPilot could not analyse ${textDocument.uri}: ${String(error)}`);
    }
  });
  connection.onDidChangeTextDocument(async ({ textDocument, contentChanges }) => {
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
    checks.forget(textDocument.uri);
    documents.close(textDocument.uri);
  });

  const kernelsOf = async (uri: string): Promise<Kernel[]> => (await documents.get(uri))?.kernels().kernels ?? [];

  connection.onDocumentSymbol(async ({ textDocument }) => (await kernelsOf(textDocument.uri)).map(kernelSymbol));

  connection.onCodeLens(async ({ textDocument }) => {
    const kernels = await kernelsOf(textDocument.uri);
    return kernels.map((kernel) => {
      const lens = checks.lensFor(textDocument.uri, kernel);
      return { range: toLspRange(kernel.nameRange), command: lens.command ? { title: lens.title, command: lens.command, arguments: [textDocument.uri] } : { title: lens.title, command: '' } } satisfies CodeLens;
    });
  });

  connection.onHover(async ({ textDocument, position }) => {
    const kernels = await kernelsOf(textDocument.uri);
    const kernel =
      kernels.find((k) => contains(k.nameRange, position)) ??
      kernels.find((k) => k.launchSites.some((s) => contains(s.range, position) && position.line === s.range.start.line));
    if (!kernel) return null;
    return { contents: { kind: 'markdown', value: describeKernel(kernel, checks.hoverSections(textDocument.uri, kernel)) }, range: toLspRange(kernel.nameRange) };
  });

  connection.onExecuteCommand(async ({ command, arguments: args }) => {
    if (command === serverCommands.recheck) {
      const uri = typeof args?.[0] === 'string' ? args[0] : undefined;
      if (!uri) throw new Error('KernelPilot: Re-run Static Check needs a CUDA file open in the editor.');
      return checks.runNow(uri);
    }
    throw new Error(`KernelPilot: unknown command ${command}`);
  });

  connection.onShutdown(() => checks.dispose());

  connection.listen();
}
