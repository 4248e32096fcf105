// Work-done progress for a background job (bench, profile, optimize): begun cancellable, the client's cancel aborts
// the job. A client that cannot show progress, or refuses it, gets none; the job runs regardless.
import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver';

export async function beginJobProgress(connection: Connection, supported: boolean, title: string, abort: AbortController): Promise<WorkDoneProgressServerReporter | undefined> {
  if (!supported) return undefined;
  try {
    const progress = await connection.window.createWorkDoneProgress();
    progress.begin(title, undefined, 'starting', true);
    progress.token.onCancellationRequested(() => abort.abort());
    return progress;
  } catch {
    return undefined;
  }
}
