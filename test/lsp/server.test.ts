// The language server through a real JSON-RPC client over stdio (`node dist/cli.js lsp --stdio`): the
// handshake, symbols, lenses filled in by the background nvcc check, hovers, incremental edits, compile
// errors as diagnostics, re-check on save, Triton files, and a clean shutdown. Needs `npm run build` and nvcc.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import type { DocumentSymbol, MarkupContent, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { applyChange, LspClient, positionOf, processesMentioning, rangeOf, repoRoot, uriOf, withLspClient } from './client';
import { assertLensesMatchSymbols, brokenCu, brokenLines, expectedCudaKernels, kernelsCu, symbolSummary, tempDir, tritonPy, writeTemp } from './fixtures';
import { ServerCommand } from '../../server/src/protocol/commands';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

/** A client for one test, on the shared temp workspace. */
const withClient = (t: TestContext, body: (client: LspClient) => Promise<void>, settings = {}) => withLspClient(t, { root: dir, settings }, body);

async function symbolsOf(client: LspClient, uri: string): Promise<DocumentSymbol[]> {
  const symbols = await client.symbols(uri);
  assert.ok(Array.isArray(symbols), `documentSymbol answered ${JSON.stringify(symbols)}`);
  return symbols as DocumentSymbol[];
}

/** documentSymbol must list exactly the kernels the text has, at their names; lenses must follow. */
async function assertSymbolsMatch(client: LspClient, uri: string, text: string, context: string): Promise<DocumentSymbol[]> {
  const symbols = await symbolsOf(client, uri);
  assert.deepEqual(symbolSummary(symbols), expectedCudaKernels(text), `${context}: documentSymbol`);
  assertLensesMatchSymbols((await client.lenses(uri)) ?? [], symbols, context);
  return symbols;
}

const hoverText = (hover: { contents: unknown } | null): string => (hover ? (hover.contents as MarkupContent).value : '');

test('initialize advertises incremental sync, symbols, lenses, hovers and the recheck command', async (t) => {
  await withClient(t, async (client) => {
    const capabilities = client.initializeResult?.capabilities;
    assert.ok(capabilities, 'no initialize result');
    assert.deepEqual(capabilities.textDocumentSync, { openClose: true, change: 2, save: { includeText: false } });
    assert.ok(capabilities.documentSymbolProvider);
    assert.deepEqual(capabilities.codeLensProvider, { resolveProvider: false });
    assert.equal(capabilities.hoverProvider, true);
    assert.equal(capabilities.codeActionProvider, true);
    assert.deepEqual(capabilities.executeCommandProvider?.commands, [
      ServerCommand.recheck,
      ServerCommand.benchmark,
      ServerCommand.cancelBenchmark,
      ServerCommand.createSpec,
      ServerCommand.optimize,
      ServerCommand.cancelOptimize,
      ServerCommand.reviewOptimize,
      ServerCommand.profile,
      ServerCommand.cancelProfile,
      ServerCommand.openProfileReport,
    ]);
    assert.equal(client.initializeResult?.serverInfo?.name, 'kernelpilot');
    assert.ok(client.configurationRequests.length >= 1, 'the server pulls kernelpilot.* with workspace/configuration after initialized');
  });
});

test('a CUDA file: symbols, lenses filled in by nvcc, hovers', async (t) => {
  const uri = uriOf(writeTemp(dir, 'kernels.cu', kernelsCu));
  await withClient(t, async (client) => {
    await client.open(uri, 'cuda-cpp', kernelsCu);
    const symbols = await assertSymbolsMatch(client, uri, kernelsCu, 'after open');
    assert.deepEqual(symbols.map((s) => s.name), ['vector_add', 'scale', 'fill']);
    assert.match(symbols[0].detail ?? '', /cuda kernel/);

    const first = (await client.lenses(uri)) ?? [];
    assert.deepEqual(first.map((l) => l.command?.title), Array(3).fill('KernelPilot: checking…'), 'before nvcc answers, lenses say the check is running');

    const refreshesBefore = client.lensRefreshes;
    const lenses = await client.waitForLenses(uri, (titles) => titles.length === 3 && titles.every((title) => title.includes('regs')), 'every lens to show registers');
    for (const lens of lenses) assert.match(lens.command?.title ?? '', /^sm_\d+a? · \d+ regs · \d+ spills · .*smem/, 'lens title format');
    assert.ok(client.lensRefreshes > refreshesBefore || refreshesBefore > 0, 'the server asks the client to refresh lenses (workspace/codeLens/refresh)');
    assert.deepEqual(client.lastDiagnostics(uri), [], 'a clean compile publishes an empty diagnostic list');

    const hover = await client.hover(uri, positionOf(kernelsCu, 'vector_add(const', 0));
    const markdown = hoverText(hover);
    assert.ok(markdown.includes('__global__ void vector_add(const float* __restrict__ a, const float* __restrict__ b, float* c, int n)'), `hover has the signature:\n${markdown}`);
    assert.ok(markdown.includes('| parameter | type | role |'), `hover has the parameter table:\n${markdown}`);
    for (const row of ['| `a` | `const float* __restrict__` |', '| `c` | `float*` |', '| `n` | `int` |']) assert.ok(markdown.includes(row), `hover row ${row}:\n${markdown}`);
    assert.deepEqual(hover?.range, symbols[0].selectionRange, 'hover range is the name token');

    // A launch site hovers as its kernel; whitespace does not hover at all.
    const launched = hoverText(await client.hover(uri, positionOf(kernelsCu, 'fill<float><<<')));
    assert.ok(launched.includes('template <typename T>') || launched.includes('`fill`'), `hover on a launch site:\n${launched}`);
    assert.equal(await client.hover(uri, { line: 2, character: 0 }), null);
  });
});

