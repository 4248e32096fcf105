// Workspace trust and the user's own settings, told to the server (server/src/protocol/trust.ts). In Restricted Mode
// the server finds and shows kernels but compiles and runs nothing; the user hears why once, with the way out.
// The settings sent as the user's are the user-level values only: workspace values reach the server through
// workspace/configuration, where it holds them to the workspace rules (no program choice, allow-listed flags).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CONFIGURATION_SECTION as SECTION } from '../../server/src/protocol/configuration';
import { USER_SETTINGS_NOTIFICATION, WORKSPACE_TRUST_NOTIFICATION, type UserSettingsParams, type WorkspaceTrustParams } from '../../server/src/protocol/trust';

const MANAGE_TRUST = 'Manage Workspace Trust';

/** `{ cuda: { nvccPath: … }, check: { … }, activeTarget: … }` from the user-level (global) values of every contributed setting, else its default. */
export function userLevelSettings(context: vscode.ExtensionContext): Record<string, unknown> {
  const properties = Object.keys((context.extension.packageJSON as { contributes?: { configuration?: { properties?: object } } }).contributes?.configuration?.properties ?? {});
  const config = vscode.workspace.getConfiguration();
  const out: Record<string, unknown> = {};
  for (const key of properties) {
    const [section, group, name] = key.split('.');
    if (section !== SECTION || !group) continue;
    const inspected = config.inspect(key);
    const value = inspected?.globalValue ?? inspected?.defaultValue;
    if (value === undefined) continue;
    if (name === undefined) out[group] = value; // kernelpilot.targets, kernelpilot.activeTarget
    else ((out[group] ??= {}) as Record<string, unknown>)[name] = value;
  }
  return out;
}

/** After the client started: trust granted and user-level setting changes go to the server; Restricted Mode is said once. */
export function registerTrust(context: vscode.ExtensionContext, client: LanguageClient): void {
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => void client.sendNotification(WORKSPACE_TRUST_NOTIFICATION, { trusted: true } satisfies WorkspaceTrustParams)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) void client.sendNotification(USER_SETTINGS_NOTIFICATION, { settings: userLevelSettings(context) } satisfies UserSettingsParams);
    }),
  );
  if (!vscode.workspace.isTrusted) {
    const why = 'KernelPilot: this folder is in Restricted Mode. Kernels are found and shown, but nothing is compiled or run: the static check and benchmarks run a compiler on the folder\'s code. Trust the folder to enable them.';
    void vscode.window.showWarningMessage(why, MANAGE_TRUST).then((choice) => {
      if (choice === MANAGE_TRUST) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  }
}
