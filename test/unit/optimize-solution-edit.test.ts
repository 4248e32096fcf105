// Accepting a KernelBench attempt in the editor (lsp/optimize-edit.ts planEdit): a new solution file, never the task;
// refused when the client cannot create files, when the solution exists, when the task changed since the run, or for
// an attempt the gate did not verify. And where the file goes: the solutions folder the Benchmark lens reads. On the
// command line (cli/optimize-output.ts): --out writes the ModelNew, --apply never touches the task.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { solutionFileFor } from '../../server/src/bench/python-bench';
import { inferKernelBench } from '../../server/src/benchspec/kernelbench';
import { deliverBest } from '../../server/src/cli/optimize-output';
import { sha256Text } from '../../server/src/runs/hash';
import { KernelDocument } from '../../server/src/kernels/document';
import { planEdit, type EditRequest } from '../../server/src/lsp/optimize-edit';
import type { AttemptRecord } from '../../server/src/optimize/record';
import { tempDir } from './harness-helpers';
import { RELU_TASK } from './kernelbench-task';

const MODEL_NEW = 'import torch\n\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x.clamp(min=0)\n';

const attempt = (verdict: 'accepted' | 'rejected'): AttemptRecord => ({
  id: 'r01-c01-a0', round: 1, slot: 1, attempt: 0, strategy: 'kernelbench-cuda', proposer: 'llm', parent: 'baseline', parentSpeedup: 1, notes: [], startedAtMs: 0, durationMs: 1,
  candidate: { source: MODEL_NEW, key: 'k', diff: '' },
  outcome: verdict === 'accepted'
    ? { verdict, timing: { status: 'faster', baselineMs: 2, candidateMs: 1, speedup: 2, ci: { low: 1.9, high: 2.1, confidence: 0.95 }, pValue: 0.001 }, warnings: [] }
    : { verdict, stage: 'probes', reasons: ['match failed'], failedProbes: [{ name: 'match', reason: 'seed 1: wrong' }], diagnostics: [] },
});

test('a KernelBench attempt is accepted as a new solution file, and refused where it cannot be written safely', { timeout: 30_000 }, async () => {
  const dir = tempDir('kp-solution-edit-');
  const file = join(dir, 'relu.py');
  const document = KernelDocument.create(file, RELU_TASK, 3, 'python');
  await document.settled();
  const kernel = document.kernels().kernels.find((k) => k.name === 'Model');
  assert.ok(kernel);
  const solution = join(dir, 'solutions', 'relu.py');
  const request = (over: Partial<EditRequest> = {}, solutionOver: Partial<NonNullable<EditRequest['solution']>> = {}): EditRequest => ({
    uri: pathToFileURL(file).toString(), document, kernelName: 'Model', attempt: attempt('accepted'), title: '2.00× faster',
    baseline: { source: RELU_TASK, kernel, kernelText: '', specLaunch: { grid: [], block: [] }, replacements: new Map() },
    solution: { file: solution, exists: false, creatable: true, ...solutionOver }, ...over,
  });
  const planned = planEdit(request());
  assert.ok(planned.ok, JSON.stringify(planned));
  assert.equal(planned.createFile, pathToFileURL(solution).toString());
  assert.equal(planned.newText, MODEL_NEW);
  const reason = (r: EditRequest) => {
    const plan = planEdit(r);
    return plan.ok ? 'accepted' : plan.reason;
  };
  assert.match(reason(request({}, { creatable: false })), /this editor does not apply edits that create files .* copy attempts\/r01-c01-a0\/candidate\.py of the run to .*solutions\/relu\.py/);
  assert.match(reason(request({}, { exists: true })), /already exists; a solution is never overwritten/);
  assert.match(reason(request({ attempt: attempt('rejected') })), /was not verified by the gate \(match: seed 1: wrong\)/);
  assert.match(reason(request({ baseline: { source: `${RELU_TASK}# edited\n`, kernel, kernelText: '', specLaunch: { grid: [], block: [] }, replacements: new Map() } })), /changed since the optimize run of Model/);
  assert.match(reason(request({ version: 2 })), /changed while you reviewed \(version 2, now 3\)/);
  document.dispose();

  // The folder ▶ Benchmark reads: solutions/ beside the task, else beside its level folder, else a new one beside the task.
  const level = join(dir, 'level1');
  mkdirSync(level);
  assert.equal(solutionFileFor(join(level, '19_ReLU.py')), join(level, 'solutions', '19_ReLU.py'));
  mkdirSync(join(dir, 'solutions'));
  assert.equal(solutionFileFor(join(level, '19_ReLU.py')), join(dir, 'solutions', '19_ReLU.py'));
  mkdirSync(join(level, 'solutions'));
  assert.equal(solutionFileFor(join(level, '19_ReLU.py')), join(level, 'solutions', '19_ReLU.py'));
});

test('optimize --apply on a KernelBench task is refused (the task is the reference); --out writes the ModelNew', { timeout: 30_000 }, async () => {
  const dir = tempDir('kp-solution-out-');
  const file = join(dir, 'relu.py');
  writeFileSync(file, RELU_TASK);
  const document = KernelDocument.create(file, RELU_TASK, 1, 'python');
  await document.settled();
  const kernel = document.kernels().kernels.find((k) => k.name === 'Model');
  assert.ok(kernel);
  document.dispose();
  const record = attempt('accepted');
  const outcome = record.outcome;
  assert.ok(outcome?.verdict === 'accepted');
  const out = join(dir, 'model_new.py');
  const delivery = await deliverBest({
    apply: true, out, startSha256: sha256Text(RELU_TASK),
    problem: { file, source: RELU_TASK, kernel, spec: inferKernelBench(kernel, RELU_TASK, file).spec, baseline: { timeMs: 2, gpu: { name: 'test' } } },
    best: { id: record.id, speedup: 2, record, outcome },
  });
  assert.equal(delivery.exitCode, 1);
  assert.match(delivery.json.refused ?? '', /relu\.py is a KernelBench task, the reference .* never changed; write the ModelNew with --out FILE \(its solutions\/relu\.py/);
  assert.equal(readFileSync(file, 'utf8'), RELU_TASK, 'the task is untouched');
  assert.equal(readFileSync(out, 'utf8'), MODEL_NEW, '--out wrote the ModelNew');
});
