// What the LSP features share: open documents, the diagnostics sink, the background services (check, bench,
// optimize, spec files) and the session (settings, workspace folders, what the client supports). Built once per server.
import { CodeLensRefreshRequest, type Connection } from 'vscode-languageserver';
import { defaultSettings, type SettingOrigins, type Settings } from '../settings';
import type { Target } from '../targets/target';
import { ActiveTarget } from './active-target';
import { BenchService } from './bench';
import { CheckService } from './checks';
import { DiagnosticSink } from './diagnostics';
import { Documents } from './documents';
import { resolveKernelRef, type KernelRef } from './kernel-ref';
import { OptimizeService } from './optimize';
import { ProfileService, type ProfileRunner } from './profile';
import { profileKernel } from '../bench/profile-job';
import { KernelProblems } from './problems';
import { SpecFiles } from './specs';

export interface ServerOptions {
  /** Where bench and optimize jobs run; default the user's active target (lsp/active-target.ts). Tests pass a stand-in GPU. */
  target?: Target;
  /** The profile job; default the engine's (profile/run.ts). */
  profile?: ProfileRunner;
}

/** Set by `initialize` and configuration changes; read by everything else. */
export interface Session {
  settings: Settings;
  /** From initializationOptions and the client's user-settings notification: the user's own configuration. Answers
   * to workspace/configuration may carry a repository's settings, so their values count as the workspace's unless
   * they equal the user's. */
  userSettings: Settings;
  /** Who set each setting that chooses a program or flags (check/compile-flags.ts holds the workspace's to the allow-list). */
  origins: SettingOrigins;
  /** VS Code's Restricted Mode (the client says so); other editors have no trust gate and get the server's rules. */
  trusted: boolean;
  workspaceRoots: string[];
  /** The client answers workspace/configuration (else settings come with didChangeConfiguration). */
  configurationPull: boolean;
  lensRefresh: boolean;
  /** The client can show server-created progress (window.workDoneProgress). */
  progress: boolean;
  /** The client can open a document on request (window.showDocument). */
  showDocument: boolean;
  /** The client supports change annotations in workspace edits, and disabled code actions. */
  changeAnnotations: boolean;
  /** The client applies workspace edits that create files (a KernelBench solution is one). */
  createFiles: boolean;
  disabledCodeActions: boolean;
}

export interface Services {
  connection: Connection;
  session: Session;
  documents: Documents;
  diagnostics: DiagnosticSink;
  specs: SpecFiles;
  checks: CheckService;
  bench: BenchService;
  optimize: OptimizeService;
  profile: ProfileService;
  problems: KernelProblems;
  refreshLenses: () => void;
  createSpec: (ref: KernelRef) => Promise<string>;
}

export function createServices(connection: Connection, options: ServerOptions): Services {
  const session: Session = { settings: defaultSettings, userSettings: defaultSettings, origins: {}, trusted: true, workspaceRoots: [], configurationPull: false, lensRefresh: false, progress: false, showDocument: false, changeAnnotations: false, createFiles: false, disabledCodeActions: false };
  const documents = new Documents();
  const diagnostics = new DiagnosticSink(connection);
  const refreshLenses = () => {
    if (session.lensRefresh) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined); // a client may refuse: lenses come on its next request
  };
  const specs = new SpecFiles({ connection, diagnostics, workspaceRoots: () => session.workspaceRoots, showDocument: () => session.showDocument });
  const createSpec = async (ref: KernelRef): Promise<string> => {
    const kernel = await resolveKernelRef(documents, ref, 'Create Bench Spec', ['cuda', 'triton']);
    return specs.create(kernel, ref.uri, (await documents.get(ref.uri))?.content ?? '');
  };
  // The sandbox and the target are the user's choice only: a repository's settings (workspace/configuration) can
  // neither turn the sandbox off nor choose where its code runs.
  const active = new ActiveTarget({ userSettings: () => session.userSettings, onSandboxNotice: (message) => void connection.window.showWarningMessage(message), ...(options.target ? { fixed: options.target } : {}) });
  const target = () => active.get();
  // A test's stand-in GPU does not compile: the static check then runs on the user's target as ever.
  const checkTarget = options.target ? new ActiveTarget({ userSettings: () => session.userSettings, onSandboxNotice: () => undefined }) : active;
  const bench = new BenchService({
    connection,
    diagnostics,
    documents,
    settings: () => session.settings,
    origins: () => session.origins,
    trusted: () => session.trusted,
    workspaceRoots: () => session.workspaceRoots,
    target,
    python: () => session.userSettings.python || undefined,
    refreshLenses,
    progress: () => session.progress,
    createSpec,
  });
  const checks = new CheckService({
    connection,
    diagnostics,
    settings: () => session.settings,
    origins: () => session.origins,
    trusted: () => session.trusted,
    workspaceRoots: () => session.workspaceRoots,
    documents,
    target: () => checkTarget.get(),
    refreshLenses,
  });
  const optimize = new OptimizeService({
    connection,
    documents,
    settings: () => session.settings,
    // The endpoint, the model and the money are the user's: a repository cannot send the key elsewhere.
    userSettings: () => session.userSettings,
    trusted: () => session.trusted,
    workspaceRoots: () => session.workspaceRoots,
    target,
    refreshLenses,
    client: () => ({ progress: session.progress, showDocument: session.showDocument, annotations: session.changeAnnotations, createFiles: session.createFiles, disabledActions: session.disabledCodeActions }),
  });
  const profile = new ProfileService({
    connection,
    diagnostics,
    documents,
    trusted: () => session.trusted,
    workspaceRoots: () => session.workspaceRoots,
    target,
    settings: () => session.settings,
    origins: () => session.origins,
    refreshLenses,
    client: () => ({ progress: session.progress, showDocument: session.showDocument }),
    run: options.profile ?? profileKernel,
  });
  const problems = new KernelProblems(documents, diagnostics);
  return { connection, session, documents, diagnostics, specs, checks, bench, optimize, profile, problems, refreshLenses, createSpec };
}
