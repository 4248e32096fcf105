// "⚡ Optimize" through a real JSON-RPC client over stdio, on the stand-in GPU (fake-gpu-server.ts) with a scripted
// OpenAI-compatible endpoint (test/unit/llm-endpoint.ts) or the built-in search alone: the key asked for per job and
// found in no log, message, progress or record; work-done progress and the lens with round, candidates in flight and
// best verified speedup; the result restored from the record on open; the "Apply optimized kernel" code action, a
// versioned edit of exactly the kernel's range, accepted after edits elsewhere and refused once the kernel changed;
// cancel stopping the model requests.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import type { CodeLens, TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol';
import { bundleForTest } from '../bundle';
import { ScriptedEndpoint } from '../unit/llm-endpoint';
import { applyChange, LspClient, positionOf, uriOf, withLspClient, type StartOptions } from './client';
import { FAST_VECTOR_ADD, OPTIMIZE_N, optimizeWorkspace, tempDir, vectorAddCu } from './fixtures';
import { ServerCommand } from '../../server/src/protocol/commands';
import { API_KEY_REQUEST, OPTIMIZE_EDIT_REQUEST, OPTIMIZE_RESULT_REQUEST, type ApiKeyParams, type OptimizeEditResult, type OptimizeRunView } from '../../server/src/protocol/optimize';
import { childrenOf } from '../proc-children';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const vectorAdd = vectorAddCu;
const N = OPTIMIZE_N;
const KEY = 'sk-kp-editor-test-5e4d3c2b1a';
let fakeServer: string | undefined;
const FAST_KERNEL = FAST_VECTOR_ADD;

function workspace(name: string): { root: string; file: string; uri: string } {
  const { root, file } = optimizeWorkspace(dir, name);
  return { root, file, uri: uriOf(file) };
}

function fakeGpu(root: string, optimize: Record<string, unknown>, env: Record<string, string> = {}): StartOptions {
  fakeServer ??= bundleForTest(join(__dirname, 'fake-gpu-server.ts'), 'fake-gpu-server');
  return { root, windowFeatures: true, serverArgs: [fakeServer, '--stdio'], env: { KP_FAKE_N: String(N), ...env }, settings: { check: { onOpen: false, onSave: false }, optimize } };
}

const withClient = (t: TestContext, options: StartOptions, body: (client: LspClient) => Promise<void>) => withLspClient(t, options, body, 180_000);

const optimizeLens = async (client: LspClient, uri: string): Promise<CodeLens | undefined> =>
  (await client.allLenses(uri))?.find((l) => /kernelpilot\.server\.(optimize|cancelOptimize|reviewOptimize)$/.test(l.command?.command ?? ''));

const lensTitle = async (client: LspClient, uri: string) => (await optimizeLens(client, uri))?.command?.title ?? '';

/** Hands the key to every job, recording what each request said. */
function handKey(client: LspClient, key: string | null): ApiKeyParams[] {
  const asked: ApiKeyParams[] = [];
  client.connection.onRequest(API_KEY_REQUEST, (params: ApiKeyParams) => {
    asked.push(params);
    return key === null ? null : { key };
  });
  return asked;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => (statSync(join(folder, name)).isDirectory() ? filesUnder(join(folder, name)) : [join(folder, name)]));
}

const inKernel = (text: string) => {
  const at = positionOf(text, 'c[i] = a[i] + b[i]');
  return { start: at, end: at };
};

async function applyAction(client: LspClient, uri: string, text: string) {
  const actions = (await client.codeActions(uri, inKernel(text))) ?? [];
  return actions.find((a) => a.title.startsWith('Apply optimized kernel'));
}

/** Runs an optimize job with a model that always answers the fast kernel; resolves with the endpoint once it is done. */
async function optimizeWithModel(client: LspClient, uri: string): Promise<void> {
  assert.match(String(await client.executeCommand(ServerCommand.optimize, [uri, 'vector_add'])), /^KernelPilot: optimizing vector_add…$/);
  await client.waitFor('the result notification', () => client.messages.find((m) => m.type === 3 && /^KernelPilot: vector_add: /.test(m.message)), 150_000);
}

