// The optimize requests of protocol/optimize.ts: a kernel's latest run (the review, the quick pick, the results
// panel) and the edit that applies one of its candidates, checked against the version the client reviewed.
import type { Connection, ServerCapabilities } from 'vscode-languageserver';
import { OPTIMIZE_EDIT_REQUEST, OPTIMIZE_RESULT_REQUEST, type OptimizeEditResult, type OptimizeResult } from '../../protocol/optimize';
import { pathOf } from '../documents';
import { optimizeParams } from '../params';
import type { Services } from '../services';

export function register(connection: Connection, { documents, optimize }: Services): ServerCapabilities {
  connection.onRequest(OPTIMIZE_RESULT_REQUEST, async (params: unknown): Promise<OptimizeResult> => {
    const { uri, kernel } = optimizeParams(params, OPTIMIZE_RESULT_REQUEST);
    return optimize.view(uri, kernel, await documents.get(uri));
  });
  connection.onRequest(OPTIMIZE_EDIT_REQUEST, async (params: unknown): Promise<OptimizeEditResult> => {
    const { uri, kernel, attempt, version } = optimizeParams(params, OPTIMIZE_EDIT_REQUEST);
    const document = await documents.get(uri);
    if (!document) return { ok: false, reason: `KernelPilot: ${pathOf(uri)} is not open in the editor; open it and try again.`, rerun: false };
    return optimize.edit(uri, kernel, document, attempt, version ?? document.version);
  });
  return {};
}
