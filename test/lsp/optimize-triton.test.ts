// "⚡ Optimize" on a Triton kernel through a real JSON-RPC client over stdio. The Python gate runs for real on this
// machine: Debian's CPU torch with the stand-in for Triton's interpreter (test/unit/triton-stand-in.ts), behind the
// python the user's kernelpilot.python names (a wrapper that sets TRITON_INTERPRET=1, as Triton's interpreter is
// asked for). A scripted endpoint answers a rewritten kernel with its own launch; the built-in search varies the
// launch. An interpreter timed by the host clock proves no speedup, so the edit is asked for by attempt id.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ServerCommand } from '../../server/src/protocol/commands';
import { API_KEY_REQUEST, OPTIMIZE_EDIT_REQUEST, OPTIMIZE_RESULT_REQUEST, type OptimizeEditResult, type OptimizeRunView } from '../../server/src/protocol/optimize';
import { REPO } from '../unit/harness-helpers';
import { ScriptedEndpoint } from '../unit/llm-endpoint';
import { serviceReady } from '../unit/service-tests';
import { standInPython, torchMissing } from '../unit/triton-stand-in';
import { applyChange, OPTIMIZE_LENS_COMMANDS, positionOf, uriOf, withLspClient } from './client';
import { tempDir, writeTemp } from './fixtures';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLE = join(REPO, 'examples/triton/vector_add');
const source = readFileSync(join(EXAMPLE, 'vector_add.py'), 'utf8');
const REWRITE = `@triton.jit
def add_kernel(x_ptr, y_ptr, output_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # stand-in rewrite: the same sum in one store
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(output_ptr + offsets, tl.load(y_ptr + offsets, mask=mask) + tl.load(x_ptr + offsets, mask=mask), mask=mask)`;
const ANSWER = `One store.\n\n\`\`\`python\n${REWRITE}\n\`\`\`\n\n\`\`\`json\n{"constexprs": {"BLOCK_SIZE": 256}, "numWarps": 8}\n\`\`\``;

