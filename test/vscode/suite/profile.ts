// The profile run of the VS Code suite (KP_VSCODE_PROFILE=1): a workspace holding the strided-load kernel and the
// profile report recorded for it on an H200 (profile-stage.ts). Checks what a user sees: the restored "◎" lens,
// the hover's table with the live figures and hints (shown in the editor and screenshotted), the Information
// diagnostic on the load's line, and Open Profile Report opening the full report.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ClientCommand } from '../../../server/src/protocol/commands';
import { hoverText, lineOf, poll, runSteps, uiRequest, type Step } from './util';

const log = (msg: string): void => console.log(`[kp-suite] ${msg}`);

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension('kernelpilot.kernelpilot');
  assert.ok(ext, 'the extension is not loaded');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(folder, 'no workspace folder');
  const file = vscode.Uri.file(path.join(folder, 'strided.cu'));
  let doc: vscode.TextDocument | undefined;
  let line = -1;
  const name = (): vscode.Position => {
    assert.ok(doc);
    return new vscode.Position(line, doc.lineAt(line).text.indexOf('gather_strided') + 3);
  };

  const steps: Step[] = [
    ['opens the kernel with its recorded profile', async () => {
      doc = await vscode.workspace.openTextDocument(file);
      await vscode.window.showTextDocument(doc, { preview: false });
      await ext.activate();
      line = lineOf(doc, '__global__ void gather_strided(');
    }],
    ['shows the restored profile lens on the kernel', async () => {
      let titles: string[] = [];
      const lens = await poll(async () => {
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', file, 100)) ?? [];
        titles = lenses.map((l) => l.command?.title ?? '');
        return lenses.find((l) => l.range.start.line === line && (l.command?.title ?? '').startsWith('◎ memory-bound'));
      }, 30_000);
      assert.ok(lens, `no profile lens; saw ${JSON.stringify(titles)}`);
      log(`profile lens: ${lens.command?.title}`);
    }],
    ['the hover holds the live figures and the top hints', async () => {
      assert.ok(doc);
      const text = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, name())) ?? []);
      assert.match(text, /Nsight Compute on recorded/);
      assert.match(text, /\| 32\.\d µs \| 13 % \| 17 % \| 8\d % of 100 % \(limit: warps\) \| 18 \| none \|/);
      assert.match(text, /1\. \*\*Uncoalesced global load\*\*/);
    }],
    ['an Information diagnostic sits on the strided load', async () => {
      let all: vscode.Diagnostic[] = [];
      const load = await poll(async () => {
        all = vscode.languages.getDiagnostics(file);
        return all.find((d) => d.source === 'kernelpilot' && d.message.startsWith('Uncoalesced global load'));
      }, 20_000);
      assert.ok(load, `no profile diagnostic; saw ${JSON.stringify(all.map((d) => [d.source, d.range.start.line, d.message.slice(0, 40)]))}`);
      assert.equal(load.range.start.line, lineOf(doc!, 'float v = x['));
      assert.equal(load.severity, vscode.DiagnosticSeverity.Information);
    }],
    ['shows the hover in the editor (screenshot)', async () => {
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor && doc);
      editor.selection = new vscode.Selection(name(), name());
      editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
      await vscode.commands.executeCommand('editor.action.showHover');
      log(await uiRequest({ action: 'screenshot', name: 'profile-hover', settleMs: 1000, waitFor: '.monaco-hover' }));
    }],
    ['Open Profile Report opens the full report', async () => {
      await vscode.commands.executeCommand(ClientCommand.openProfileReport, file);
      const opened = await poll(async () => (vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('profile.md') ? vscode.window.activeTextEditor.document : undefined), 20_000);
      assert.ok(opened, `the report was not opened; active: ${vscode.window.activeTextEditor?.document.uri.fsPath}`);
      assert.match(opened.getText(), /^# Profile of `gather_strided`/);
    }],
  ];
  await runSteps(steps, log, () => doc !== undefined);
}
