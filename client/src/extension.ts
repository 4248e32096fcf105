import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { createClient } from './client';
import { registerCommands } from './commands';
import { registerTrust } from './trust';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('KernelPilot');
  context.subscriptions.push(output);
  client = createClient(context, output);
  registerCommands(context, client, output);
  await client.start();
  registerTrust(context, client);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
