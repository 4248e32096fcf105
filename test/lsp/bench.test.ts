// The benchmark and bench-spec features through a real JSON-RPC client over stdio: the "▶ Benchmark" lens and code
// actions, work-done progress with cancel, the result as lens, hover and notification, failures as notification
// plus diagnostics (on the kernel, or in the spec file), "Create bench spec", and spec-file diagnostics while
// editing. GPU jobs run on the stand-in GPU of test/unit/job-fake-gpu.ts (fake-gpu-server.ts); the no-GPU path
// runs the real server on this machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver-protocol';
import { bundleForTest } from '../bundle';
import { LspClient, positionOf, uriOf, withLspClient, type StartOptions } from './client';
import { kernelsCu, tempDir, tritonPy, writeTemp } from './fixtures';
import { ServerCommand } from '../../server/src/protocol/commands';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const vectorAdd = readFileSync(join(__dirname, '../../examples/cuda/vector_add/vector_add.cu'), 'utf8');
const N = 4096;
let fakeServer: string | undefined;

/** A workspace with the example file (its name picks the stand-in's behaviour) and a small spec for it. */
function workspace(name: string, fileName = 'vector_add.cu'): { root: string; file: string; uri: string } {
  const root = join(dir, name);
  mkdirSync(join(root, '.kernelpilot', 'specs'), { recursive: true });
  const spec = JSON.parse(readFileSync(join(__dirname, '../../examples/cuda/vector_add/vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, '.kernelpilot/specs/vector_add.json'), JSON.stringify({ ...spec, file: fileName, sizes: { n: N }, sweep: [{ n: 1000 }] }, null, 2));
  const file = writeTemp(root, fileName, vectorAdd);
  return { root, file, uri: uriOf(file) };
}

const withClient = (t: TestContext, options: StartOptions, body: (client: LspClient) => Promise<void>) => withLspClient(t, { windowFeatures: true, ...options }, body);

function fakeGpu(root: string, env: Record<string, string> = {}): StartOptions {
  fakeServer ??= bundleForTest(join(__dirname, 'fake-gpu-server.ts'), 'fake-gpu-server');
  return { root, serverArgs: [fakeServer, '--stdio'], env: { KP_FAKE_N: String(N), ...env }, settings: { check: { onOpen: false, onSave: false } } };
}

const benchLens = async (client: LspClient, uri: string) => (await client.allLenses(uri))?.find((l) => /kernelpilot\.server\.(cancelB|b)enchmark/.test(l.command?.command ?? ''));
const hoverText = async (client: LspClient, uri: string, text: string) => ((await client.hover(uri, positionOf(text, 'vector_add(')))?.contents as MarkupContent | undefined)?.value ?? '';

const kernelBenchTask = readFileSync(join(__dirname, '../fixtures/kernelbench/level1/19_ReLU.py'), 'utf8');
const kernelBenchSolution = 'import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n';

test('a benchmark lens and code actions on every CUDA and Triton kernel and on a KernelBench Model, optimize on each, none on a solution', async (t) => {
  const cu = uriOf(writeTemp(dir, 'lenses.cu', kernelsCu));
  const py = uriOf(writeTemp(dir, 'lenses.py', tritonPy));
  const task = uriOf(writeTemp(dir, '19_ReLU.py', kernelBenchTask));
  const solution = uriOf(writeTemp(dir, 'relu_solution.py', kernelBenchSolution));
  await withClient(t, { root: dir, settings: { check: { onOpen: false } } }, async (client) => {
    await client.open(cu, 'cuda-cpp', kernelsCu);
    await client.open(py, 'python', tritonPy);
    await client.open(task, 'python', kernelBenchTask);
    await client.open(solution, 'python', kernelBenchSolution);
    const lenses = (await client.allLenses(cu)) ?? [];
    const bench = lenses.filter((l) => l.command?.command === ServerCommand.benchmark);
    assert.deepEqual(bench.map((l) => [l.command?.title, l.command?.arguments?.[1]]), [['▶ Benchmark', 'vector_add'], ['▶ Benchmark', 'scale'], ['▶ Benchmark', 'fill']]);
    const commandsOf = async (uri: string) => ((await client.allLenses(uri)) ?? []).map((l) => [l.command?.title, l.command?.command, l.command?.arguments?.[1]]).filter(([, command]) => command !== '' && !/recheck/.test(String(command)));
    assert.deepEqual(await commandsOf(py), [['▶ Benchmark', ServerCommand.benchmark, 'add_kernel'], ['⚡ Optimize', ServerCommand.optimize, 'add_kernel']], 'Triton: benchmark and optimize');
    assert.deepEqual(await commandsOf(task), [['▶ Benchmark', ServerCommand.benchmark, 'Model'], ['⚡ Optimize', ServerCommand.optimize, 'Model']], 'a task\'s Model');
    assert.deepEqual(await commandsOf(solution), [], 'no lens on a solution\'s ModelNew');
    const inTriton = positionOf(tritonPy, 'mask = offsets');
    assert.deepEqual(((await client.codeActions(py, { start: inTriton, end: inTriton })) ?? []).map((a) => [a.title, a.command?.command]), [
      ['KernelPilot: Benchmark add_kernel', ServerCommand.benchmark],
      ['KernelPilot: Create bench spec for add_kernel', ServerCommand.createSpec],
      ['KernelPilot: Optimize add_kernel', ServerCommand.optimize],
    ]);
    const inside = positionOf(kernelsCu, 'x[i] *= alpha');
    const actions = (await client.codeActions(cu, { start: inside, end: inside })) ?? [];
    assert.deepEqual(actions.map((a) => [a.title, a.command?.command, a.command?.arguments?.[1]]), [
      ['KernelPilot: Benchmark scale', ServerCommand.benchmark, 'scale'],
      ['KernelPilot: Create bench spec for scale', ServerCommand.createSpec, 'scale'],
      ['KernelPilot: Optimize scale', ServerCommand.optimize, 'scale'],
    ]);
    assert.deepEqual(await client.codeActions(cu, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }), [], 'no actions outside kernels');
  });
});

test('a modified file is not benchmarked: the command says to save it first', async (t) => {
  const { root, uri } = workspace('unsaved');
  await withClient(t, fakeGpu(root), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// edited\n' }]);
    await assert.rejects(client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']), /has unsaved changes\. Save it, then benchmark/);
    assert.equal((await benchLens(client, uri))?.command?.title, '▶ Benchmark', 'nothing started');
  });
});

test('benchmark on a GPU: progress, then the result as lens, hover and notification; edits mark it as older', async (t) => {
  const { root, uri } = workspace('bench-ok');
  await withClient(t, fakeGpu(root), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    assert.match(String(await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add'])), /^KernelPilot: benchmarking vector_add…$/);
    const message = await client.waitFor('the result notification', () => client.messages.find((m) => m.type === 3 && /vector_add:/.test(m.message)));
    assert.match(message.message, /^KernelPilot: vector_add: 1\.0\d? ms ±[\d.]+ % · [\d.]+ [MGT]B\/s · [\d.]+ % of peak · H100$/);
    const lens = await benchLens(client, uri);
    assert.match(lens?.command?.title ?? '', /^1\.0\d? ms ±[\d.]+ % · [\d.]+ [MGT]B\/s · [\d.]+ % of peak · H100$/);
    assert.equal(lens?.command?.command, ServerCommand.benchmark, 'clicking the result runs it again');
    const hover = await hoverText(client, uri, vectorAdd);
    assert.match(hover, /\*\*vector\\_add\*\* on NVIDIA H100 80GB HBM3/);
    assert.match(hover, /record: `.*\.kernelpilot\/runs\/.*vector_add.*\/record\.json`/);
    assert.ok(existsSync(join(root, '.kernelpilot', 'runs')), 'the run record is in the workspace');
    // Progress: created by the server, begun cancellable with the kernel's name, reported step by step, ended.
    const kinds = client.progress.map((p) => p.value.kind);
    assert.equal(client.progressTokens.length, 1);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds[kinds.length - 1], 'end');
    assert.deepEqual({ title: client.progress[0].value.title, cancellable: client.progress[0].value.cancellable }, { title: 'KernelPilot: benchmarking vector_add', cancellable: true });
    assert.ok(client.progress.some((p) => p.value.kind === 'report' && /^baseline: .*timing \d+ launches/.test(p.value.message ?? '')), 'reports name the steps');
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }]);
    assert.match((await benchLens(client, uri))?.command?.title ?? '', /H100 \(before your edits\)$/);
  });
});

