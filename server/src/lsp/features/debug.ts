// Test-only: the server's copy of a document's text, so a test client can check that incremental changes left it
// equal to its own. Registered only when KERNELPILOT_DEBUG_REQUESTS=1; editors never see it.
import type { Connection, ServerCapabilities } from 'vscode-languageserver';
import { documentUri } from '../params';
import type { Services } from '../services';

export const DOCUMENT_TEXT_REQUEST = 'kernelpilot/debug/documentText';

export function register(connection: Connection, { documents, specs }: Services): ServerCapabilities {
  if (process.env.KERNELPILOT_DEBUG_REQUESTS !== '1') return {};
  connection.onRequest(DOCUMENT_TEXT_REQUEST, (params: unknown) => {
    const uri = documentUri(params, DOCUMENT_TEXT_REQUEST);
    return { text: specs.text(uri) ?? documents.text(uri) ?? null };
  });
  return {};
}
