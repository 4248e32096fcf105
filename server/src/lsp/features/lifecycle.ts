// The session: initialize (what the client supports, workspace folders, settings), settings changes, shutdown.
import type { Connection, InitializeResult, ServerCapabilities } from 'vscode-languageserver';
import { loadGrammars } from '../../kernels/parsers';
import { CONFIGURATION_SECTION, type InitializationOptions } from '../../protocol/configuration';
import { USER_SETTINGS_NOTIFICATION, WORKSPACE_TRUST_NOTIFICATION, type UserSettingsParams, type WorkspaceTrustParams } from '../../protocol/trust';
import { mergeSettings, originsOf } from '../../settings';
import type { Services } from '../services';

export function register(connection: Connection, services: Services, capabilities: ServerCapabilities): void {
  const { session, checks, bench, optimize, profile } = services;

  connection.onInitialize((params): InitializeResult => {
    session.configurationPull = params.capabilities?.workspace?.configuration === true;
    session.lensRefresh = params.capabilities?.workspace?.codeLens?.refreshSupport === true;
    session.progress = params.capabilities?.window?.workDoneProgress === true;
    session.showDocument = params.capabilities?.window?.showDocument?.support === true;
    session.changeAnnotations = params.capabilities?.workspace?.workspaceEdit?.changeAnnotationSupport !== undefined;
    session.createFiles = params.capabilities?.workspace?.workspaceEdit?.resourceOperations?.includes('create') ?? false;
    session.disabledCodeActions = params.capabilities?.textDocument?.codeAction?.disabledSupport === true;
    const folders = Array.isArray(params.workspaceFolders) ? params.workspaceFolders : [];
    session.workspaceRoots = folders
      .map((f) => f?.uri)
      .concat(params.rootUri ? [params.rootUri] : [])
      .filter((uri): uri is string => typeof uri === 'string');
    const init = params.initializationOptions as InitializationOptions | undefined;
    session.userSettings = session.settings = mergeSettings(init?.settings);
    session.origins = originsOf(session.settings, session.userSettings);
    session.trusted = init?.workspaceTrusted !== false;
    void loadGrammars(); // warm the wasm runtime before the first document arrives
    return { capabilities, serverInfo: { name: 'kernelpilot', version: '0.1.0' } };
  });

  const pullSettings = async () => {
    if (!session.configurationPull) return;
    const raw: unknown = await connection.workspace.getConfiguration(CONFIGURATION_SECTION);
    session.settings = mergeSettings(raw);
    session.origins = originsOf(session.settings, session.userSettings);
  };
  const reconfigured = () =>
    void pullSettings().then(
      () => checks.recheckAll(),
      (e: unknown) => connection.console.error(`reading settings: ${String(e)}`),
    );
  connection.onNotification(WORKSPACE_TRUST_NOTIFICATION, (params: WorkspaceTrustParams) => {
    const was = session.trusted;
    session.trusted = params?.trusted === true;
    services.refreshLenses();
    if (session.trusted && !was) reconfigured(); // trusted: the workspace's settings are readable now, and checks may run
  });
  connection.onNotification(USER_SETTINGS_NOTIFICATION, (params: UserSettingsParams) => {
    session.userSettings = mergeSettings(params?.settings);
    if (!session.configurationPull) session.settings = session.userSettings;
    session.origins = originsOf(session.settings, session.userSettings);
    reconfigured();
  });
  connection.onInitialized(() => void pullSettings().catch((e: unknown) => connection.console.error(`reading settings: ${String(e)}`)));
  connection.onDidChangeConfiguration((change) => {
    if (session.configurationPull) reconfigured();
    else {
      session.settings = mergeSettings((change?.settings as Record<string, unknown> | undefined)?.[CONFIGURATION_SECTION]);
      session.origins = originsOf(session.settings, session.userSettings);
      checks.recheckAll();
    }
  });

  connection.onShutdown(() => {
    checks.dispose();
    bench.dispose();
    optimize.dispose();
    profile.dispose();
  });
}