test('results survive a restart: on open the newest run record shows, marked when the source differs', async (t) => {
  const { root, uri } = workspace('bench-restore');
  let shown = '';
  await withClient(t, fakeGpu(root), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    await client.waitFor('the result', () => client.messages.find((m) => m.type === 3 && /vector_add:/.test(m.message)));
    shown = (await benchLens(client, uri))?.command?.title ?? '';
  });
  assert.match(shown, / ms ±/);
  await withClient(t, fakeGpu(root), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.waitFor('the recorded result', async () => ((await benchLens(client, uri))?.command?.title === shown ? true : undefined));
    assert.match(await hoverText(client, uri, vectorAdd), /record: `.*record\.json` \(recorded 20\d\d-/);
  });
  await withClient(t, fakeGpu(root), async (client) => {
    const edited = `// edited since\n${vectorAdd}`;
    await client.open(uri, 'cuda-cpp', edited);
    await client.waitFor('the older result', async () => ((await benchLens(client, uri))?.command?.title === `${shown} (before your edits)` ? true : undefined));
  });
});

test('cancel from the progress UI or the lens stops the job; the lens is back to "▶ Benchmark"', async (t) => {
  const { root, uri } = workspace('bench-cancel');
  await withClient(t, fakeGpu(root, { KP_FAKE_HOLD_TIME: '1' }), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    for (const how of ['progress', 'lens'] as const) {
      const seen = client.messages.length;
      await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
      const running = await client.waitFor('the running lens', async () => {
        const lens = await benchLens(client, uri);
        return lens?.command?.command === ServerCommand.cancelBenchmark && client.progress.some((p) => /^baseline: /.test(p.value.message ?? '')) ? lens : undefined;
      });
      assert.equal(running.command?.title, 'KernelPilot: benchmarking… (click to cancel)');
      assert.match(String(await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add'])), /already being benchmarked/);
      if (how === 'progress') await client.cancelProgress(client.progressTokens[client.progressTokens.length - 1]);
      else assert.match(String(await client.executeCommand(running.command?.command ?? '', running.command?.arguments ?? [])), /cancelling/);
      await client.waitFor(`the cancelled message (${how})`, () => client.messages.slice(seen).find((m) => /benchmark of vector_add cancelled/.test(m.message)));
      assert.equal((await benchLens(client, uri))?.command?.title, '▶ Benchmark');
      assert.ok(!client.messages.slice(seen).some((m) => m.type === 1), 'a cancel is not an error');
      client.progress.length = 0;
    }
  });
});

test('one GPU gate: a second benchmark builds at once, then waits for the GPU while the first times, and says so', async (t) => {
  const { root, uri } = workspace('bench-queue');
  mkdirSync(join(root, 'copy'));
  const second = uriOf(writeTemp(root, 'copy/vector_add.cu', vectorAdd));
  await withClient(t, fakeGpu(root, { KP_FAKE_HOLD_TIME: '1' }), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.open(second, 'cuda-cpp', vectorAdd);
    await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    await client.waitFor('the first job to time', () => (client.progress.some((p) => /^baseline: /.test(p.value.message ?? '')) ? true : undefined));
    assert.match(String(await client.executeCommand(ServerCommand.benchmark, [second, 'vector_add'])), /benchmarking vector_add/);
    const waiting = await client.waitFor('the second job at the GPU gate', async () => {
      const title = (await benchLens(client, second))?.command?.title ?? '';
      return /^KernelPilot: queued behind another benchmark \(benchmarking vector_add\) \(click to cancel\)$/.test(title) ? title : undefined;
    });
    assert.ok(waiting);
    assert.equal(client.progressTokens.length, 2, 'the second job started (and built) at once');
    assert.equal(client.progress.filter((p) => /^baseline: /.test(p.value.message ?? '')).length, 1, 'only the first one times');
    await client.executeCommand(ServerCommand.cancelBenchmark, [uri, 'vector_add']);
    const running = await client.waitFor('the second job to take the GPU', async () => ((await benchLens(client, second))?.command?.title === 'KernelPilot: benchmarking… (click to cancel)' ? true : undefined));
    assert.ok(running);
    await client.executeCommand(ServerCommand.cancelBenchmark, [second, 'vector_add']);
    await client.waitFor('both cancelled', () => (client.messages.filter((m) => /cancelled/.test(m.message)).length === 2 ? true : undefined));
  });
});

