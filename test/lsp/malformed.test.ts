// Messages and files that used to end the server (each one exited it with a RangeError or TypeError): spec files
// nested too deep, opened or typed, a non-string URI, a file URI with a host or an encoded slash, `text: null`,
// missing fields; plus unknown methods and bad-input commands (a Python file to re-check, a Triton kernel to
// benchmark, a file over the size limit, a kernel name that is not UTF-8). The server answers or ignores each,
// with a message the user can act on, and keeps answering.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { LspClient, uriOf, withLspClient } from './client';
import { kernelsCu, tempDir, tritonPy, writeTemp } from './fixtures';

const dir = tempDir('kp-lsp-malformed-');
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, '.kernelpilot', 'specs'), { recursive: true });

const specWithGrid = (grid: string) =>
  JSON.stringify({ version: 1, kernel: 'k', sizes: { n: 16 }, args: [{ name: 'n', role: 'scalar', dtype: 'int32', value: 'n' }], launch: { grid: [grid], block: ['256'] } }, null, 2);

async function rejectsWith(promise: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ResponseError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

async function alive(client: LspClient): Promise<void> {
  const uri = uriOf(writeTemp(dir, 'alive.cu', kernelsCu));
  await client.open(uri, 'cuda-cpp', kernelsCu);
  assert.deepEqual((await client.symbolNames(uri)), ['vector_add', 'scale', 'fill']);
  assert.equal(client.exitCode, undefined, 'the server is still running');
}

test('spec files nested too deep, opened or typed: diagnostics, not a crash', { timeout: 60_000 }, async (t) => {
  await withLspClient(t, { root: dir, settings: { check: { onOpen: false } } }, async (client) => {
    const parens = uriOf(join(dir, '.kernelpilot', 'specs', 'parens.json'));
    await client.open(parens, 'json', specWithGrid('('.repeat(1000) + 'n' + ')'.repeat(1000)));
    const deepExpr = await client.waitFor('diagnostics on the 1000-deep grid', () => client.lastDiagnostics(parens)?.find((d) => /nested too deeply/.test(d.message)));
    assert.equal(deepExpr.severity, 1);
    const arrays = uriOf(join(dir, '.kernelpilot', 'specs', 'arrays.json'));
    await client.open(arrays, 'json', '{"kernel": "k", "x": ' + '['.repeat(3000) + ']'.repeat(3000) + '}');
    await client.waitFor('the nesting diagnostic', () => client.lastDiagnostics(arrays)?.find((d) => /nested more than 32 levels deep/.test(d.message)));
    // Typed into a valid open spec: the same.
    const typed = uriOf(join(dir, '.kernelpilot', 'specs', 'typed.json'));
    const valid = specWithGrid('cdiv(n, 256)');
    await client.open(typed, 'json', valid);
    const at = valid.indexOf('cdiv(n, 256)');
    const line = valid.slice(0, at).split('\n').length - 1;
    const character = at - (valid.lastIndexOf('\n', at) + 1);
    await client.change(typed, [{ range: { start: { line, character }, end: { line, character } }, text: '('.repeat(1500) }]);
    await client.waitFor('a diagnostic for the typed nesting', () => client.lastDiagnostics(typed)?.find((d) => /nested too deeply|expected/.test(d.message)));
    await alive(client);
  });
});

test('malformed messages are ignored or answered with an error, hostile URIs are documents without a file', { timeout: 60_000 }, async (t) => {
  await withLspClient(t, { root: dir, settings: { check: { onOpen: false } } }, async (client) => {
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: 42, languageId: 'cuda-cpp', version: 1, text: kernelsCu } });
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uriOf(join(dir, 'null.cu')), languageId: 'cuda-cpp', version: 1, text: null } });
    await client.connection.sendNotification('textDocument/didOpen', {});
    await client.connection.sendNotification('textDocument/didChange', {});
    await client.connection.sendNotification('kernelpilot/noSuchNotification', {});
    for (const uri of ['file://host/share/k.cu', 'file:///tmp/a%2Fb.cu']) {
      await client.open(uri, 'cuda-cpp', kernelsCu);
      assert.deepEqual(await client.symbolNames(uri), ['vector_add', 'scale', 'fill'], `${uri} is analysed`);
      assert.match(String(await client.executeCommand('kernelpilot.server.recheck', [uri])), /is not a file on this machine — nothing to check/);
      await rejectsWith(client.executeCommand('kernelpilot.server.benchmark', [uri, 'scale']), -32803, /not a saved file on disk/);
    }
    assert.deepEqual(await client.symbols(uriOf(join(dir, 'null.cu'))), [], 'an open with text null opened nothing');
    await rejectsWith(client.request('kernelpilot/noSuchRequest', {}), -32601, /Unhandled method kernelpilot\/noSuchRequest/);
    await rejectsWith(client.request('textDocument/hover', { textDocument: null, position: { line: 0, character: 0 } }), -32602, /textDocument\/hover: params.textDocument must be an object, got null/);
    await rejectsWith(client.request('textDocument/documentSymbol', { textDocument: { uri: 7 } }), -32602, /params\.textDocument\.uri must be a string, got number/);
    await rejectsWith(client.request('workspace/executeCommand', { command: 'kernelpilot.server.recheck', arguments: { a: 1 } }), -32602, /arguments must be an array/);
    await alive(client);
    const ignored = client.logs.filter((l) => /ignored a malformed message/.test(l));
    assert.ok(ignored.some((l) => /didOpen: params\.textDocument\.uri must be a string, got number/.test(l)), ignored.join('\n'));
    assert.ok(ignored.some((l) => /didOpen: params\.textDocument\.text must be a string, got null/.test(l)), ignored.join('\n'));
    assert.ok(!/\n\s+at /.test(client.logs.join('\n') + client.stderr), 'no stack traces');
  });
});

