// KernelPilot's VS Code test suite. It runs INSIDE the extension host (code-server's or desktop VS Code's),
// loaded through `extensionTestsPath`; the workbench reports a rejected run() as exit code 1.
// It checks what a user sees: activation, server CodeLens on each kernel, hover, outline, the context-menu commands
// (re-check, benchmark, create bench spec).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ClientCommand } from '../../../server/src/protocol/commands';
import { holdForScreenshot, hoverText, lineOf, poll, runSteps, symbolNames, type Step } from './util';

const EXTENSION_ID = 'kernelpilot.kernelpilot';
const RECHECK = ClientCommand.recheck;
const RECHECK_TITLE = 'KernelPilot: Re-run Static Check';
const BENCHMARK = ClientCommand.benchmark;
const CREATE_SPEC = ClientCommand.createSpec;
const KERNELS = ['vector_add', 'saxpy'] as const;
// nvcc takes under a second per file, but the server may start it only after parsing; leave room on slow CI.
const LENS_TIMEOUT_MS = Number(process.env.KP_VSCODE_LENS_TIMEOUT_MS ?? 20_000);

const log = (msg: string): void => console.log(`[kp-suite] ${msg}`);


/** The lenses on a kernel's line whose title passes `want`, polled until there is one per kernel. */
async function lensesTitled(doc: vscode.TextDocument, lines: Map<string, number>, want: (title: string) => boolean, what: string): Promise<string[]> {
  let titles: string[] = [];
  const found = await poll(async () => {
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100)) ?? [];
    titles = lenses.map((l) => `line ${l.range.start.line + 1}: ${l.command?.title ?? '(unresolved)'}`);
    return KERNELS.every((k) => lenses.some((l) => l.range.start.line === lines.get(k) && want(l.command?.title ?? ''))) ? true : undefined;
  }, LENS_TIMEOUT_MS);
  assert.ok(found, `no ${what} lens on every kernel after ${LENS_TIMEOUT_MS} ms; saw ${JSON.stringify(titles)}`);
  return titles;
}

