import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import { ClientCommand, type CursorPosition, type KernelCommandArgs, ServerCommand, type ServerCommandId } from '../../server/src/protocol/commands';

/** The editor's document for a command: the one the context menu or a lens names, else the active one. */
export function targetUri(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.toString();
  if (typeof arg === 'string') return arg;
  return vscode.window.activeTextEditor?.document.uri.toString();
}

/** The cursor, when the command is about the active editor: the server picks the kernel around it. */
export function cursorIn(uri: string): CursorPosition | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor?.document.uri.toString() !== uri) return undefined;
  const { line, character } = editor.selection.active;
  return { line, character };
}

/**
 * The benchmark and optimize compile the file as saved; with unsaved edits, ask before saving (the server would
 * refuse, and a silent save would write the user's file without their say).
 */
export async function savedForBenchmark(uri: string, job: 'benchmark' | 'optimize' | 'profile' = 'benchmark'): Promise<boolean> {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  if (!document?.isDirty) return true;
  const save = `Save and ${job[0]!.toUpperCase()}${job.slice(1)}`;
  const choice = await vscode.window.showWarningMessage(`KernelPilot: ${vscode.workspace.asRelativePath(document.uri)} has unsaved changes; the ${job} compiles the saved file.`, save);
  return choice === save && (await document.save());
}

/** Client commands forward to server commands, so the palette, the context menu and lenses all work. */
export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient, output: vscode.OutputChannel): void {
  const forward = (name: string, serverCommand: ServerCommandId, what: string, before?: (uri: string) => Promise<boolean>) =>
    vscode.commands.registerCommand(name, async (arg?: unknown) => {
      const uri = targetUri(arg);
      if (!uri) {
        void vscode.window.showWarningMessage(`KernelPilot: open a CUDA file to ${what}.`);
        return undefined;
      }
      if (before && !(await before(uri))) return undefined;
      const cursor = cursorIn(uri);
      try {
        return await client.sendRequest(ExecuteCommandRequest.type, { command: serverCommand, arguments: (cursor ? [uri, cursor] : [uri]) satisfies KernelCommandArgs });
      } catch (error) {
        // Errors of commands the user started are shown, not only logged.
        void vscode.window.showErrorMessage(error instanceof Error ? error.message : String(error));
        return undefined;
      }
    });
  context.subscriptions.push(
    forward(ClientCommand.recheck, ServerCommand.recheck, 're-run the static check'),
    forward(ClientCommand.benchmark, ServerCommand.benchmark, 'benchmark a kernel', savedForBenchmark),
    forward(ClientCommand.createSpec, ServerCommand.createSpec, 'create a bench spec'),
    forward(ClientCommand.profile, ServerCommand.profile, 'profile a kernel', (uri) => savedForBenchmark(uri, 'profile')),
    forward(ClientCommand.openProfileReport, ServerCommand.openProfileReport, 'open a profile report'),
    vscode.commands.registerCommand(ClientCommand.showOutput, () => output.show(true)),
  );
}
