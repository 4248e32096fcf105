// Code actions inside a CUDA kernel: benchmark it, create its bench spec, optimize it (or cancel), apply its best
// verified candidate (a versioned edit of exactly the kernel's range).
import type { CodeAction, Connection, ServerCapabilities } from 'vscode-languageserver';
import { contains } from '../convert';
import { documentUri, range as rangeOf } from '../params';
import type { Services } from '../services';
import { serverCommands } from './commands';

export function register(connection: Connection, { documents, optimize }: Services): ServerCapabilities {
  connection.onCodeAction(async (params) => {
    const uri = documentUri(params, 'textDocument/codeAction');
    const range = rangeOf((params as { range?: unknown }).range, 'textDocument/codeAction');
    const document = await documents.get(uri);
    const kernel = document?.kernels().kernels.find((k) => k.language === 'cuda' && contains(k.range, range.start));
    if (!document || !kernel) return [];
    const args = [uri, kernel.qualifiedName];
    return [
      { title: `KernelPilot: Benchmark ${kernel.qualifiedName}`, command: { title: 'Benchmark', command: serverCommands.run, arguments: args } },
      { title: `KernelPilot: Create bench spec for ${kernel.qualifiedName}`, command: { title: 'Create Bench Spec', command: serverCommands.createSpec, arguments: args } },
      ...optimize.codeActions(uri, kernel, document),
    ] satisfies CodeAction[];
  });
  return { codeActionProvider: true };
}