test('optimize with a model: the key per job, progress and lens with round and best, the result; the key in no log or record', async (t) => {
  const endpoint = new ScriptedEndpoint(() => ({ content: `Vectorized, grid-stride:\n\`\`\`cuda\n${FAST_KERNEL}\n\`\`\`` }));
  const baseUrl = await endpoint.start();
  const { root, uri } = workspace('model');
  try {
    await withClient(t, fakeGpu(root, { baseUrl, model: 'scripted', rounds: 2, candidates: 3 }), async (client) => {
      const asked = handKey(client, KEY);
      await client.open(uri, 'cuda-cpp', vectorAdd);
      assert.equal(await lensTitle(client, uri), '⚡ Optimize');
      const running: string[] = [];
      const lenses = setInterval(() => void lensTitle(client, uri).then((title) => running.push(title), () => undefined), 50);
      try {
        await optimizeWithModel(client, uri);
      } finally {
        clearInterval(lenses);
      }
      assert.deepEqual(asked, [{ kernel: 'vector_add', file: join(root, 'vector_add.cu'), baseUrl, model: 'scripted' }], 'one key request, naming the endpoint');
      assert.ok(endpoint.requests.length > 0 && endpoint.requests.every((r) => r.headers.authorization === `Bearer ${KEY}` && r.body.model === 'scripted'), 'the model got the key');
      const message = client.messages.find((m) => /^KernelPilot: vector_add: /.test(m.message))?.message ?? '';
      assert.match(message, /^KernelPilot: vector_add: 1\.\d\d× faster, verified on 3 seeds \(r0\d-c0\d-a\d; all 2 rounds ran\)$/);
      // While it ran: the lens showed the rounds (and, after a gain, the best verified speedup), with cancel.
      assert.ok(running.some((title) => /^⚡ round 1\/2 · \d in flight · cancel$/.test(title)), `a running lens: ${JSON.stringify([...new Set(running)])}`);
      assert.ok(running.some((title) => /^⚡ round 2\/2 · best 1\.\d\d× verified · cancel$/.test(title)), `the best so far on the lens: ${JSON.stringify([...new Set(running)])}`);
      const done = await optimizeLens(client, uri);
      assert.match(done?.command?.title ?? '', /^⚡ 1\.\d\d× faster · verified on 3 seeds · Review$/);
      assert.equal(done?.command?.command, ServerCommand.reviewOptimize);
      // Progress: one cancellable job with its title, reports naming round, candidates in flight and best, then its end.
      assert.deepEqual({ title: client.progress[0].value.title, cancellable: client.progress[0].value.cancellable }, { title: 'KernelPilot: optimizing vector_add', cancellable: true });
      assert.ok(client.progress.some((p) => /^round 2\/2 · \d in flight · best 1\.\d\d× verified$/.test(p.value.message ?? '')), 'a report with the best');
      assert.equal(client.progress.at(-1)?.value.kind, 'end');
      // The run as the panel sees it: best first, the gate's figures for verified candidates.
      const view = await client.request<OptimizeRunView>(OPTIMIZE_RESULT_REQUEST, { uri, kernel: 'vector_add' });
      assert.equal(view.status, 'done');
      assert.equal(view.candidates[0].verdict, 'faster');
      assert.equal(view.candidates[0].id, view.bestId);
      assert.equal(view.candidates[0].seeds, 3);
      assert.ok(view.rounds.length === 2 && view.rounds.every((r) => r.best !== undefined));
      assert.match(view.proposers, /^model scripted at http:\/\/127\.0\.0\.1:\d+\/v1 \+ the built-in search$/);
      // The key is in nothing the server said or wrote.
      const said = [client.transcript(), JSON.stringify(client.progress), JSON.stringify(view), ...filesUnder(join(root, '.kernelpilot')).map((f) => readFileSync(f, 'utf8'))];
      for (const text of said) assert.ok(!text.includes(KEY), 'the key leaked');
    });
  } finally {
    await endpoint.close();
  }
});

