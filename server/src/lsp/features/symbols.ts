// Kernels as document symbols (the outline, breadcrumbs, "go to symbol").
import type { Connection, ServerCapabilities } from 'vscode-languageserver';
import { kernelSymbol } from '../convert';
import { documentUri } from '../params';
import type { Services } from '../services';

export function register(connection: Connection, { documents }: Services): ServerCapabilities {
  connection.onDocumentSymbol(async (params) => {
    const document = await documents.get(documentUri(params, 'textDocument/documentSymbol'));
    return document?.kernels().kernels.map(kernelSymbol) ?? [];
  });
  return { documentSymbolProvider: { label: 'KernelPilot' } };
}
