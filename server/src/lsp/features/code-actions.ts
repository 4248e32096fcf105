// Code actions inside a CUDA kernel: benchmark it, create its bench spec.
import type { CodeAction, Connection, ServerCapabilities } from 'vscode-languageserver';
import { contains } from '../convert';
import { documentUri, range as rangeOf } from '../params';
import type { Services } from '../services';
import { serverCommands } from './commands';

export function register(connection: Connection, { documents }: Services): ServerCapabilities {
  connection.onCodeAction(async (params) => {
    const uri = documentUri(params, 'textDocument/codeAction');
    const range = rangeOf((params as { range?: unknown }).range, 'textDocument/codeAction');
    const kernels = (await documents.get(uri))?.kernels().kernels ?? [];
    const kernel = kernels.find((k) => k.language === 'cuda' && contains(k.range, range.start));
    if (!kernel) return [];
    const args = [uri, kernel.qualifiedName];
    return [
      { title: `KernelPilot: Benchmark ${kernel.qualifiedName}`, command: { title: 'Benchmark', command: serverCommands.run, arguments: args } },
      { title: `KernelPilot: Create bench spec for ${kernel.qualifiedName}`, command: { title: 'Create Bench Spec', command: serverCommands.createSpec, arguments: args } },
    ] satisfies CodeAction[];
  });
  return { codeActionProvider: true };
}
