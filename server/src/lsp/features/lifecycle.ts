// The session: initialize (what the client supports, workspace folders, settings), settings changes, shutdown.
import type { Connection, InitializeResult, ServerCapabilities } from 'vscode-languageserver';
import { loadGrammars } from '../../kernels/parsers';
import { mergeSettings } from '../../settings';
import type { Services } from '../services';

export function register(connection: Connection, services: Services, capabilities: ServerCapabilities): void {
  const { session, checks, bench } = services;

  connection.onInitialize((params): InitializeResult => {
    session.configurationPull = params.capabilities?.workspace?.configuration === true;
    session.lensRefresh = params.capabilities?.workspace?.codeLens?.refreshSupport === true;
    session.progress = params.capabilities?.window?.workDoneProgress === true;
    session.showDocument = params.capabilities?.window?.showDocument?.support === true;
    const folders = Array.isArray(params.workspaceFolders) ? params.workspaceFolders : [];
    session.workspaceRoots = folders
      .map((f) => f?.uri)
      .concat(params.rootUri ? [params.rootUri] : [])
      .filter((uri): uri is string => typeof uri === 'string');
    session.settings = mergeSettings((params.initializationOptions as { settings?: unknown } | undefined)?.settings);
    void loadGrammars(); // warm the wasm runtime before the first document arrives
    return { capabilities, serverInfo: { name: 'kernelpilot', version: '0.1.0' } };
  });

  const pullSettings = async () => {
    if (!session.configurationPull) return;
    const raw: unknown = await connection.workspace.getConfiguration('kernelpilot');
    session.settings = mergeSettings(raw);
  };
  connection.onInitialized(() => void pullSettings().catch((e: unknown) => connection.console.error(`reading settings: ${String(e)}`)));
  connection.onDidChangeConfiguration((change) => {
    if (session.configurationPull) {
      void pullSettings().then(
        () => checks.recheckAll(),
        (e: unknown) => connection.console.error(`reading settings: ${String(e)}`),
      );
    } else {
      session.settings = mergeSettings((change?.settings as { kernelpilot?: unknown } | undefined)?.kernelpilot);
      checks.recheckAll();
    }
  });

  connection.onShutdown(() => {
    checks.dispose();
    bench.dispose();
  });
}
