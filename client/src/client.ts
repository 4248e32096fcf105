import * as path from 'node:path';
import * as vscode from 'vscode';
import { ServerCommand } from '../../server/src/protocol/commands';
import { CONFIGURATION_SECTION, type InitializationOptions } from '../../server/src/protocol/configuration';
import { savedForBenchmark } from './commands';
import { reviewArgs, type OptimizeUi } from './optimize';
import { userLevelSettings } from './trust';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

/** Documents the server analyses: CUDA, C/C++ that may hold `__global__`, and Python (Triton, KernelBench). */
export const documentSelector = [
  { scheme: 'file', language: 'cuda-cpp' },
  { scheme: 'file', language: 'cpp' },
  { scheme: 'file', language: 'c' },
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'cuda-cpp' },
  { scheme: 'untitled', language: 'python' },
  // Bench specs, for their diagnostics (the schema itself comes through the manifest's jsonValidation).
  { scheme: 'file', language: 'json', pattern: '**/.kernelpilot/specs/*.json' },
  { scheme: 'file', language: 'jsonc', pattern: '**/.kernelpilot/specs/*.json' },
];

/** `optimize`: the optimize UI, made once the client exists (lenses reach it through the middleware). */
export function createClient(context: vscode.ExtensionContext, output: vscode.OutputChannel, optimize: () => OptimizeUi | undefined): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    outputChannel: output,
    synchronize: { configurationSection: CONFIGURATION_SECTION },
    // The user's own settings and the trust state; the workspace's settings the server pulls and judges itself.
    initializationOptions: { settings: userLevelSettings(context), workspaceTrusted: vscode.workspace.isTrusted } satisfies InitializationOptions,
    middleware: {
      // Lenses run server commands directly; in VS Code the benchmark and optimize lenses first offer to save a
      // modified file, Review opens the diff review, and a refusal (an error answer) is shown like any other command's.
      executeCommand: async (command, args, next) => {
        const ui = optimize();
        const review = command === ServerCommand.reviewOptimize ? reviewArgs(args) : undefined;
        if (ui && review) return ui.open(...review);
        if (ui && command === ServerCommand.optimize && typeof args[0] === 'string') return ui.started(args[0], () => Promise.resolve(next(command, args)));
        if (command === ServerCommand.benchmark && typeof args[0] === 'string' && !(await savedForBenchmark(args[0]))) return undefined;
        try {
          return await next(command, args);
        } catch (error) {
          void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
          return undefined;
        }
      },
    },
  };
  return new LanguageClient('kernelpilot', 'KernelPilot', serverOptions, clientOptions);
}