test('every lens command can be run by a plain LSP client (Neovim, Helix, Emacs run them via workspace/executeCommand)', async (t) => {
  const uri = uriOf(writeTemp(dir, 'lens_commands.cu', kernelsCu));
  await withClient(t, async (client) => {
    await client.open(uri, 'cuda-cpp', kernelsCu);
    const advertised = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    await client.waitForLenses(uri, (titles) => titles.length === 3 && titles.every((title) => title.includes('regs')), 'lenses with registers');
    const lenses = (await client.allLenses(uri)) ?? [];
    assert.equal(lenses.length, 12, 'a static-check lens, a benchmark, a profile and an optimize lens per kernel');
    for (const lens of lenses) {
      const command = lens.command?.command ?? '';
      if (command === '') continue; // a title-only lens
      assert.ok(advertised.includes(command), `lens '${lens.command?.title}' runs '${command}', which the server does not offer (executeCommandProvider: ${advertised.join(', ')})`);
      assert.match(String(await client.executeCommand(command, lens.command?.arguments ?? [])), /^KernelPilot: /);
    }
  }, { check: { debounceMs: 50 } });
});

test('incremental didChange: insert, rename, type, delete — symbols and lenses follow exactly', async (t) => {
  const uri = uriOf(writeTemp(dir, 'edits.cu', kernelsCu));
  await withClient(t, async (client) => {
    let text = kernelsCu;
    await client.open(uri, 'cuda-cpp', text);
    const edit = async (context: string, ...changes: TextDocumentContentChangeEvent[]) => {
      for (const change of changes) text = applyChange(text, change);
      await client.change(uri, changes);
      return assertSymbolsMatch(client, uri, text, context);
    };
    await assertSymbolsMatch(client, uri, text, 'open');

    // A new kernel pasted in the middle (zero-width range at the start of a line).
    const at = positionOf(text, '__global__ void scale');
    let symbols = await edit('insert a kernel', { range: { start: at, end: at }, text: '__global__ void inserted_kernel(int* flags) {\n  flags[threadIdx.x] = 1;\n}\n\n' });
    assert.deepEqual(symbols.map((s) => s.name), ['vector_add', 'inserted_kernel', 'scale', 'fill']);

    // Rename by typing after the name, one character per didChange, as an editor sends keystrokes.
    for (const ch of '_by') {
      const nameEnd = positionOf(text, '(float* x, float alpha');
      await edit(`type '${ch}'`, { range: { start: nameEnd, end: nameEnd }, text: ch });
    }
    symbols = await symbolsOf(client, uri);
    assert.deepEqual(symbols.map((s) => s.name), ['vector_add', 'inserted_kernel', 'scale_by', 'fill']);

    // Rename with a replacing edit, and two changes in one notification (the second in the first's coordinates).
    symbols = await edit(
      'replace a name and edit a body in one notification',
      { range: rangeOf(text, 'inserted_kernel'), text: 'flag_kernel' },
      { range: rangeOf(text.replace('inserted_kernel', 'flag_kernel'), 'flags[threadIdx.x] = 1;'), text: 'flags[threadIdx.x] = 2;\n  flags[0] = 3;' },
    );
    assert.deepEqual(symbols.map((s) => s.name), ['vector_add', 'flag_kernel', 'scale_by', 'fill']);

    // Typing inside a body moves nothing.
    const body = positionOf(text, 'x[i] *= alpha;');
    const comment = ' // comment';
    for (let i = 0; i < comment.length; i++) {
      const at = { line: body.line, character: body.character + i }; // the cursor moves on as an editor's does
      const keystroke = { range: { start: at, end: at }, text: comment[i] };
      text = applyChange(text, keystroke);
      await client.change(uri, [keystroke]);
    }
    assert.ok(text.includes(' // commentx[i] *= alpha;'), 'the typed text landed in order');
    await assertSymbolsMatch(client, uri, text, 'typing in a body');

    // Delete a whole kernel (definition plus the blank line after it).
    const start = positionOf(text, '__global__ void vector_add');
    const end = positionOf(text, '__global__ void flag_kernel');
    symbols = await edit('delete a kernel', { range: { start, end }, text: '' });
    assert.deepEqual(symbols.map((s) => s.name), ['flag_kernel', 'scale_by', 'fill']);

    // Break a signature mid-typing, then finish it: the half-typed kernel must not linger or duplicate.
    // While half-typed the parse is broken: the server must answer with some of the kernels, lenses on them only.
    const head = positionOf(text, 'template <typename T>');
    const halfTyped = { range: { start: head, end: head }, text: '__global__ void half(' };
    text = applyChange(text, halfTyped);
    await client.change(uri, [halfTyped]);
    symbols = await symbolsOf(client, uri);
    const possible = expectedCudaKernels(text).map((s) => s.name);
    assert.ok(symbols.every((s) => possible.includes(s.name)), `half-typed: ${symbols.map((s) => s.name).join(', ')} ⊆ ${possible.join(', ')}`);
    assertLensesMatchSymbols((await client.lenses(uri)) ?? [], symbols, 'half-typed');
    const typed = { line: head.line, character: head.character + halfTyped.text.length };
    symbols = await edit('finished kernel', { range: { start: typed, end: typed }, text: 'int* p) { p[0] = 0; }\n' });
    assert.deepEqual(symbols.map((s) => s.name), ['flag_kernel', 'scale_by', 'half', 'fill']);

    // A full-text replacement (no range) resets the document.
    symbols = await edit('full replacement', { text: kernelsCu });
    assert.deepEqual(symbols.map((s) => s.name), ['vector_add', 'scale', 'fill']);
  }, { check: { onOpen: false, onSave: false } });
});