test('applying: a versioned edit of exactly the kernel, after edits elsewhere; refused once the kernel changed; restored on open', async (t) => {
  const endpoint = new ScriptedEndpoint(() => ({ content: `\`\`\`cuda\n${FAST_KERNEL}\n\`\`\`` }));
  const baseUrl = await endpoint.start();
  const { root, uri } = workspace('apply');
  try {
    await withClient(t, { ...fakeGpu(root, { baseUrl, model: 'scripted', rounds: 1, candidates: 3 }), editFeatures: true }, async (client) => {
      handKey(client, KEY);
      await client.open(uri, 'cuda-cpp', vectorAdd);
      await optimizeWithModel(client, uri);
      // An edit elsewhere: the action still applies, at the kernel's new place, versioned at the new version.
      let text = `// my notes\n${vectorAdd}`;
      const version = await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// my notes\n' }]);
      const action = await applyAction(client, uri, text);
      assert.match(action?.title ?? '', /^Apply optimized kernel \(1\.\d\d×, verified on H100\)$/);
      const change = action?.edit?.documentChanges?.[0] as TextDocumentEdit;
      assert.deepEqual(change.textDocument, { uri, version });
      assert.equal(change.edits.length, 1);
      const edit = change.edits[0] as TextEdit & { annotationId?: string };
      const kernelStart = positionOf(text, '__global__ void vector_add');
      assert.deepEqual(edit.range.start, kernelStart, 'the edit starts at the kernel');
      assert.equal(edit.range.end.line, kernelStart.line + 3, 'and ends with it');
      assert.ok(edit.annotationId && action?.edit?.changeAnnotations?.[edit.annotationId]?.needsConfirmation, 'it asks for confirmation');
      const applied = applyChange(text, { range: edit.range, text: edit.newText });
      assert.ok(applied.startsWith('// my notes\n// c = a + b, one thread per element') && applied.includes('// stand-in: fast') && !applied.includes('if (i < n) c[i]'), applied);
      // A client asking for the edit at an older version is refused: it would land in the wrong place.
      const stale = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'vector_add', version: version - 1 });
      assert.equal(stale.ok, false);
      assert.match(stale.ok ? '' : stale.reason, /changed while you reviewed/);
      // The kernel itself changed: refused, and the lens offers to run again.
      const kernelEdit = positionOf(text, 'a[i] + b[i]');
      await client.change(uri, [{ range: { start: kernelEdit, end: { line: kernelEdit.line, character: kernelEdit.character + 'a[i] + b[i]'.length } }, text: 'b[i] + a[i]' }]);
      text = text.replace('a[i] + b[i]', 'b[i] + a[i]');
      const refused = await applyAction(client, uri, text.replace('b[i] + a[i]', 'a[i] + b[i]'));
      assert.match(refused?.disabled?.reason ?? '', /vector_add changed since the optimize run started/);
      assert.equal(refused?.edit, undefined);
      const request = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'vector_add', version: version + 1 });
      assert.deepEqual(request.ok ? {} : { rerun: request.rerun }, { rerun: true });
      assert.match(await lensTitle(client, uri), /^⚡ 1\.\d\d× faster · verified on 3 seeds · vector_add changed since the run · Optimize again$/);
    });
    // A new session: the result comes back from the record, marked when the file was edited, and still applies.
    await withClient(t, fakeGpu(root, { baseUrl, model: 'scripted' }), async (client) => {
      const edited = `// edited since\n${vectorAdd}`;
      await client.open(uri, 'cuda-cpp', edited);
      const title = await client.waitFor('the restored lens', async () => {
        const t2 = await lensTitle(client, uri);
        return t2.startsWith('⚡ 1.') ? t2 : undefined;
      });
      assert.match(title, /^⚡ 1\.\d\d× faster · verified on 3 seeds · Review \(file edited since the run\)$/);
      const action = await applyAction(client, uri, edited);
      const edit = (action?.edit?.documentChanges?.[0] as TextDocumentEdit).edits[0];
      assert.ok(applyChange(edited, { range: edit.range, text: edit.newText }).includes('// edited since\n// c = a + b'), 'the edit elsewhere survives');
      // Without disabled code actions, a refusal is an action whose command says why.
      const changed = edited.replace('a[i] + b[i]', 'a[i] - b[i]');
      const at = positionOf(edited, 'a[i] + b[i]');
      await client.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 11 } }, text: 'a[i] - b[i]' }]);
      const why = await applyAction(client, uri, changed.replace('a[i] - b[i]', 'a[i] + b[i]'));
      assert.match(why?.title ?? '', /: refused, see why$/);
      await assert.rejects(client.executeCommand(why?.command?.command ?? '', why?.command?.arguments ?? []), /changed since the optimize run started/);
      // A renamed kernel: the refusal names what the file has now.
      const renamedAt = positionOf(changed, 'vector_add(');
      const version = await client.change(uri, [{ range: { start: renamedAt, end: { line: renamedAt.line, character: renamedAt.character + 'vector_add'.length } }, text: 'vector_sum' }]);
      const renamed = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'vector_add', version });
      assert.match(renamed.ok ? '' : renamed.reason, /no longer has a kernel named vector_add \(renamed or removed\? it has vector_sum\)/);
    });
  } finally {
    await endpoint.close();
  }
});

