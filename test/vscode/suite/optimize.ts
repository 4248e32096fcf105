// The optimize flow in a real VS Code (code-server + Chromium; run-code-server.mjs with KP_VSCODE_OPTIMIZE=1): the
// extension's server runs on the stand-in GPU, the model is a scripted endpoint (optimize-run.mjs). What a user does:
// Set API Key (typed into the input box), right-click → Optimize Kernel, the lens while it runs and when done, Review
// (a diff), Accept (one edit) and Undo, a second run whose kernel is edited meanwhile (refused), an Accept after the
// document changed (refused; reviewed again it applies and the other edit survives), the quick pick of verified
// candidates, the results panel, a KernelBench task (its verified ModelNew reviewed and accepted as a new
// solutions/<task>.py), and cancel mid-run (the model's requests abandoned, no process of the job left).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ClientCommand, ServerCommand } from '../../../server/src/protocol/commands';
import { CONFIGURATION_SECTION } from '../../../server/src/protocol/configuration';
import { lineOf, poll, runSteps, uiRequest, type Step } from './util';
import { childrenOf } from '../../proc-children';

const EXTENSION_ID = 'kernelpilot.kernelpilot';
const KERNEL = 'vector_add';
const CANDIDATE_SCHEME = 'kernelpilot-candidate';
const RUN_TIMEOUT_MS = 90_000;
const DONE = /^⚡ 1\.\d\d× faster · verified on 3 seeds · Review$/;

const log = (msg: string): void => console.log(`[kp-suite] ${msg}`);


interface EndpointStatus {
  requests: number;
  inFlight: number;
  abandoned: number;
}

async function endpointStatus(): Promise<EndpointStatus> {
  const baseUrl = vscode.workspace.getConfiguration(CONFIGURATION_SECTION).get<string>('optimize.baseUrl') ?? '';
  const response = await fetch(baseUrl.replace(/\/v1$/, '/status'));
  return (await response.json()) as EndpointStatus;
}

async function optimizeLens(doc: vscode.TextDocument): Promise<vscode.CodeLens | undefined> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100)) ?? [];
  const line = lineOf(doc, `__global__ void ${KERNEL}(`);
  return lenses.find((l) => l.range.start.line === line && /^kernelpilot\.server\.(optimize|cancelOptimize|reviewOptimize)$/.test(l.command?.command ?? ''));
}

/** Polls the kernel's optimize lens until its title passes `want`; every title seen is collected in `seen`. */
async function lensUntil(doc: vscode.TextDocument, want: (title: string) => boolean, what: string, seen = new Set<string>(), timeoutMs = RUN_TIMEOUT_MS): Promise<vscode.CodeLens> {
  const lens = await poll(async () => {
    const found = await optimizeLens(doc);
    if (found?.command?.title) seen.add(found.command.title);
    return found?.command && want(found.command.title) ? found : undefined;
  }, timeoutMs, 100);
  assert.ok(lens, `no ${what} lens on ${KERNEL} after ${timeoutMs} ms; saw ${JSON.stringify([...seen])}`);
  return lens;
}

const runLens = (lens: vscode.CodeLens) => vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));

function reviewTab(): vscode.TabInputTextDiff | undefined {
  const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === CANDIDATE_SCHEME);
  return tab?.input as vscode.TabInputTextDiff | undefined;
}

async function reviewOpened(): Promise<vscode.TabInputTextDiff> {
  const tab = await poll(async () => reviewTab(), 15_000, 100);
  assert.ok(tab, 'no diff review opened');
  return tab;
}

/** Inserts `text` at the start of the line holding `needle`, as a user's edit. */
async function insertBefore(doc: vscode.TextDocument, needle: string, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.insert(doc.uri, new vscode.Position(lineOf(doc, needle), 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), `could not insert ${JSON.stringify(text)}`);
}