/** Waits until every kernel's line has a CodeLens whose title carries nvcc's numbers (e.g. "31 regs"). */
async function expectResourceLenses(doc: vscode.TextDocument, lines: Map<string, number>): Promise<void> {
  log(`lenses: ${(await lensesTitled(doc, lines, (t) => t.includes('regs'), 'resource ("regs")')).join(' | ')}`);
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (is extensionDevelopmentPath the repo root?)`);
  // The fixture ships inside the repo, so find it from the extension rather than from the opened folder.
  const fixture = vscode.Uri.file(path.join(ext.extensionPath, 'test', 'vscode', 'workspace', 'vector_add.cu'));
  let doc: vscode.TextDocument | undefined;
  const lines = new Map<string, number>();
  const openDoc = (): vscode.TextDocument => {
    assert.ok(doc, 'fixture not opened');
    return doc;
  };

  const steps: Step[] = [
    ['opens the fixture as CUDA', async () => {
      doc = await vscode.workspace.openTextDocument(fixture);
      // Shown in an editor so CodeLens is rendered (the runner screenshots it) and active-editor commands work.
      await vscode.window.showTextDocument(doc, { preview: false });
      assert.equal(doc.languageId, 'cuda-cpp');
      for (const kernel of KERNELS) lines.set(kernel, lineOf(doc, `__global__ void ${kernel}(`));
    }],
    ['activates the extension', async () => {
      await ext.activate();
      assert.ok(ext.isActive, `${EXTENSION_ID} did not activate`);
    }],
    ['shows server CodeLens with resource usage on each kernel', async () => {
      await expectResourceLenses(openDoc(), lines);
      await holdForScreenshot(log);
    }],
    ['hovers a kernel name', async () => {
      const d = openDoc();
      for (const kernel of KERNELS) {
        const line = lines.get(kernel)!;
        const pos = new vscode.Position(line, d.lineAt(line).text.indexOf(kernel) + 1);
        const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', d.uri, pos)) ?? [];
        const text = hoverText(hovers);
        assert.ok(text.includes(kernel), `hover on ${kernel} does not mention it: ${JSON.stringify(text)}`);
      }
    }],
    ['lists both kernels as document symbols', async () => {
      const symbols = (await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>(
        'vscode.executeDocumentSymbolProvider', openDoc().uri)) ?? [];
      const names = symbolNames(symbols);
      for (const kernel of KERNELS) {
        assert.ok(names.some((name) => name.includes(kernel)), `no document symbol for ${kernel}; saw ${JSON.stringify(names)}`);
      }
    }],
    ['contributes the re-check command to the editor context menu', async () => {
      const contributes = ext.packageJSON.contributes ?? {};
      const menu: { command?: string }[] = contributes.menus?.['editor/context'] ?? [];
      assert.ok(menu.some((item) => item.command === RECHECK), `contributes.menus["editor/context"] lacks ${RECHECK}`);
      const commands: { command: string; title: string; category?: string }[] = contributes.commands ?? [];
      const entry = commands.find((c) => c.command === RECHECK);
      assert.ok(entry, `contributes.commands lacks ${RECHECK}`);
      // A title may be written whole or split into category + title; the user sees the same text either way.
      const shown = entry.title.includes(':') || !entry.category ? entry.title : `${entry.category}: ${entry.title}`;
      assert.equal(shown, RECHECK_TITLE);
    }],
    ['offers "KernelPilot: Select Target" (contributed and registered; the status bar item runs it)', async () => {
      const commands: { command: string; title: string; category?: string }[] = ext.packageJSON.contributes?.commands ?? [];
      const entry = commands.find((c) => c.command === ClientCommand.selectTarget);
      assert.equal(entry ? `${entry.category}: ${entry.title}` : undefined, 'KernelPilot: Select Target');
      const registered = await vscode.commands.getCommands(true);
      assert.ok(registered.includes(ClientCommand.selectTarget), `${ClientCommand.selectTarget} is not registered`);
      const scope = (ext.packageJSON.contributes?.configuration?.properties ?? {}) as Record<string, { scope?: string }>;
      assert.deepEqual([scope['kernelpilot.targets']?.scope, scope['kernelpilot.activeTarget']?.scope], ['machine', 'machine'], 'the target settings must be machine-scoped');
    }],
    ['runs the re-check command', async () => {
      const registered = await vscode.commands.getCommands(true);
      assert.ok(registered.includes(RECHECK), `${RECHECK} is not registered`);
      // From the editor context menu VS Code passes the document's URI; do the same.
      await vscode.commands.executeCommand(RECHECK, openDoc().uri);
      // The command reports server errors in a notification rather than throwing, so check its effect instead.
      await expectResourceLenses(openDoc(), lines);
    }],
    ['shows a "▶ Benchmark" lens on each kernel, and the context menu offers Benchmark and Create Bench Spec', async () => {
      await lensesTitled(openDoc(), lines, (t) => t === '▶ Benchmark', '"▶ Benchmark"');
      const menu: { command?: string }[] = ext.packageJSON.contributes?.menus?.['editor/context'] ?? [];
      for (const command of [BENCHMARK, CREATE_SPEC]) assert.ok(menu.some((item) => item.command === command), `editor/context lacks ${command}`);
    }],
    ['runs Benchmark from the context menu: the lens and hover show the outcome (here: no GPU, the reason)', async () => {
      const d = openDoc();
      const line = lines.get('vector_add')!;
      await vscode.window.activeTextEditor?.revealRange(new vscode.Range(line, 0, line, 0));
      if (vscode.window.activeTextEditor) vscode.window.activeTextEditor.selection = new vscode.Selection(line + 1, 2, line + 1, 2);
      await vscode.commands.executeCommand(BENCHMARK, d.uri);
      // A GPU machine shows the time; a machine without one shows that the run failed, and the hover says why.
      const done = (t: string): boolean => t === '▶ Benchmark (last run failed)' || / ms ±.* of peak/.test(t);
      let outcome = '';
      await poll(async () => {
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', d.uri, 100)) ?? [];
        outcome = lenses.find((l) => l.range.start.line === line && done(l.command?.title ?? ''))?.command?.title ?? '';
        return outcome || undefined;
      }, 60_000);
      assert.ok(outcome, 'the benchmark lens of vector_add never showed an outcome');
      log(`benchmark lens: ${outcome}`);
      const pos = new vscode.Position(line, d.lineAt(line).text.indexOf('vector_add') + 1);
      const hover = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', d.uri, pos)) ?? []);
      if (outcome.endsWith('(last run failed)')) assert.match(hover, /Last benchmark failed:.*no CUDA device on target 'local'/s);
      else assert.match(hover, /95 % CI of median/);
    }],
    ['Create Bench Spec writes the inferred spec under .kernelpilot/specs/ and opens it', async () => {
      const folder = path.dirname(fixture.fsPath);
      const spec = vscode.Uri.file(path.join(folder, '.kernelpilot', 'specs', 'vector_add.json'));
      await vscode.workspace.fs.delete(spec, { useTrash: false }).then(undefined, () => undefined);
      await vscode.commands.executeCommand(CREATE_SPEC, openDoc().uri);
      const opened = await poll(async () => (vscode.window.activeTextEditor?.document.uri.fsPath === spec.fsPath ? vscode.window.activeTextEditor.document : undefined), 20_000);
      assert.ok(opened, `the spec was not opened; active: ${vscode.window.activeTextEditor?.document.uri.fsPath}`);
      const json = JSON.parse(opened.getText()) as { kernel: string; args: { name: string; role: string }[] };
      assert.equal(json.kernel, 'vector_add');
      assert.deepEqual(json.args.map((a) => a.role), ['input', 'input', 'output', 'scalar']);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await vscode.workspace.fs.delete(vscode.Uri.file(path.join(folder, '.kernelpilot')), { recursive: true, useTrash: false });
    }],
  ];

  // Later steps need the document; without it their failures are noise.
  await runSteps(steps, log, () => doc !== undefined);
}