test('no key: the built-in search runs alone, and the lens says so', async (t) => {
  const { root, uri } = workspace('no-key');
  await withClient(t, fakeGpu(root, { rounds: 1, candidates: 2 }), async (client) => {
    handKey(client, null);
    await client.open(uri, 'cuda-cpp', vectorAdd);
    const seen = new Set<string>();
    const lenses = setInterval(() => void lensTitle(client, uri).then((title) => seen.add(title), () => undefined), 50);
    try {
      await client.executeCommand(ServerCommand.optimize, [uri, 'vector_add']);
      await client.waitFor('the result', () => client.messages.find((m) => /^KernelPilot: vector_add: /.test(m.message)), 150_000);
    } finally {
      clearInterval(lenses);
    }
    assert.ok([...seen].some((title) => title.startsWith('⚡ built-in search (no API key) · ')), JSON.stringify([...seen]));
    assert.equal(await lensTitle(client, uri), '⚡ nothing faster found by the built-in search (no API key) · Optimize again');
  });
});

test('cancel from the lens stops the job and its model requests; nothing is left running', async (t) => {
  const endpoint = new ScriptedEndpoint(() => ({ content: `\`\`\`cuda\n${FAST_KERNEL}\n\`\`\``, delayMs: 60_000 }));
  const baseUrl = await endpoint.start();
  const { root, uri } = workspace('cancel');
  try {
    await withClient(t, fakeGpu(root, { baseUrl, model: 'scripted', rounds: 4, candidates: 2 }), async (client) => {
      handKey(client, KEY);
      await client.open(uri, 'cuda-cpp', vectorAdd);
      await client.executeCommand(ServerCommand.optimize, [uri, 'vector_add']);
      const lens = await client.waitFor('a model request in flight', async () => (endpoint.inFlight > 0 ? optimizeLens(client, uri) : undefined), 60_000);
      assert.equal(lens?.command?.command, ServerCommand.cancelOptimize);
      assert.match(String(await client.executeCommand(lens?.command?.command ?? '', lens?.command?.arguments ?? [])), /cancelling the optimize run of vector_add/);
      await client.waitFor('the cancelled message', () => client.messages.find((m) => /^KernelPilot: optimize run of vector_add cancelled; nothing faster found: /.test(m.message)));
      await client.waitFor('the model requests abandoned', () => (endpoint.inFlight === 0 ? true : undefined), 10_000);
      assert.ok(endpoint.abandoned > 0, 'the requests were aborted, not awaited');
      assert.equal(await lensTitle(client, uri), '⚡ Optimize (last run cancelled)');
      assert.deepEqual(childrenOf(client.process.pid ?? 0), [], 'no process of the job is left');
    });
  } finally {
    await endpoint.close();
  }
});
