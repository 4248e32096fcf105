import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { createClient } from './client';
import { registerCommands } from './commands';
import { OptimizeUi } from './optimize';
import { registerTargets } from './targets';
import { registerTrust } from './trust';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('KernelPilot');
  context.subscriptions.push(output);
  // The optimize UI needs the client, and the client's lens middleware the UI.
  const optimize: { ui?: OptimizeUi } = {};
  client = createClient(context, output, () => optimize.ui);
  optimize.ui = new OptimizeUi(context, client);
  optimize.ui.register();
  registerCommands(context, client, output);
  registerTargets(context);
  await client.start();
  registerTrust(context, client);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