test('compile errors: diagnostics on the right lines; only didSave re-checks; fixed code clears them', async (t) => {
  const path = writeTemp(dir, 'broken.cu', brokenCu);
  const uri = uriOf(path);
  await withClient(t, async (client) => {
    let text = brokenCu;
    await client.open(uri, 'cuda-cpp', text);
    const errors = await client.waitFor('error diagnostics', () => {
      const list = client.lastDiagnostics(uri)?.filter((d) => d.severity === 1);
      return list && list.length > 0 ? list : undefined;
    });
    const undefinedThing = errors.find((d) => d.message.includes('undefined_thing'));
    assert.ok(undefinedThing, `an error names undefined_thing: ${JSON.stringify(errors)}`);
    assert.equal(undefinedThing.range.start.line, brokenLines.undefinedThing, 'undefined_thing error line (0-based)');
    assert.equal(undefinedThing.range.start.character, text.split('\n')[brokenLines.undefinedThing].indexOf('undefined_thing'), 'column of the offending token');
    assert.ok(errors.some((d) => d.range.start.line === brokenLines.danglingPlus), `an error on line ${brokenLines.danglingPlus}: ${JSON.stringify(errors)}`);
    assert.ok(errors.every((d) => d.source && d.range.start.line < text.split('\n').length), 'every error has a source and a line in the file');
    const lenses = await client.waitForLenses(uri, (titles) => titles.length === 2 && !titles.some((x) => x.includes('checking')), 'lenses after a failed compile');
    assert.match(lenses[0].command?.title ?? '', /compile errors|regs/);

    // Fix both errors in the editor, unsaved: nothing is re-checked.
    const published = client.diagnostics.filter((d) => d.uri === uri).length;
    for (const change of [
      { range: rangeOf(text, 'undefined_thing'), text: '0.0f' },
      { range: rangeOf(text.replace('undefined_thing', '0.0f'), 'out[i] +;'), text: 'out[i] + 1.0f;' },
    ]) {
      text = applyChange(text, change);
      await client.change(uri, [change]);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(client.diagnostics.filter((d) => d.uri === uri).length, published, 'didChange alone must not re-check');

    // didSave re-checks the editor's text: errors clear and every lens shows registers.
    await client.save(uri);
    await client.waitFor('diagnostics cleared after save', () => (client.lastDiagnostics(uri)?.length === 0 ? true : undefined));
    await client.waitForLenses(uri, (titles) => titles.length === 2 && titles.every((x) => x.includes('regs')), 'lenses with registers after the fix');

    // The recheck command runs now and answers with a summary.
    const answer = await client.executeCommand(ServerCommand.recheck, [uri]);
    assert.match(String(answer), /^KernelPilot: \d+ kernel instance\(s\) compiled for sm_\d+/);
  }, { check: { debounceMs: 100 } });
});

test('a Triton file lists its kernel with a lens and a hover', async (t) => {
  const uri = uriOf(writeTemp(dir, 'add.py', tritonPy));
  await withClient(t, async (client) => {
    await client.open(uri, 'python', tritonPy);
    const symbols = await symbolsOf(client, uri);
    assert.deepEqual(symbolSummary(symbols), [{ name: 'add_kernel', ...positionOf(tritonPy, 'add_kernel') }]);
    const lenses = (await client.lenses(uri)) ?? [];
    assert.equal(lenses.length, 1);
    assert.match(lenses[0].command?.title ?? '', /Triton kernel · 5 params/);
    const markdown = hoverText(await client.hover(uri, positionOf(tritonPy, 'add_kernel')));
    assert.ok(markdown.includes('def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr)'), markdown);
    assert.ok(markdown.includes('| `BLOCK` |') && markdown.includes('compile-time constant'), markdown);
    // Python files are never sent to nvcc.
    await client.save(uri);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(client.lastDiagnostics(uri), undefined);
    assert.match(String(await client.executeCommand(ServerCommand.recheck, [uri])), /add\.py is not a CUDA file \(\.cu, \.cuh, or C\/C\+\+ with a __global__ function\) — nothing to check\.$/);
  });
});

test('shutdown + exit: the process exits 0', { timeout: 60_000 }, async (t) => {
  const client = await LspClient.start({ root: dir, settings: { check: { onOpen: false } } });
  try {
    await client.open(uriOf(join(dir, 'kernels.cu')), 'cuda-cpp', kernelsCu);
    assert.equal((await client.symbolNames(uriOf(join(dir, 'kernels.cu')))).length, 3);
    const code = await client.stop();
    assert.equal(code, 0, `exit code (signal ${client.exitSignal})`);
  } catch (error) {
    t.diagnostic(client.transcript());
    throw error;
  } finally {
    await client.dispose();
  }
});

test('shutdown + exit during a running check: exits 0 and leaves no compiler behind', { timeout: 60_000 }, async (t) => {
  // A file nvcc needs seconds for (100 dependent transcendental operations). nvcc compiles a copy under a fixed name
  // in the server's private scratch folder: a cache folder of this test's own finds its processes, and shows what
  // is left in it afterwards.
  const cache = tempDir('kp-lsp-cache-');
  const uri = uriOf(writeTemp(dir, 'slow.cu', readFileSync(join(repoRoot, 'test/fixtures/check/slow.cu'), 'utf8')));
  const client = await LspClient.start({ root: dir, settings: { check: { debounceMs: 0 } }, env: { XDG_CACHE_HOME: cache } });
  try {
    await client.open(uri, 'cuda-cpp', readFileSync(join(repoRoot, 'test/fixtures/check/slow.cu'), 'utf8'));
    await client.waitFor('nvcc to start on the file', () => (processesMentioning(cache).length > 0 ? true : undefined), 15_000, 50);
    const code = await client.stop();
    assert.equal(code, 0, `exit code (signal ${client.exitSignal})`);
    let left: { pid: number; args: string }[] = [];
    for (let i = 0; i < 20; i++) {
      left = processesMentioning(cache);
      if (left.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(left.map((p) => p.args.slice(0, 120)), [], 'the check was stopped with the server (no orphaned nvcc / cicc / ptxas)');
    assert.deepEqual(readdirSync(join(cache, 'kernelpilot', 'scratch')), [], 'the scratch copy and nvcc\'s temporary files are gone');
  } catch (error) {
    t.diagnostic(client.transcript());
    throw error;
  } finally {
    await client.dispose();
    for (const orphan of processesMentioning(cache)) {
      try {
        process.kill(orphan.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(cache, { recursive: true, force: true });
  }
});