/** The extension's language server process (the stand-in GPU's, under the staged extension). */
function serverPid(extensionPath: string): number {
  const server = path.join(extensionPath, 'dist', 'server.js');
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(server);
    } catch {
      return false;
    }
  });
  assert.equal(pids.length, 1, `expected one language server running ${server}, found ${pids.length}`);
  return Number(pids[0]);
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder');
  const fixture = vscode.Uri.joinPath(folder.uri, 'vector_add.cu');
  let doc: vscode.TextDocument | undefined;
  let original = '';
  const openDoc = (): vscode.TextDocument => {
    assert.ok(doc, 'fixture not opened');
    return doc;
  };
  const kernelSpan = (text: string) => {
    const start = text.indexOf(`__global__ void ${KERNEL}(`);
    return { start, end: text.indexOf('}\n', start) + 2 };
  };
  const show = async () => vscode.window.showTextDocument(openDoc(), { preview: false });

  const steps: Step[] = [
    ['opens the workspace file and activates the extension', async () => {
      doc = await vscode.workspace.openTextDocument(fixture);
      await show();
      original = doc.getText();
      await ext.activate();
      assert.ok(ext.isActive);
    }],
    ['KernelPilot: Set API Key takes the key in a password box', async () => {
      const done = vscode.commands.executeCommand(ClientCommand.setApiKey);
      await uiRequest({ action: 'type', text: '$API_KEY' });
      await done;
    }],
    ['shows "⚡ Optimize" on the kernel', async () => {
      await lensUntil(openDoc(), (t) => t === '⚡ Optimize', '"⚡ Optimize"', new Set(), 20_000);
    }],
    ['right-click → Optimize Kernel: the lens shows the round and best verified speedup, then the result', async () => {
      const d = openDoc();
      const before = await endpointStatus();
      await uiRequest({ action: 'context-menu', line: 'if (i < n) c[i] = a[i] + b[i];', item: 'Optimize Kernel' });
      const seen = new Set<string>();
      await lensUntil(d, (t) => t.startsWith('⚡ round') || DONE.test(t), 'running', seen);
      await uiRequest({ action: 'screenshot', name: 'optimize-running', settleMs: 100 });
      await lensUntil(d, (t) => DONE.test(t), 'done', seen);
      log(`lens titles: ${[...seen].join(' | ')}`);
      assert.ok([...seen].some((t) => /^⚡ round \d\/2 · .* · cancel$/.test(t)), `a running lens with cancel: ${JSON.stringify([...seen])}`);
      const after = await endpointStatus();
      assert.ok(after.requests > before.requests, 'the model was asked: the job got the key');
    }],
    ['Review opens a diff of the file against it with the kernel replaced', async () => {
      const d = openDoc();
      await runLens(await lensUntil(d, (t) => DONE.test(t), 'review'));
      const tab = await reviewOpened();
      assert.equal(tab.original.toString(), d.uri.toString());
      const candidate = (await vscode.workspace.openTextDocument(tab.modified)).getText();
      const span = kernelSpan(original);
      assert.ok(candidate.startsWith(original.slice(0, span.start)) && candidate.endsWith(original.slice(span.end)), 'only the kernel differs');
      assert.match(candidate, /\/\/ stand-in: fast/);
      const label = vscode.window.tabGroups.activeTabGroup.activeTab?.label ?? '';
      log(`diff title: ${label}`);
      assert.match(label, /vector_add r\d\d-c\d\d-a\d: 1\.\d\d× faster · 3 seeds · \d+ probes · NVIDIA/);
      await uiRequest({ action: 'screenshot', name: 'optimize-diff' });
    }],
    ['Accept applies one edit of the kernel; one Undo restores the original', async () => {
      const d = openDoc();
      assert.equal(await vscode.commands.executeCommand<boolean>(ClientCommand.accept), true);
      const text = d.getText();
      const span = kernelSpan(original);
      assert.ok(text.includes('// stand-in: fast'), 'the file holds the candidate');
      assert.ok(text.startsWith(original.slice(0, span.start)) && text.endsWith(original.slice(span.end)), 'nothing else changed');
      assert.equal(reviewTab(), undefined, 'the review closed');
      await show();
      await vscode.commands.executeCommand('undo');
      assert.equal(d.getText(), original, 'one Undo gives the original back');
      assert.equal(d.isDirty, false);
    }],
    ['a second run whose kernel is edited meanwhile: its candidates are not offered', async () => {
      const d = openDoc();
      const editor = await show();
      const line = lineOf(d, 'if (i < n)');
      editor.selection = new vscode.Selection(line, 4, line, 4);
      await vscode.commands.executeCommand(ClientCommand.optimize, d.uri);
      await insertBefore(d, 'if (i < n)', '  // my edit while it runs\n');
      await lensUntil(d, (t) => t.endsWith('vector_add changed since the run · Optimize again'), 'kernel changed');
      await vscode.commands.executeCommand(ClientCommand.review, d.uri, KERNEL);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(reviewTab(), undefined, 'no review of a stale candidate');
      await show();
      await vscode.commands.executeCommand('undo');
      assert.equal(d.getText(), original);
    }],
    ['Accept after the document changed is refused; reviewed again it applies, and the other edit survives', async () => {
      const d = openDoc();
      await lensUntil(d, (t) => DONE.test(t), 'review again');
      await vscode.commands.executeCommand(ClientCommand.review, d.uri, KERNEL);
      await reviewOpened();
      await insertBefore(d, '#include <cuda_runtime.h>', '// my note\n');
      assert.equal(await vscode.commands.executeCommand<boolean>(ClientCommand.accept), false, 'a stale Accept is refused');
      assert.ok(!d.getText().includes('stand-in: fast'));
      await vscode.commands.executeCommand(ClientCommand.review, d.uri, KERNEL);
      await reviewOpened();
      assert.equal(await vscode.commands.executeCommand<boolean>(ClientCommand.accept), true);
      assert.ok(d.getText().includes('// my note\n#include') && d.getText().includes('// stand-in: fast'), 'the edit elsewhere survives');
      await show();
      await vscode.commands.executeCommand('workbench.action.files.revert');
      assert.equal(d.getText(), original);
    }],
    ['Show Optimize Results: the panel draws the run (charts, every candidate); a row\'s Review opens its diff', async () => {
      const d = openDoc();
      await vscode.commands.executeCommand('notifications.clearAll'); // toasts would cover the panel's buttons
      await vscode.commands.executeCommand(ClientCommand.showResults, d.uri, KERNEL);
      const panelTab = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('kernelpilot.optimizeResults'));
      assert.ok(await poll(async () => panelTab(), 10_000), 'no results panel opened');
      await uiRequest({ action: 'screenshot', name: 'optimize-panel', settleMs: 1500 });
      // The table is drawn by the page's script (the CSP let it run) from the run the extension posted.
      await uiRequest({ action: 'frame-text', text: 'r01-c01-a0' });
      await uiRequest({ action: 'frame-click', text: 'Review' });
      await reviewOpened();
      await vscode.commands.executeCommand(ClientCommand.reject);
      await vscode.window.tabGroups.close(panelTab()!);
      await show();
    }],
    ['Browse Verified Candidates: a quick pick, best first; the one picked is reviewed, Reject closes it', async () => {
      const d = openDoc();
      const browsing = vscode.commands.executeCommand(ClientCommand.browseCandidates, d.uri, KERNEL);
      await uiRequest({ action: 'screenshot', name: 'optimize-candidates', settleMs: 800 });
      await uiRequest({ action: 'key', key: 'Enter', waitFor: '.quick-input-widget .monaco-list-row' });
      await browsing;
      await reviewOpened();
      await vscode.commands.executeCommand(ClientCommand.reject);
      assert.equal(reviewTab(), undefined);
    }],
    ['a KernelBench task: Optimize on Model, Review shows the new solutions/<task>.py against an empty file, Accept creates it whole, the task untouched; never over an existing one', async () => {
      const task = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'relu_task.py'));
      await vscode.window.showTextDocument(task, { preview: false });
      const taskText = task.getText();
      const modelLens = async (want: (title: string) => boolean) => poll(async () => {
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', task.uri, 100)) ?? [];
        const lens = lenses.find((l) => l.command?.arguments?.[1] === 'Model' && /^kernelpilot\.server\.(optimize|cancelOptimize|reviewOptimize)$/.test(l.command.command));
        return lens?.command && want(lens.command.title) ? lens : undefined;
      }, RUN_TIMEOUT_MS, 200);
      const start = await modelLens((t) => t === '⚡ Optimize');
      assert.ok(start, 'the ⚡ Optimize lens on the task\'s Model');
      await runLens(start);
      // On a CPU the host clock times PyTorch's own CPU kernels: clamp may come out faster than relu, or not (a busy
      // machine decides), so the run's end is either; its verified ModelNew is reviewable both ways.
      assert.ok(await modelLens((t) => t.startsWith('⚡ nothing faster found') || /^⚡ \S+× faster · verified/.test(t)), 'the run ended');
      await vscode.commands.executeCommand(ClientCommand.review, task.uri, 'Model', 'r01-c01-a0');
      const tab = await reviewOpened();
      const solution = vscode.Uri.joinPath(folder.uri, 'solutions', 'relu_task.py');
      assert.equal(tab.modified.path, solution.path, 'the candidate is shown as the new solution file');
      assert.equal((await vscode.workspace.openTextDocument(tab.original)).getText(), '', 'against an empty file');
      assert.match((await vscode.workspace.openTextDocument(tab.modified)).getText(), /class ModelNew\(nn\.Module\)[\s\S]*x\.clamp\(min=0\)/);
      assert.equal(await vscode.commands.executeCommand<boolean>(ClientCommand.accept), true);
      assert.match(readFileSync(solution.fsPath, 'utf8'), /class ModelNew\(nn\.Module\)[\s\S]*x\.clamp\(min=0\)/, 'the file on disk is whole');
      assert.equal(readFileSync(task.uri.fsPath, 'utf8'), taskText, 'the task on disk is untouched');
      assert.equal(task.getText(), taskText, 'and in the editor');
      // A second Accept of the same attempt: the solution exists now, so the server refuses to plan it.
      await vscode.commands.executeCommand(ClientCommand.review, task.uri, 'Model', 'r01-c01-a0');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(reviewTab(), undefined, 'no review over an existing solution');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await show();
    }],
    ['cancel mid-run: the model requests are abandoned and no process of the job is left', async () => {
      const d = openDoc();
      await insertBefore(d, 'if (i < n)', '  // kp-slow-model\n');
      assert.ok(await d.save());
      await runLens(await lensUntil(d, (t) => t.endsWith('· Optimize again'), 'Optimize again'));
      await poll(async () => ((await endpointStatus()).inFlight > 0 ? true : undefined), 60_000, 200);
      const cancel = await lensUntil(d, (t) => t.endsWith('· cancel'), 'cancel', new Set(), 10_000);
      assert.equal(cancel.command?.command, ServerCommand.cancelOptimize);
      await runLens(cancel);
      await lensUntil(d, (t) => t === '⚡ Optimize (last run cancelled)', 'cancelled', new Set(), 20_000);
      const status = await poll(async () => {
        const s = await endpointStatus();
        return s.inFlight === 0 ? s : undefined;
      }, 10_000);
      assert.ok(status && status.abandoned > 0, `the model's requests were abandoned: ${JSON.stringify(status)}`);
      assert.deepEqual(childrenOf(serverPid(ext.extensionPath)), [], 'no process of the job is left');
    }],
  ];

  // Later steps need the document; without it their failures are noise.
  await runSteps(steps, log, () => doc !== undefined);
}