test('a kernel that faults on the GPU: error notification, a diagnostic on the kernel, the reason in the hover', async (t) => {
  const { root, uri } = workspace('bench-crash', 'crash_timed.cu');
  await withClient(t, fakeGpu(root), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    const error = await client.waitFor('the error notification', () => client.messages.find((m) => m.type === 1));
    assert.match(error.message, /^KernelPilot: benchmark of vector_add failed: checking and timing the baseline vector_add: .*illegal memory access/);
    const diagnostics = await client.waitFor('a diagnostic on the kernel', () => client.lastDiagnostics(uri)?.filter((d) => d.source === 'kernelpilot bench').length ? client.lastDiagnostics(uri) : undefined);
    assert.equal(diagnostics.length, 1);
    assert.deepEqual(diagnostics[0].range.start, positionOf(vectorAdd, 'vector_add('));
    assert.match(diagnostics[0].message, /^benchmark failed: .*illegal memory access/);
    assert.equal((await benchLens(client, uri))?.command?.title, '▶ Benchmark (last run failed)');
    assert.match(await hoverText(client, uri, vectorAdd), /\*\*Last benchmark failed:\*\* .*illegal memory access/);
  });
});

test('a compile error: the failure notification names the line, and the diagnostic sits on it', async (t) => {
  const { root, file, uri } = workspace('bench-compile-error');
  const broken = vectorAdd.replace('c[i] = a[i] + b[i];', 'c[i] = a[i] + undefined_name;');
  writeFileSync(file, broken);
  await withClient(t, fakeGpu(root, { KP_REAL_NVCC: '1' }), async (client) => {
    await client.open(uri, 'cuda-cpp', broken);
    await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    const error = await client.waitFor('the error notification', () => client.messages.find((m) => m.type === 1), 60_000);
    const line = broken.split('\n').findIndex((l) => l.includes('undefined_name'));
    assert.match(error.message, new RegExp(`building .*vector_add\\.cu for the gate failed .*\\n  .*vector_add\\.cu:${line + 1}:\\d+: error: identifier "undefined_name" is undefined`));
    const diagnostics = await client.waitFor('the diagnostic', () => client.lastDiagnostics(uri)?.find((d) => d.source === 'kernelpilot bench'));
    assert.equal(diagnostics.range.start.line, line);
    assert.match(diagnostics.message, /identifier "undefined_name" is undefined/);
  });
});

