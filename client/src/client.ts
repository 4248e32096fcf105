import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

/** Documents the server analyses: CUDA, C/C++ that may hold `__global__`, and Python (Triton, KernelBench). */
export const documentSelector = [
  { scheme: 'file', language: 'cuda-cpp' },
  { scheme: 'file', language: 'cpp' },
  { scheme: 'file', language: 'c' },
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'cuda-cpp' },
  { scheme: 'untitled', language: 'python' },
];

export function createClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    outputChannel: output,
    synchronize: { configurationSection: 'kernelpilot' },
    initializationOptions: { settings: vscode.workspace.getConfiguration('kernelpilot') },
  };
  return new LanguageClient('kernelpilot', 'KernelPilot', serverOptions, clientOptions);
}
