import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';

/** The editor's document for a command: the one the context menu or a lens names, else the active one. */
function targetUri(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.toString();
  if (typeof arg === 'string') return arg;
  return vscode.window.activeTextEditor?.document.uri.toString();
}

/** Client commands forward to server commands so the palette, the context menu and lenses all work. */
export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient, output: vscode.OutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('kernelpilot.recheck', async (arg?: unknown) => {
      const uri = targetUri(arg);
      if (!uri) {
        void vscode.window.showWarningMessage('KernelPilot: open a CUDA file to re-run the static check.');
        return undefined;
      }
      try {
        return await client.sendRequest(ExecuteCommandRequest.type, { command: 'kernelpilot.server.recheck', arguments: [uri] });
      } catch (error) {
        // Errors of commands the user started are shown, not only logged.
        void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
        return undefined;
      }
    }),
    vscode.commands.registerCommand('kernelpilot.showOutput', () => output.show(true)),
  );
}