test('a spec with problems: the failure lands on the spec file\'s lines', async (t) => {
  const { root, uri } = workspace('bench-bad-spec');
  const specFile = join(root, '.kernelpilot/specs/vector_add.json');
  writeFileSync(specFile, readFileSync(specFile, 'utf8').replace('"(n + 255) / 256"', '"(m + 255) / 256"'));
  await withClient(t, fakeGpu(root), async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    const error = await client.waitFor('the error notification', () => client.messages.find((m) => m.type === 1));
    assert.match(error.message, /cannot be run yet .*\n.*\/launch\/grid\/0: 'm' is not a size variable/);
    const onSpec = await client.waitFor('diagnostics in the spec file', () => client.lastDiagnostics(uriOf(specFile)));
    const line = readFileSync(specFile, 'utf8').split('\n').findIndex((l) => l.includes('(m + 255)'));
    assert.ok(onSpec.some((d) => d.range.start.line === line && /'m' is not a size variable/.test(d.message)), JSON.stringify(onSpec));
  });
});

test('no GPU here: the benchmark fails with the no-device message, not silence', async (t) => {
  const gpus = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  if (gpus.status === 0 && /GPU \d+:/.test(gpus.stdout)) return t.skip('this machine has a GPU');
  const { root, uri } = workspace('no-gpu');
  await withClient(t, { root, settings: { check: { onOpen: false } } }, async (client) => {
    await client.open(uri, 'cuda-cpp', vectorAdd);
    await client.executeCommand(ServerCommand.benchmark, [uri, 'vector_add']);
    const error = await client.waitFor('the error notification', () => client.messages.find((m) => m.type === 1));
    assert.match(error.message, /no CUDA device on target 'local'.*--dry-run/);
    assert.equal((await benchLens(client, uri))?.command?.title, '▶ Benchmark (last run failed)');
  });
});