test('bad input to commands: a clear refusal before anything is compiled', { timeout: 60_000 }, async (t) => {
  await withLspClient(t, { root: dir, settings: { check: { onOpen: false } } }, async (client) => {
    const py = uriOf(writeTemp(dir, 'kernels.py', tritonPy));
    await client.open(py, 'python', tritonPy);
    assert.match(String(await client.executeCommand('kernelpilot.server.recheck', [py])), /kernels\.py is not a CUDA file \(\.cu, \.cuh, or C\/C\+\+ with a __global__ function\) — nothing to check\.$/);
    const solutionText = 'import torch\n\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x\n';
    const solution = uriOf(writeTemp(dir, 'solution.py', solutionText));
    await client.open(solution, 'python', solutionText);
    await rejectsWith(client.executeCommand('kernelpilot.server.optimize', [solution, 'ModelNew']), -32803, /ModelNew is a KernelBench solution; optimize its task's Model instead/);

    const hugeText = '__global__ void k(float* p) {}\n' + `// ${'x'.repeat(120)}\n`.repeat(140_000);
    const huge = uriOf(writeTemp(dir, 'huge.cu', hugeText));
    await client.open(huge, 'cuda-cpp', hugeText);
    assert.deepEqual(await client.symbols(huge), []);
    await client.waitFor('a diagnostic saying the file is too large', () => client.lastDiagnostics(huge)?.find((d) => /file too large \(17\.\d MB > 16 MB\)/.test(d.message)));
    assert.match(String(await client.executeCommand('kernelpilot.server.recheck', [huge])), /huge\.cu is not checked: file too large/);
    await rejectsWith(client.executeCommand('kernelpilot.server.benchmark', [huge]), -32803, /has no CUDA __global__ kernel, Triton kernel or KernelBench Model \(file too large/);

    const garbledText = Buffer.from('__global__ void k\xff\xfeq(float* p) {}\n__global__ void fine(float* p) {}\n', 'latin1').toString('utf8');
    const garbled = uriOf(writeTemp(dir, 'garbled.cu', garbledText));
    await client.open(garbled, 'cuda-cpp', garbledText);
    assert.deepEqual(await client.symbolNames(garbled), ['fine']);
    const warning = await client.waitFor('the UTF-8 diagnostic', () => client.lastDiagnostics(garbled)?.find((d) => /not valid UTF-8/.test(d.message)));
    assert.equal(warning.range.start.line, 0);
    // Fixed: the diagnostic goes.
    await client.change(garbled, [{ text: '__global__ void kq(float* p) {}\n' }]);
    await client.waitFor('the diagnostic to clear', () => (client.lastDiagnostics(garbled)?.length === 0 ? true : undefined));
    await alive(client);
  });
});
