// optimize on a KernelBench task: the model writes whole ModelNew files, each gated against the task's Model by the
// KernelBench gate (here Debian's CPU torch: timed by the host clock), recorded and re-derived; the task file is the
// reference and is never written; without a model there is nothing to propose, and the CLI says so before any work.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseKernelBenchAnswer } from '../../server/src/llm/answer';
import { KERNELBENCH_MODEL_STRATEGIES } from '../../server/src/optimize/strategies';
import { REPO, runCliAsync, tempDir } from './harness-helpers';
import { RELU_TASK as TASK } from './kernelbench-task';
import { ScriptedEndpoint } from './llm-endpoint';
import { serviceReady } from './service-tests';

const python = process.env.KERNELPILOT_TEST_PYTHON ?? '/usr/bin/python3';
const torchMissing = (() => {
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? undefined : `${python} cannot import torch (apt-get install python3-torch)`;
})();


const modelNew = (body: string) => `import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def __init__(self):\n        super().__init__()\n\n    def forward(self, x):\n        ${body}\n`;
const ANSWERS = [
  `Clamp instead of relu.\n\n\`\`\`python\n${modelNew('return x.clamp(min=0)')}\`\`\``,
  `Skip the negatives.\n\n\`\`\`python\n${modelNew('return x.abs()')}\`\`\``,
  'I would fuse it, but here is no code.',
];

test('a KernelBench answer: the last python block with a module-level ModelNew, taken whole', () => {
  assert.match(parseKernelBenchAnswer(ANSWERS[0]).code ?? '', /^import torch[\s\S]*class ModelNew\(nn\.Module\)/);
  assert.match(parseKernelBenchAnswer(ANSWERS[2]).problem ?? '', /no ```python code block defining class ModelNew/);
  assert.match(parseKernelBenchAnswer('```python\nclass Model(nn.Module):\n    pass\n```').problem ?? '', /defining class ModelNew/);
});

test('optimize a KernelBench task from the CLI: ModelNew answers gated against Model, re-derived, the task untouched', { timeout: 300_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const dir = tempDir('kp-kb-optimize-');
  const task = join(dir, 'relu_task.py');
  writeFileSync(task, TASK);
  const noKey = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'optimize', task, '--python', python, '--device', 'cpu', '--workspace', dir], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KERNELPILOT_API_KEY: '', OPENAI_API_KEY: '' } });
  assert.equal(noKey.status, 1, noKey.stderr);
  assert.match(noKey.stderr, /a KernelBench task has no built-in search .* set KERNELPILOT_API_KEY/);

  const endpoint = new ScriptedEndpoint((_body, index) => ({ content: ANSWERS[index % ANSWERS.length] }));
  const baseUrl = await endpoint.start();
  try {
    const { status, stdout, stderr } = await runCliAsync(['optimize', task, '--python', python, '--device', 'cpu', '--pairs', '3', '--workspace', dir, '--rounds', '1', '--candidates', '3', '--repairs', '0', '--parallel', '1', '--base-url', baseUrl, '--model', 'scripted', '--json'], { env: { ...process.env, KERNELPILOT_API_KEY: 'sk-test' } });
    assert.equal(status, 0, stderr);
    const report = JSON.parse(stdout) as { attempts: Array<{ strategy: string; accepted: boolean; result: string; evidence?: string; description?: string }>; gateRecords: { rederived: number }; mismatches: unknown[] };
    const byAnswer = new Map(report.attempts.map((a) => [a.description?.split('.')[0], a]));
    for (const a of report.attempts) assert.ok((KERNELBENCH_MODEL_STRATEGIES as readonly string[]).includes(a.strategy), a.strategy);
    const clamp = byAnswer.get('Clamp instead of relu');
    assert.ok(clamp?.accepted, clamp?.result);
    assert.doesNotMatch(clamp?.result ?? '', /faster/, 'the host clock of a CPU proves no speedup');
    const abs = byAnswer.get('Skip the negatives');
    assert.ok(abs && !abs.accepted && /rejected at probes \(match/.test(abs.result), abs?.result);
    assert.deepEqual({ rederived: report.gateRecords.rederived, mismatches: report.mismatches }, { rederived: 2, mismatches: [] });
    assert.equal(readFileSync(task, 'utf8'), TASK, 'the task file is the reference and is never written');
    const prompt = endpoint.requests[0].body.messages;
    assert.match(prompt[0].content, /You write `ModelNew`, a drop-in replacement/);
    assert.match(prompt[1].content, /KernelBench task `relu_task\.py`[\s\S]*return torch\.relu\(x\)[\s\S]*`x`: input float32\[batch_size, dim\][\s\S]*Tolerance: float32: rtol 0\.01, atol 0\.01/);
  } finally {
    await endpoint.close();
  }
});

test('an answer that kills the gate\'s process is rejected for it; the run goes on and the other answer is judged', { timeout: 300_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const dir = tempDir('kp-kb-optimize-kill-');
  const task = join(dir, 'relu_task.py');
  writeFileSync(task, TASK);
  const answers = [
    `Stop the checker.\n\n\`\`\`python\nimport os\nimport signal\n${modelNew('os.kill(os.getppid(), signal.SIGKILL)\n        return x')}\`\`\``,
    ANSWERS[0],
  ];
  const endpoint = new ScriptedEndpoint((_body, index) => ({ content: answers[index % answers.length] }));
  const baseUrl = await endpoint.start();
  try {
    const { status, stdout, stderr } = await runCliAsync(['optimize', task, '--python', python, '--device', 'cpu', '--pairs', '3', '--workspace', dir, '--rounds', '1', '--candidates', '2', '--repairs', '0', '--parallel', '2', '--base-url', baseUrl, '--model', 'scripted', '--json'], { env: { ...process.env, KERNELPILOT_API_KEY: 'sk-test' } });
    assert.equal(status, 0, stderr);
    const report = JSON.parse(stdout) as { attempts: Array<{ accepted: boolean; result: string; description?: string }>; gateRecords: { rederived: number }; mismatches: unknown[] };
    const byAnswer = new Map(report.attempts.map((a) => [a.description?.split('.')[0], a]));
    const killer = byAnswer.get('Stop the checker');
    assert.ok(killer && !killer.accepted && /the candidate is taken to have ended it/.test(killer.result), killer?.result);
    assert.ok(byAnswer.get('Clamp instead of relu')?.accepted, byAnswer.get('Clamp instead of relu')?.result);
    assert.deepEqual({ rederived: report.gateRecords.rederived, mismatches: report.mismatches }, { rederived: 2, mismatches: [] });
  } finally {
    await endpoint.close();
  }
});
