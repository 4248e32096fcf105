// KernelPilot's VS Code test suite. It runs INSIDE the extension host (code-server's or desktop VS Code's),
// loaded through `extensionTestsPath`; the workbench reports a rejected run() as exit code 1.
// It checks what a user sees: activation, server CodeLens on each kernel, hover, outline, the context-menu command.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { holdForScreenshot, hoverText, lineOf, poll, symbolNames } from './util';

const EXTENSION_ID = 'kernelpilot.kernelpilot';
const RECHECK = 'kernelpilot.recheck';
const RECHECK_TITLE = 'KernelPilot: Re-run Static Check';
const KERNELS = ['vector_add', 'saxpy'] as const;
// nvcc takes under a second per file, but the server may start it only after parsing; leave room on slow CI.
const LENS_TIMEOUT_MS = Number(process.env.KP_VSCODE_LENS_TIMEOUT_MS ?? 20_000);

const log = (msg: string): void => console.log(`[kp-suite] ${msg}`);

type Step = [name: string, body: () => Promise<void>];

/** Waits until every kernel's line has a CodeLens whose title carries nvcc's numbers (e.g. "31 regs"). */
async function expectResourceLenses(doc: vscode.TextDocument, lines: Map<string, number>): Promise<void> {
  let last: vscode.CodeLens[] = [];
  const onKernel = (kernel: string): vscode.CodeLens[] => last.filter((lens) => lens.range.start.line === lines.get(kernel));
  const ready = await poll(async () => {
    // The second argument asks VS Code to resolve lenses, in case the server sends titles lazily.
    last = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100)) ?? [];
    return KERNELS.every((k) => onKernel(k).some((lens) => lens.command?.title.includes('regs'))) ? true : undefined;
  }, LENS_TIMEOUT_MS);
  const seen = last.map((lens) => `line ${lens.range.start.line + 1}: ${lens.command?.title ?? '(unresolved)'}`);
  for (const kernel of KERNELS) {
    assert.ok(onKernel(kernel).length > 0, `no CodeLens on ${kernel} (line ${lines.get(kernel)! + 1}); saw ${JSON.stringify(seen)}`);
  }
  assert.ok(ready, `no CodeLens title mentions "regs" on every kernel after ${LENS_TIMEOUT_MS} ms; saw ${JSON.stringify(seen)}`);
  log(`lenses: ${seen.join(' | ')}`);
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
    ['runs the re-check command', async () => {
      const registered = await vscode.commands.getCommands(true);
      assert.ok(registered.includes(RECHECK), `${RECHECK} is not registered`);
      // From the editor context menu VS Code passes the document's URI; do the same.
      await vscode.commands.executeCommand(RECHECK, openDoc().uri);
      // The command reports server errors in a notification rather than throwing, so check its effect instead.
      await expectResourceLenses(openDoc(), lines);
    }],
  ];

  const failures: string[] = [];
  for (const [name, body] of steps) {
    const started = Date.now();
    try {
      await body();
      log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`FAIL ${name}: ${message}`);
      failures.push(`${name}: ${message}`);
      // Later steps need the document; without it their failures are noise.
      if (!doc) break;
    }
  }
  if (failures.length > 0) throw new Error(`${failures.length} check(s) failed:\n${failures.join('\n')}`);
  log(`all ${steps.length} checks passed`);
}
