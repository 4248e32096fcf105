// "⚡ Optimize" on a KernelBench task's Model through a real JSON-RPC client over stdio. The KernelBench gate runs for
// real on Debian's CPU torch (kernelpilot.python; the device is auto, so CPU here). Without a key the run is refused
// before any work (a task has no built-in search); with one, a scripted endpoint answers a correct ModelNew, the gate
// verifies it, and Accept is a new file solutions/<task>.py beside the task (never the task, never over a solution).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CHANGE_ANNOTATION, workspaceEditOf } from '../../server/src/lsp/optimize-edit';
import { ServerCommand } from '../../server/src/protocol/commands';
import { API_KEY_REQUEST, OPTIMIZE_EDIT_REQUEST, OPTIMIZE_RESULT_REQUEST, type OptimizeEditResult, type OptimizeRunView } from '../../server/src/protocol/optimize';
import { ScriptedEndpoint } from '../unit/llm-endpoint';
import { RELU_TASK as TASK } from '../unit/kernelbench-task';
import { serviceReady } from '../unit/service-tests';
import { debianPython as python, torchMissing } from '../unit/triton-stand-in';
import { OPTIMIZE_LENS_COMMANDS, positionOf, uriOf, withLspClient } from './client';
import { tempDir, writeTemp } from './fixtures';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));

const MODEL_NEW = `import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.clamp(min=0)
`;
const ANSWER = `Clamp instead of relu.\n\n\`\`\`python\n${MODEL_NEW}\`\`\``;

test('⚡ Optimize on a KernelBench task\'s Model: refused without a key before any work; with one, a verified ModelNew written as a new solutions/<task>.py, never over one', { timeout: 280_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const root = join(dir, 'kernelbench');
  mkdirSync(root, { recursive: true });
  const taskFile = writeTemp(root, '19_ReLU.py', TASK);
  const uri = uriOf(taskFile);
  const solution = join(root, 'solutions', '19_ReLU.py');
  const endpoint = new ScriptedEndpoint(() => ({ content: ANSWER }));
  const baseUrl = await endpoint.start();
  try {
    const settings = { check: { onOpen: false, onSave: false }, optimize: { baseUrl, model: 'scripted', rounds: 1, candidates: 1 }, python };
    await withLspClient(t, { root, windowFeatures: true, editFeatures: true, settings }, async (client) => {
      let key: string | null = null;
      client.connection.onRequest(API_KEY_REQUEST, () => (key ? { key } : null));
      await client.open(uri, 'python', TASK);
      const lens = async () => (await client.allLenses(uri))?.find((l) => OPTIMIZE_LENS_COMMANDS.includes(l.command?.command ?? ''));
      assert.equal((await lens())?.command?.title, '⚡ Optimize');
      assert.deepEqual((await lens())?.command?.arguments, [uri, 'Model']);
      const inModel = positionOf(TASK, 'return torch.relu');
      assert.ok((await client.codeActions(uri, { start: inModel, end: inModel }))?.some((a) => a.title === 'KernelPilot: Optimize Model'), 'the code action');

      // No key: refused at once, saying why and what to do; no baseline was timed, no run recorded.
      await assert.rejects(client.executeCommand(ServerCommand.optimize, [uri, 'Model']), /Model was not optimized: a KernelBench task has no built-in search .* no API key is set for .*"KernelPilot: Set API Key"/);
      assert.equal((await lens())?.command?.title, '⚡ Optimize', 'no run was started: the lens is as it was');
      assert.equal(endpoint.requests.length, 0);
      assert.equal(client.logs.some((l) => /\[optimize Model\] baseline:/.test(l)), false, `no baseline was timed: ${client.logs.join('\n')}`);

      key = 'sk-kp-kernelbench-test';
      client.messages.splice(0);
      assert.match(String(await client.executeCommand(ServerCommand.optimize, [uri, 'Model'])), /^KernelPilot: optimizing Model…$/);
      const done = await client.waitFor('the result notification', () => client.messages.find((m) => /^KernelPilot: (Model: |optimize run of Model failed)/.test(m.message)), 240_000);
      assert.match(done.message, /^KernelPilot: Model: /);
      assert.match(endpoint.requests[0]?.body.messages[0].content ?? '', /You write `ModelNew`, a drop-in replacement/);

      const view = await client.request<OptimizeRunView>(OPTIMIZE_RESULT_REQUEST, { uri, kernel: 'Model' });
      assert.equal(view.status, 'done');
      const verified = view.candidates.find((c) => c.proposer === 'llm');
      assert.ok(verified && verified.verdict !== 'rejected' && verified.verdict !== 'no candidate' && verified.timeMs !== undefined, `verified and timed by the KernelBench gate: ${JSON.stringify(view.candidates)}`);
      assert.equal(verified.reviewable, true);

      // Accept: the verified ModelNew as a new file beside the task; the task itself is not in the edit.
      const edit = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'Model', attempt: verified.id, version: 1 });
      assert.ok(edit.ok, JSON.stringify(edit));
      assert.equal(edit.createFile, uriOf(solution));
      assert.equal(edit.newText, MODEL_NEW);
      assert.deepEqual(edit.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
      assert.equal(readFileSync(taskFile, 'utf8'), TASK, 'the task is the reference and is never written');

      // As the code action's LSP edit (the host clock proves no gain, so the action itself is not offered here): a
      // CreateFile that never overwrites, then the text; the task is not in it.
      const changes = workspaceEditOf(edit, uri, 'Model', true).documentChanges ?? [];
      assert.deepEqual(changes, [
        { kind: 'create', uri: uriOf(solution), options: { overwrite: false, ignoreIfExists: false }, annotationId: CHANGE_ANNOTATION },
        { textDocument: { uri: uriOf(solution), version: null }, edits: [{ range: edit.range, newText: MODEL_NEW, annotationId: CHANGE_ANNOTATION }] },
      ]);

      // An existing solution is never clobbered: the edit is refused, naming it.
      mkdirSync(join(root, 'solutions'), { recursive: true });
      writeFileSync(solution, '# my own solution\n');
      const clobber = await client.request<OptimizeEditResult>(OPTIMIZE_EDIT_REQUEST, { uri, kernel: 'Model', attempt: verified.id, version: 1 });
      assert.equal(clobber.ok, false);
      assert.match(clobber.ok ? '' : clobber.reason, new RegExp(`${solution.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already exists; a solution is never overwritten`));
      assert.equal(readFileSync(solution, 'utf8'), '# my own solution\n');

      // ModelNew (a solution file) has no ⚡ lens and is refused by name.
      const solutionUri = uriOf(writeTemp(root, 'model_new.py', MODEL_NEW));
      await client.open(solutionUri, 'python', MODEL_NEW);
      assert.equal((await client.allLenses(solutionUri))?.some((l) => OPTIMIZE_LENS_COMMANDS.includes(l.command?.command ?? '')), false, 'no ⚡ lens on ModelNew');
      await assert.rejects(client.executeCommand(ServerCommand.optimize, [solutionUri, 'ModelNew']), /KernelPilot: Optimize: ModelNew is a KernelBench solution; optimize its task's Model instead/);
    }, 270_000);
  } finally {
    await endpoint.close();
  }
});
