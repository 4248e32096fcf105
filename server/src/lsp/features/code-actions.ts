// Code actions inside a kernel: benchmark it (CUDA, Triton, a KernelBench Model), create its bench spec (CUDA, Triton),
// optimize it (or cancel) and apply its best verified candidate (a versioned edit of exactly the kernel's range;
// CUDA and Triton).
import type { CodeAction, Connection, ServerCapabilities } from 'vscode-languageserver';
import { contains } from '../convert';
import { documentUri, range as rangeOf } from '../params';
import type { Services } from '../services';
import { serverCommands } from './commands';
import { benchmarkable, optimizable } from '../kernel-ref';

export function register(connection: Connection, { documents, optimize }: Services): ServerCapabilities {
  connection.onCodeAction(async (params) => {
    const uri = documentUri(params, 'textDocument/codeAction');
    const range = rangeOf((params as { range?: unknown }).range, 'textDocument/codeAction');
    const document = await documents.get(uri);
    const kernel = document?.kernels().kernels.find((k) => benchmarkable(k) && contains(k.range, range.start));
    if (!document || !kernel) return [];
    const args = [uri, kernel.qualifiedName];
    return [
      { title: `KernelPilot: Benchmark ${kernel.qualifiedName}`, command: { title: 'Benchmark', command: serverCommands.run, arguments: args } },
      ...(kernel.language === 'kernelbench' ? [] : [{ title: `KernelPilot: Create bench spec for ${kernel.qualifiedName}`, command: { title: 'Create Bench Spec', command: serverCommands.createSpec, arguments: args } }]),
      ...(optimizable(kernel) ? optimize.codeActions(uri, kernel, document) : []),
    ] satisfies CodeAction[];
  });
  return { codeActionProvider: true };
}
