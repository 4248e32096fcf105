// The Restricted Mode suite: VS Code with workspace trust on and the folder untrusted (run-code-server.mjs with
// KP_VSCODE_RESTRICTED=1). Kernels are still found, lensed and hovered; nothing is compiled or run, and the lenses
// say so and how to trust. nvcc is a user-level wrapper that records its calls (KP_NVCC_CALLS): none may appear.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { holdForScreenshot, hoverText, lineOf, poll, sleep, symbolNames } from './util';

const EXTENSION_ID = 'kernelpilot.kernelpilot';
const KERNELS = ['vector_add', 'saxpy'] as const;
const log = (msg: string): void => console.log(`[kp-suite] ${msg}`);

async function lensTitles(doc: vscode.TextDocument): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100)) ?? [];
  return lenses.map((l) => l.command?.title ?? '(unresolved)');
}

export async function run(): Promise<void> {
  assert.equal(vscode.workspace.isTrusted, false, 'the runner opens the folder untrusted');
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(ext.extensionPath, 'test', 'vscode', 'workspace', 'vector_add.cu')));
  await vscode.window.showTextDocument(doc, { preview: false });
  await ext.activate();
  assert.ok(ext.isActive, 'the extension activates in Restricted Mode (untrustedWorkspaces: limited)');

  let titles: string[] = [];
  const ready = await poll(async () => {
    titles = await lensTitles(doc);
    return titles.filter((t) => t.includes('not compiled — Restricted Mode')).length === KERNELS.length ? true : undefined;
  }, 20_000);
  assert.ok(ready, `each kernel's lens says it was not compiled and why; saw ${JSON.stringify(titles)}`);
  assert.ok(titles.filter((t) => t === '▶ Benchmark (Restricted Mode: trust the folder first)').length === KERNELS.length, `benchmark lenses: ${JSON.stringify(titles)}`);
  log(`lenses: ${titles.join(' | ')}`);
  await holdForScreenshot(log);

  const symbols = symbolNames((await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri)) ?? []);
  for (const kernel of KERNELS) assert.ok(symbols.some((s) => s.includes(kernel)), `discovery still works: ${JSON.stringify(symbols)}`);
  const line = lineOf(doc, '__global__ void vector_add(');
  const hover = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, doc.lineAt(line).text.indexOf('vector_add') + 1))) ?? []);
  assert.match(hover, /vector_add/, 'hovers still work');

  // Saving and asking for a re-check compile nothing either.
  await vscode.commands.executeCommand('kernelpilot.recheck', doc.uri);
  await sleep(2000);
  const calls = process.env.KP_NVCC_CALLS;
  assert.ok(calls, 'the runner passes KP_NVCC_CALLS');
  assert.equal(existsSync(calls), false, `nvcc ran in Restricted Mode: ${existsSync(calls) ? readFileSync(calls, 'utf8') : ''}`);
  log('no nvcc call recorded; Restricted Mode checks passed');
}
