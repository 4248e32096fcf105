// Where the static check and the jobs run: the active target in the status bar, and "KernelPilot: Select Target",
// a quick pick of this machine and the user's named targets. The choice is written to the user's (global) settings:
// both settings are machine-scoped, and the server reads them only from the user's own settings (trust.ts sends them).
import * as vscode from 'vscode';
import { ClientCommand } from '../../server/src/protocol/commands';
import { ACTIVE_TARGET_SETTING, CONFIGURATION_SECTION as SECTION, TARGETS_SETTING } from '../../server/src/protocol/configuration';

interface TargetItem extends vscode.QuickPickItem {
  target: string;
}

/** The user-level value of `kernelpilot.<key>`, else its default: what the server uses. */
function userValue<T>(key: string): T | undefined {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

function activeTarget(): string {
  return userValue<string>(ACTIVE_TARGET_SETTING)?.trim() || 'local';
}

function namedTargets(): Record<string, { url?: unknown }> {
  const named = userValue<unknown>(TARGETS_SETTING);
  return named && typeof named === 'object' && !Array.isArray(named) ? (named as Record<string, { url?: unknown }>) : {};
}

/** `local`, then each named target with its URL; the active one marked. */
function targetItems(): TargetItem[] {
  const active = activeTarget();
  const mark = (name: string) => (name === active ? '$(check) ' : '');
  const local: TargetItem = { label: `${mark('local')}local`, description: 'this machine', target: 'local' };
  const named = Object.entries(namedTargets())
    .filter(([name]) => name !== 'local')
    .map(([name, entry]): TargetItem => ({ label: `${mark(name)}${name}`, description: typeof entry?.url === 'string' ? entry.url : name, target: name }));
  return [local, ...named];
}

export function registerTargets(context: vscode.ExtensionContext): void {
  const item = vscode.window.createStatusBarItem('kernelpilot.target', vscode.StatusBarAlignment.Left, 10);
  item.name = 'KernelPilot Target';
  item.command = ClientCommand.selectTarget;
  const show = () => {
    item.text = `$(server) KernelPilot: ${activeTarget()}`;
    item.tooltip = `KernelPilot checks, benchmarks and optimizes on '${activeTarget()}'. Click to choose another target (kernelpilot.targets).`;
    item.show();
  };
  show();
  context.subscriptions.push(
    item,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.${ACTIVE_TARGET_SETTING}`) || e.affectsConfiguration(`${SECTION}.${TARGETS_SETTING}`)) show();
    }),
    vscode.commands.registerCommand(ClientCommand.selectTarget, async () => {
      const picked = await vscode.window.showQuickPick(targetItems(), { title: 'KernelPilot: Select Target', placeHolder: 'Where the static check, benchmarks and optimize runs happen (named targets: kernelpilot.targets)' });
      if (!picked) return;
      // Global: the setting is machine-scoped, and a workspace value would be ignored by the server anyway.
      await vscode.workspace.getConfiguration(SECTION).update(ACTIVE_TARGET_SETTING, picked.target, vscode.ConfigurationTarget.Global);
    }),
  );
}
