// What the LSP features share: open documents, the diagnostics sink, the background services (check, bench,
// spec files) and the session (settings, workspace folders, what the client supports). Built once per server.
import { CodeLensRefreshRequest, type Connection } from 'vscode-languageserver';
import { defaultSettings, type Settings } from '../settings';
import { LocalTarget } from '../targets/local';
import type { Target } from '../targets/target';
import { BenchService } from './bench';
import { CheckService } from './checks';
import { DiagnosticSink } from './diagnostics';
import { Documents } from './documents';
import { resolveKernelRef, type KernelRef } from './kernel-ref';
import { KernelProblems } from './problems';
import { SpecFiles } from './specs';

export interface ServerOptions {
  /** Where bench jobs run; default this machine. Tests pass a stand-in GPU. */
  target?: Target;
}

/** Set by `initialize` and configuration changes; read by everything else. */
export interface Session {
  settings: Settings;
  workspaceRoots: string[];
  /** The client answers workspace/configuration (else settings come with didChangeConfiguration). */
  configurationPull: boolean;
  lensRefresh: boolean;
  /** The client can show server-created progress (window.workDoneProgress). */
  progress: boolean;
  /** The client can open a document on request (window.showDocument). */
  showDocument: boolean;
}

export interface Services {
  connection: Connection;
  session: Session;
  documents: Documents;
  diagnostics: DiagnosticSink;
  specs: SpecFiles;
  checks: CheckService;
  bench: BenchService;
  problems: KernelProblems;
  refreshLenses: () => void;
  createSpec: (ref: KernelRef) => Promise<string>;
}

export function createServices(connection: Connection, options: ServerOptions): Services {
  const session: Session = { settings: defaultSettings, workspaceRoots: [], configurationPull: false, lensRefresh: false, progress: false, showDocument: false };
  const documents = new Documents();
  const diagnostics = new DiagnosticSink(connection);
  const refreshLenses = () => {
    if (session.lensRefresh) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined); // a client may refuse: lenses come on its next request
  };
  const specs = new SpecFiles({ connection, diagnostics, workspaceRoots: () => session.workspaceRoots, showDocument: () => session.showDocument });
  const createSpec = async (ref: KernelRef): Promise<string> => {
    const kernel = await resolveKernelRef(documents, ref, 'Create Bench Spec');
    return specs.create(kernel, ref.uri, (await documents.get(ref.uri))?.content ?? '');
  };
  const bench = new BenchService({
    connection,
    diagnostics,
    documents,
    settings: () => session.settings,
    workspaceRoots: () => session.workspaceRoots,
    target: options.target ?? new LocalTarget({ sandbox: () => session.settings.sandbox, onSandboxNotice: (message) => void connection.window.showWarningMessage(message) }),
    refreshLenses,
    progress: () => session.progress,
    createSpec,
  });
  const checks = new CheckService({
    connection,
    diagnostics,
    settings: () => session.settings,
    workspaceRoots: () => session.workspaceRoots,
    documents,
    refreshLenses,
  });
  const problems = new KernelProblems(documents, diagnostics);
  return { connection, session, documents, diagnostics, specs, checks, bench, problems, refreshLenses, createSpec };
}