/** The user's kernelpilot.python: the stand-in's python with Triton's interpreter asked for. */
function interpreterPython(): string {
  const { python, dir: folder } = standInPython();
  const wrapper = join(folder, 'bin', 'python-interpret');
  writeFileSync(wrapper, `#!/bin/sh\nexport TRITON_INTERPRET=1\nexec '${python}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

test('⚡ Optimize on a Triton kernel: the lens, the Python gate with the user\'s python, verified attempts, one versioned edit of the kernel; its launch said, not written', { timeout: 280_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const root = join(dir, 'triton');
  mkdirSync(join(root, '.kernelpilot/specs'), { recursive: true });
  const spec = JSON.parse(readFileSync(join(EXAMPLE, 'vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, '.kernelpilot/specs/add_kernel.json'), JSON.stringify({ ...spec, sizes: { n_elements: 2000 } }));
  const uri = uriOf(writeTemp(root, 'vector_add.py', source));
  const task = uriOf(writeTemp(root, '19_ReLU.py', readFileSync(join(REPO, 'test/fixtures/kernelbench/level1/19_ReLU.py'), 'utf8')));
  const endpoint = new ScriptedEndpoint(() => ({ content: ANSWER }));
  const baseUrl = await endpoint.start();
  try {
    const settings = { check: { onOpen: false, onSave: false }, optimize: { baseUrl, model: 'scripted', rounds: 1, candidates: 4 }, python: interpreterPython() };
    await withLspClient(t, { root, windowFeatures: true, editFeatures: true, settings }, async (client) => {
      client.connection.onRequest(API_KEY_REQUEST, () => ({ key: 'sk-kp-triton-test' }));
      await client.open(uri, 'python', source);
      const lens = async () => (await client.allLenses(uri))?.find((l) => OPTIMIZE_LENS_COMMANDS.includes(l.command?.command ?? ''));
      assert.equal((await lens())?.command?.title, '⚡ Optimize');
      const inKernel = positionOf(source, 'output = x + y');
      assert.ok((await client.codeActions(uri, { start: inKernel, end: inKernel }))?.some((a) => a.title === 'KernelPilot: Optimize add_kernel'), 'the code action');

      assert.match(String(await client.executeCommand(ServerCommand.optimize, [uri, 'add_kernel'])), /^KernelPilot: optimizing add_kernel…$/);
      const done = await client.waitFor('the result notification', () => client.messages.find((m) => /^KernelPilot: (add_kernel: |optimize run of add_kernel failed)/.test(m.message)), 240_000);
      assert.match(done.message, /^KernelPilot: add_kernel: /);
      assert.ok(endpoint.requests.length > 0 && /expert Triton performance engineer/.test(endpoint.requests[0].body.messages[0].content), `the model was asked for a Triton variant: ${JSON.stringify(endpoint.requests.map((r) => r.body.messages[0].content.slice(0, 80)))}`);

      const view = await client.request<OptimizeRunView>(OPTIMIZE_RESULT_REQUEST, { uri, kernel: 'add_kernel' });
      assert.equal(view.status, 'done');
      const model = view.candidates.find((c) => c.proposer === 'llm');
      const search = view.candidates.find((c) => c.proposer === 'search');
      assert.ok(model && search, JSON.stringify(view.candidates));
      for (const c of [model, search]) assert.ok(c.verdict !== 'rejected' && c.verdict !== 'no candidate' && c.timeMs !== undefined, `verified and timed by the Python gate: ${JSON.stringify(c)}`);
      assert.equal(model.launch, 'grid (cdiv(n_elements, BLOCK_SIZE)), BLOCK_SIZE=256, num_warps=8');
      assert.equal(model.reviewable, true);

      // The model's rewrite: one edit of exactly the kernel's definition at the document's version; the launch site stays.
      const edit = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'add_kernel', attempt: model.id, version: 1 });
      assert.ok(edit.ok, JSON.stringify(edit));
      assert.equal(edit.version, 1);
      const lastLine = positionOf(source, 'tl.store(output_ptr').line;
      assert.deepEqual(edit.range, { start: positionOf(source, '@triton.jit'), end: { line: lastLine, character: source.split('\n')[lastLine].length } });
      const applied = applyChange(source, { range: edit.range, text: edit.newText });
      assert.equal(applied, source.slice(0, source.indexOf('@triton.jit')) + REWRITE + source.slice(source.indexOf('\n\n\ndef add(')));
      assert.deepEqual(edit.notes, ['it was verified with its own launch, grid (cdiv(n_elements, BLOCK_SIZE)), BLOCK_SIZE=256, num_warps=8, where the spec launches grid (cdiv(n_elements, BLOCK_SIZE)), BLOCK_SIZE=128; your launch sites were not changed (pass the same meta-parameters there): line 23 (add_kernel[grid](…))']);
      const stale = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'add_kernel', attempt: model.id, version: 0 });
      assert.match(stale.ok ? '' : stale.reason, /changed while you reviewed/);
      // The search's launch variant has no code to write: refused, saying what it was verified with.
      const launchOnly = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'add_kernel', attempt: search.id, version: 1 });
      assert.match(launchOnly.ok ? '' : launchOnly.reason, /did not change add_kernel's code: it was verified with its own launch, grid \(.*\), (BLOCK_SIZE=\d+|.*num_warps=\d|.*num_stages=\d)/);

      const hover = await client.hover(uri, positionOf(source, 'add_kernel'));
      assert.match(JSON.stringify(hover), /\*\*Optimize run\*\*/);
      // Beside it, a KernelBench task's Model has its own ⚡ lens (its runs: optimize-kernelbench.test.ts).
      await client.open(task, 'python', readFileSync(join(REPO, 'test/fixtures/kernelbench/level1/19_ReLU.py'), 'utf8'));
      assert.deepEqual((await client.allLenses(task))?.find((l) => OPTIMIZE_LENS_COMMANDS.includes(l.command?.command ?? ''))?.command?.arguments, [task, 'Model']);
    }, 270_000);
  } finally {
    await endpoint.close();
  }
});