test('a Triton kernel here: the benchmark runs the Python gate and fails with what is missing, not silence', async (t) => {
  const gpus = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  if (gpus.status === 0 && /GPU \d+:/.test(gpus.stdout)) return t.skip('this machine has a GPU');
  const root = join(dir, 'triton-no-gpu');
  mkdirSync(root, { recursive: true });
  const uri = uriOf(writeTemp(root, 'vector_add.py', readFileSync(join(__dirname, '../../examples/triton/vector_add/vector_add.py'), 'utf8')));
  await withClient(t, { root, settings: { check: { onOpen: false } } }, async (client) => {
    await client.open(uri, 'python', readFileSync(join(__dirname, '../../examples/triton/vector_add/vector_add.py'), 'utf8'));
    assert.match(String(await client.executeCommand(ServerCommand.benchmark, [uri, 'add_kernel'])), /^KernelPilot: benchmarking add_kernel…$/);
    const error = await client.waitFor('the error notification', () => client.messages.find((m) => m.type === 1), 120_000);
    // CI's python3 is Debian's with CPU torch: no GPU; a python3 without torch says that instead.
    assert.match(error.message, /benchmark of add_kernel failed: (cannot benchmark add_kernel on target 'local': no CUDA GPU is visible to torch here|the Python harness ended without finishing .*No module named 'torch')/);
    assert.equal((await benchLens(client, uri))?.command?.title, '▶ Benchmark (last run failed)');
  });
});

test('kernelpilot.python is the user\'s alone: a workspace value never names the program the Python gate runs', async (t) => {
  const root = join(dir, 'python-setting');
  mkdirSync(root, { recursive: true });
  const text = readFileSync(join(__dirname, '../../examples/triton/vector_add/vector_add.py'), 'utf8');
  const uri = uriOf(writeTemp(root, 'vector_add.py', text));
  const failure = async (settings: StartOptions['settings'], userSettings: StartOptions['userSettings']) => {
    let message = '';
    await withClient(t, { root, settings, userSettings }, async (client) => {
      await client.open(uri, 'python', text);
      await client.executeCommand(ServerCommand.benchmark, [uri, 'add_kernel']);
      message = (await client.waitFor('the error notification', () => client.messages.find((m) => m.type === 1), 120_000)).message;
    });
    return message;
  };
  const quiet = { check: { onOpen: false } };
  // The repository's choice (workspace/configuration) is not used: python3 ran, whatever it then said.
  assert.doesNotMatch(await failure({ ...quiet, python: '/kp-nowhere/workspace-python' }, quiet), /workspace-python/);
  // The user's own is.
  assert.match(await failure(quiet, { ...quiet, python: '/kp-nowhere/user-python' }), /python '\/kp-nowhere\/user-python' could not be started/);
});

test('Create bench spec: infers, writes .kernelpilot/specs/<kernel>.json, opens it; its "?" fields are diagnostics until filled in', async (t) => {
  const root = join(dir, 'create-spec');
  mkdirSync(root, { recursive: true });
  const uri = uriOf(writeTemp(root, 'kernels.cu', kernelsCu));
  await withClient(t, { root, settings: { check: { onOpen: false } } }, async (client) => {
    await client.open(uri, 'cuda-cpp', kernelsCu);
    const answer = String(await client.executeCommand(ServerCommand.createSpec, [uri, positionOf(kernelsCu, 'x[i] *= alpha')]));
    const specFile = join(root, '.kernelpilot/specs/scale.json');
    assert.match(answer, new RegExp(`^KernelPilot: wrote ${specFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\d+ assumptions? to check`));
    assert.ok(existsSync(specFile));
    assert.deepEqual(client.shownDocuments, [{ uri: uriOf(specFile), takeFocus: true }]);
    assert.match(String(await client.executeCommand(ServerCommand.createSpec, [uri, 'scale'])), /already has a bench spec/);
    assert.equal(JSON.parse(readFileSync(specFile, 'utf8')).kernel, 'scale');

    // The spec file in the editor: a "?" left to fill in is a warning on its node; filling it in clears it.
    const text = readFileSync(specFile, 'utf8').replace(/"n": \d+/, '"n": "?"');
    const specUri = uriOf(specFile);
    await client.open(specUri, 'json', text);
    const before = await client.waitFor('spec diagnostics', () => client.lastDiagnostics(specUri));
    const line = text.split('\n').findIndex((l) => l.includes('"n": "?"'));
    assert.ok(before.some((d) => d.range.start.line === line && d.source === 'kernelpilot spec' && /^to fill in: /.test(d.message)), JSON.stringify(before));
    const fixed = text.replace('"n": "?"', '"n": 1048576');
    await client.change(specUri, [{ text: fixed }]);
    await client.waitFor('the warning to go', () => (client.lastDiagnostics(specUri)?.some((d) => d.range.start.line === line) ? undefined : true));
    await client.close(specUri);
    await client.waitFor('diagnostics cleared on close', () => (client.lastDiagnostics(specUri)?.length === 0 ? true : undefined));
  });
});
