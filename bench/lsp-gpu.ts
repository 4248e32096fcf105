// The editor's benchmark path on a real GPU: drives `dist/cli.js lsp --stdio` as an LSP client would (VS Code's
// lens click is the same workspace/executeCommand), benchmarks examples/cuda/vector_add, and writes what the
// editor would show (lens, hover, notifications, progress) to OUTFILE. Bundled here (no node_modules there):
//   node -e "require('./test/bundle').bundleForTest('bench/lsp-gpu.ts', 'lsp-gpu')"   (see COMMAND.md of its results)
//   node lsp-gpu.cjs OUTFILE                      (on the GPU machine, from the repository root)
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LspClient, positionOf, uriOf } from '../test/lsp/client';
import { ServerCommand } from '../server/src/protocol/commands';

async function main(outFile: string): Promise<void> {
  const example = resolve('examples/cuda/vector_add');
  const root = mkdtempSync(join(tmpdir(), 'kp-lsp-gpu-'));
  mkdirSync(join(root, '.kernelpilot/specs'), { recursive: true });
  cpSync(join(example, 'vector_add.cu'), join(root, 'vector_add.cu'));
  cpSync(join(example, 'vector_add.spec.json'), join(root, '.kernelpilot/specs/vector_add.json'));
  const text = readFileSync(join(root, 'vector_add.cu'), 'utf8');
  const uri = uriOf(join(root, 'vector_add.cu'));
  const client = await LspClient.start({ root, windowFeatures: true, serverArgs: [resolve('dist/cli.js'), 'lsp', '--stdio'] });
  const started = Date.now();
  try {
    await client.open(uri, 'cuda-cpp', text);
    const answer = await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    const outcome = await client.waitFor('the benchmark to finish', () => client.messages.find((m) => /vector_add: |benchmark of vector_add failed/.test(m.message)), 300_000, 500);
    const lenses = (await client.allLenses(uri)) ?? [];
    const hover = await client.hover(uri, positionOf(text, 'vector_add('));
    const result = {
      answer,
      outcome,
      seconds: (Date.now() - started) / 1000,
      lenses: lenses.map((l) => ({ title: l.command?.title, command: l.command?.command })),
      hover: (hover?.contents as { value?: string } | undefined)?.value,
      progress: client.progress.map((p) => p.value),
      messages: client.messages,
      diagnostics: client.lastDiagnostics(uri),
    };
    writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
    console.log(`${outcome.message}\nlenses: ${result.lenses.map((l) => l.title).join(' | ')}`);
  } finally {
    await client.dispose();
  }
}

main(process.argv[2] ?? 'lsp-gpu.json').catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
