// "⚡ Optimize" on a real GPU, the way an editor runs it: drives `dist/cli.js lsp --stdio` as an LSP client
// (VS Code's lens click and code action are the same requests), optimizes examples/cuda/vector_add with the
// scripted OpenAI-compatible endpoint (bench/scripted-endpoint.mjs: the honest fast candidate, every cheat, a
// compile failure, a slower correct one), and writes what the editor showed to OUTFILE: the lens titles seen while
// it ran, work-done progress, the result notification, the run's view, the "Apply optimized kernel" action's
// versioned edit applied to the text, and the files of the run record. Bundled here (no node_modules there):
//   node --import ./scripts/ts.mjs -e "require('fs').copyFileSync(require('./test/bundle').bundleForTest('bench/lsp-gpu-optimize.ts', 'lsp-gpu-optimize'), '.kp-node/lsp-gpu-optimize.cjs')"
//   KP_BWRAP=/path/to/bwrap node lsp-gpu-optimize.cjs OUTFILE        (on the GPU machine, from the repository root)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol';
import { applyChange, LspClient, positionOf, uriOf } from '../test/lsp/client';
import { ServerCommand } from '../server/src/protocol/commands';
import { API_KEY_REQUEST, OPTIMIZE_RESULT_REQUEST, type OptimizeRunView } from '../server/src/protocol/optimize';

const EXAMPLE = resolve('examples/cuda/vector_add');
const ENDPOINT = resolve('bench/scripted-endpoint.mjs');

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => (statSync(join(folder, name)).isDirectory() ? filesUnder(join(folder, name)) : [join(folder, name)]));
}

async function startEndpoint(root: string): Promise<{ url: string; answers: number; stop: () => void }> {
  const urlFile = join(root, 'endpoint-url');
  const list = await new Promise<string>((done, fail) => {
    const p = spawn(process.execPath, [ENDPOINT, '--example', EXAMPLE, '--list']);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', fail);
    p.on('close', () => done(out));
  });
  const server = spawn(process.execPath, [ENDPOINT, '--example', EXAMPLE, '--url-file', urlFile, '--log', join(root, 'endpoint.jsonl')], { stdio: 'inherit' });
  for (let i = 0; i < 100 && !existsSync(urlFile); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(urlFile)) throw new Error('the scripted endpoint did not start');
  return { url: readFileSync(urlFile, 'utf8').trim(), answers: list.trim().split('\n').length, stop: () => server.kill() };
}

async function main(outFile: string): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'kp-lsp-gpu-optimize-'));
  mkdirSync(join(root, '.kernelpilot/specs'), { recursive: true });
  cpSync(join(EXAMPLE, 'vector_add.cu'), join(root, 'vector_add.cu'));
  cpSync(join(EXAMPLE, 'vector_add.spec.json'), join(root, '.kernelpilot/specs/vector_add.json'));
  const text = readFileSync(join(root, 'vector_add.cu'), 'utf8');
  const uri = uriOf(join(root, 'vector_add.cu'));
  const endpoint = await startEndpoint(root);
  const user = { optimize: { baseUrl: endpoint.url, model: 'scripted', rounds: 1, candidates: endpoint.answers }, ...(process.env.KP_BWRAP ? { sandbox: { bwrapPath: process.env.KP_BWRAP } } : {}) };
  const client = await LspClient.start({ root, windowFeatures: true, editFeatures: true, settings: user, userSettings: user, serverArgs: [resolve('dist/cli.js'), 'lsp', '--stdio'] });
  client.connection.onRequest(API_KEY_REQUEST, () => ({ key: 'scripted-endpoint-takes-any-key' }));
  const started = Date.now();
  const lensTitles: string[] = [];
  const seeLens = async () => {
    const lens = (await client.allLenses(uri))?.find((l) => /kernelpilot\.server\.(optimize|cancelOptimize|reviewOptimize)$/.test(l.command?.command ?? ''));
    const title = lens?.command?.title;
    if (title && lensTitles.at(-1) !== title) lensTitles.push(title);
  };
  try {
    await client.open(uri, 'cuda-cpp', text);
    const answer = await client.executeCommand(ServerCommand.optimize, [uri, 'vector_add']);
    const outcome = await client.waitFor(
      'the optimize run to finish',
      async () => {
        await seeLens();
        return client.messages.find((m) => /^KernelPilot: vector_add: |optimiz\w* .*failed/i.test(m.message));
      },
      540_000,
      1000,
    );
    await seeLens();
    const view = await client.request<OptimizeRunView>(OPTIMIZE_RESULT_REQUEST, { uri, kernel: 'vector_add' });
    const at = positionOf(text, 'c[i] = a[i] + b[i]');
    const action = ((await client.codeActions(uri, { start: at, end: at })) ?? []).find((a) => a.title.startsWith('Apply optimized kernel'));
    const edit = action?.edit?.documentChanges?.[0] as TextDocumentEdit | undefined;
    const applied = edit ? edit.edits.reduce((t, e) => applyChange(t, { range: (e as TextEdit).range, text: (e as TextEdit).newText }), text) : undefined;
    const runDir = view?.runDir;
    const result = {
      answer,
      outcome,
      seconds: (Date.now() - started) / 1000,
      lensTitles,
      progress: client.progress.map((p) => p.value),
      view,
      applyAction: action && { title: action.title, version: edit?.textDocument.version, edits: edit?.edits.length },
      appliedText: applied,
      fileUnchanged: readFileSync(join(root, 'vector_add.cu'), 'utf8') === text,
      recordFiles: runDir && existsSync(runDir) ? filesUnder(runDir).map((f) => relative(runDir, f)) : [],
      record: runDir && existsSync(join(runDir, 'optimize.json')) ? JSON.parse(readFileSync(join(runDir, 'optimize.json'), 'utf8')) : undefined,
      messages: client.messages,
    };
    writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
    console.log(`${outcome.message}\nlens: ${lensTitles.join('  →  ')}\naction: ${action?.title ?? 'none'} (version ${edit?.textDocument.version})\nfile untouched until accepted: ${result.fileUnchanged}\nrecord: ${result.recordFiles.length} files in ${runDir}`);
  } finally {
    await client.dispose();
    endpoint.stop();
  }
}

main(process.argv[2] ?? 'lsp-gpu-optimize.json').catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
