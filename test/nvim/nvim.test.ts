// Neovim as a real LSP client of `kernelpilot lsp --stdio`: runs test/nvim/client.lua headless on a fixture and
// checks what Neovim got back (symbols, a lens with registers from the nvcc check, a hover, symbols after an
// edit Neovim synced incrementally). Needs `npm run build`, nvcc, and nvim (0.7+; `apt-get install -y neovim`).
// Without nvim the test is skipped locally but FAILS in CI (CI is set), where nvim is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CodeLens, DocumentSymbol, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { BENCH_LENS_COMMANDS, cliPath, repoRoot } from '../lsp/client';
import { kernelsCu, tempDir, writeTemp } from '../lsp/fixtures';

interface NvimResult {
  file: string;
  symbols: DocumentSymbol[];
  lenses: CodeLens[];
  hover: Hover;
  symbolsAfterEdit: string[];
  messages: string[];
}

function nvimVersion(): string | undefined {
  const probe = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.split('\n')[0] : undefined;
}

const version = nvimVersion();
const skip = !version && !process.env.CI ? 'nvim is not installed (apt-get install -y neovim); in CI this is a failure' : false;

test('Neovim: symbols, lenses with registers, hover, and an incremental edit', { skip, timeout: 60_000 }, (t) => {
  assert.ok(version, 'nvim is not installed but CI is set: install it (apt-get install -y neovim)');
  assert.ok(existsSync(cliPath), `${cliPath} is missing: run npm run build first`);
  t.diagnostic(version);
  const dir = tempDir('kp-nvim-');
  try {
    const file = writeTemp(dir, 'kernels.cu', kernelsCu);
    const run = spawnSync('nvim', ['--headless', '-n', '-i', 'NONE', '-u', join(repoRoot, 'test/nvim/client.lua'), file], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 55_000,
      env: { ...process.env, KP_NODE: process.execPath, XDG_STATE_HOME: dir, XDG_CACHE_HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
    });
    const context = `nvim exited ${run.status} (signal ${run.signal})\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
    assert.equal(run.status, 0, context);
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    assert.ok(line, `no JSON on stdout\n${context}`);
    const result = JSON.parse(line) as NvimResult;

    assert.deepEqual(result.symbols.map((s) => s.name), ['vector_add', 'scale', 'fill'], 'document symbols');
    assert.deepEqual(result.symbols[0].selectionRange, { start: { line: 3, character: 16 }, end: { line: 3, character: 26 } }, 'vector_add name range');

    // Two lenses per CUDA kernel, both on its name: the static check and "▶ Benchmark".
    const isBench = (l: NvimResult['lenses'][number]) => BENCH_LENS_COMMANDS.includes(l.command?.command ?? '');
    const check = result.lenses.filter((l) => !isBench(l));
    const bench = result.lenses.filter(isBench);
    assert.equal(check.length, 3, 'one static-check lens per kernel');
    const titles = check.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((x) => /^sm_\d+a? · \d+ regs · \d+ spills/.test(x)), `a lens shows registers: ${JSON.stringify(titles)}`);
    assert.deepEqual(check.map((l) => l.range), result.symbols.map((s) => s.selectionRange), 'lenses sit on the kernel names');
    assert.deepEqual(bench.map((l) => [l.command?.title, l.range]), result.symbols.map((s) => ['▶ Benchmark', s.selectionRange]), 'a benchmark lens on every kernel name');

    const hover = (result.hover.contents as MarkupContent).value;
    assert.ok(hover.includes('__global__ void vector_add(const float* __restrict__ a'), `hover signature:\n${hover}`);
    assert.ok(hover.includes('| parameter | type | role |') && hover.includes('| `n` | `int` |'), `hover parameter table:\n${hover}`);

    assert.deepEqual(result.symbolsAfterEdit, ['vector_add', 'scale', 'fill', 'added_in_nvim'], 'symbols after the edit Neovim sent');
    assert.deepEqual(result.messages, [], 'no window/showMessage');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
