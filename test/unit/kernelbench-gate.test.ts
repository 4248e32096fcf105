// The KernelBench gate for real: the shipped CLI (dist/cli.js) runs the Python harness with Debian's CPU torch on
// the copied tasks (sizes scaled down) and the fixture solutions, one of each cheat; every candidate must get its
// verdict through the named probe, the run must re-derive from its recorded events, and the report must say
// fast_p and that torch 1.13 has no torch.compile. Also: the solutions naming convention and task-file refusals.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { sizesPerTask, solutionsFor } from '../../server/src/bench/kernelbench';
import { taskResult, type TaskResult } from '../../server/src/derive/kernelbench';
import type { KernelBenchTaskRun } from '../../server/src/bench/kernelbench';
import { REPO, tempDir } from './harness-helpers';
import { serviceReady } from './service-tests';

const cli = join(REPO, 'dist/cli.js');
const FIXTURES = join(REPO, 'test/fixtures/kernelbench');
const RELU = join(FIXTURES, 'level1/19_ReLU.py');
const SOFTMAX = join(FIXTURES, 'level1/23_Softmax.py');
const GEMM = join(FIXTURES, 'level2/12_Gemm_Multiply_LeakyReLU.py');
const SIZES = ['--size', 'batch_size=16', '--size', 'dim=256', '--size', 'in_features=64', '--size', 'out_features=32'];

/** A python3 with torch: KERNELPILOT_TEST_PYTHON, else Debian's (CI installs python3-torch). */
const python = process.env.KERNELPILOT_TEST_PYTHON ?? '/usr/bin/python3';
const torchMissing = (() => {
  if (!existsSync(cli)) return 'dist/cli.js not built (npm run build)';
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? undefined : `${python} cannot import torch (apt-get install python3-torch): ${r.stderr.trim().split('\n').pop() ?? ''}`;
})();

function kernelbench(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'kernelbench', '--python', python, ...args], { encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  tasks: KernelBenchTaskRun[];
  summary: { eager: { fastP: Array<{ count: number; total: number } | null> }; compiled: { unavailable?: string; fastP: unknown[] } };
}

let report: Report | undefined;
let relu: TaskResult | undefined;

before(() => {
  if (torchMissing) return;
  const r = kernelbench(RELU, SOFTMAX, GEMM, '--solutions', join(FIXTURES, 'solutions'), ...SIZES, '--pairs', '5', '--json');
  assert.equal(r.status, 3, `exit 3 (some candidates are cheats): ${r.stderr}`);
  report = JSON.parse(r.stdout) as Report;
  relu = report.tasks.find((t) => t.result.task.endsWith('19_ReLU.py'))?.result;
});

function candidate(t: import('node:test').TestContext, name: string) {
  if (!serviceReady(t, torchMissing)) return undefined;
  const found = relu?.candidates.find((c) => c.file.endsWith(`/${name}.py`));
  assert.ok(found, `19_ReLU has a result for ${name}.py`);
  return found;
}

function rejectedBy(t: import('node:test').TestContext, name: string, probe: string, reason: RegExp): void {
  const c = candidate(t, name);
  if (!c) return;
  assert.equal(c.verdict.accepted, false, c.verdict.summary);
  assert.equal(c.verdict.failed[0], probe, c.verdict.summary);
  assert.match(c.probes.find((p) => p.name === probe)?.reason ?? '', reason);
  assert.equal(c.eager, undefined, 'a rejected candidate shows no speedup');
}

test('an honest ModelNew is accepted and timed against eager Model, every timed call verified', { timeout: 180_000 }, (t) => {
  const c = candidate(t, 'honest');
  if (!c) return;
  assert.equal(c.verdict.accepted, true, c.verdict.summary);
  for (const name of ['runs', 'seeds', 'match', 'written', 'inputs-unchanged', 'no-aliasing', 'timed']) {
    const probe = c.probes.find((p) => p.name === name);
    assert.ok(probe?.passed && !probe.skipped, `${name}: ${probe?.reason}`);
  }
  assert.match(c.probes.find((p) => p.name === 'timed')?.reason ?? '', /all 5 timed launches/);
  assert.equal(c.eager?.pairs, 5);
});

// The first element off depends on the inputs, which are drawn from seeds of the candidate's own (ReLU leaves the
// negative ones at 0 on both sides).
test('a wrong ModelNew fails match', { timeout: 180_000 }, (t) => rejectedBy(t, 'wrong', 'match', /^seed \d+: output\[\d+, \d+\] = [-\d.e]+, baseline [-\d.e]+ \(\|Δ\| [-\d.e]+ > allowed/));

test('a ModelNew that zeroes its input fails inputs-unchanged', { timeout: 180_000 }, (t) => rejectedBy(t, 'mutates_input', 'inputs-unchanged', /changed input\(s\) 'x'/));

test('a ModelNew returning its input (right values on [0, 1)) fails no-aliasing; the spec is called weak', { timeout: 180_000 }, (t) => {
  rejectedBy(t, 'aliases_input', 'no-aliasing', /'output' shares storage with 'x'/);
  const weak = relu?.candidates.find((c) => c.file.endsWith('/aliases_input.py'))?.probes.find((p) => p.name === 'not-trivial');
  if (weak) assert.match(weak.reason, /'output' = input 'x'/);
});

test('a ModelNew that writes half its output fails written: the rest holds the poison', { timeout: 180_000 }, (t) => {
  const c = candidate(t, 'partial');
  if (!c) return;
  assert.deepEqual(c.verdict.failed, ['match', 'written']);
  assert.match(c.probes.find((p) => p.name === 'written')?.reason ?? '', /2048 element\(s\) of 'output' still hold the harness's poison, first output\[8, 0\]/);
});

test("a ModelNew that returns the same tensor every call fails no-aliasing (a previous call's output)", { timeout: 180_000 }, (t) =>
  rejectedBy(t, 'cached_output', 'no-aliasing', /the tensor the previous call returned/));

/** What the gate process recorded of a 19_ReLU candidate's child. */
function evidenceOf(name: string) {
  const task = report?.tasks.find((t) => t.result.task.endsWith('19_ReLU.py'));
  const found = task?.run?.candidates.find((c) => c.file.endsWith(`/${name}.py`));
  assert.ok(task && found, `19_ReLU recorded ${name}.py`);
  return { plan: task.plan, evidence: found };
}

test('a ModelNew that replays its first result fails match on the second seed', { timeout: 180_000 }, (t) => {
  if (!candidate(t, 'stale')) return;
  const second = evidenceOf('stale').evidence.checks[1]?.seed;
  rejectedBy(t, 'stale', 'match', new RegExp(`^seed ${second}:`));
});

test('each candidate\'s child draws its own check and time seeds, none the reference\'s or another candidate\'s (a child could leave answers behind for inputs it knew of)', { timeout: 180_000 }, (t) => {
  if (!serviceReady(t, torchMissing) || !report) return;
  const names = ['honest', 'wrong', 'nondeterministic', 'stale'];
  const { plan } = evidenceOf('honest');
  const drawn = names.map((n) => evidenceOf(n).evidence.checks.map((c) => c.seed));
  const all = [...plan.seeds, ...drawn.flat()];
  assert.equal(new Set(all).size, all.length, `distinct: ${JSON.stringify({ reference: plan.seeds, drawn })}`);
  for (const [i, seeds] of drawn.entries()) assert.ok(seeds.length >= 1 && seeds.length <= plan.seeds.length, names[i]);
  assert.equal(drawn[0].length, plan.seeds.length, 'the honest one was checked on as many seeds as planned');
  const timed = ['honest', 'nondeterministic'].map((n) => evidenceOf(n).evidence.timing?.seed);
  assert.ok(timed.every((s) => typeof s === 'number' && s >= 2 ** 30) && timed[0] !== timed[1], `time seeds ${JSON.stringify(timed)}`);
});

test('a nondeterministic ModelNew within tolerance is accepted with the deterministic probe failed (advisory)', { timeout: 180_000 }, (t) => {
  const c = candidate(t, 'nondeterministic');
  if (!c) return;
  assert.equal(c.verdict.accepted, true);
  const det = c.probes.find((p) => p.name === 'deterministic');
  assert.equal(det?.passed, false);
  assert.match(det?.reason ?? '', /two runs with seed \d+ differ/);
});

test('every task result re-derives from its recorded events', { timeout: 180_000 }, (t) => {
  if (!serviceReady(t, torchMissing) || !report) return;
  for (const task of report.tasks) {
    assert.ok(task.run, task.result.task);
    assert.deepEqual(JSON.parse(JSON.stringify(taskResult(task.result.task, task.run, task.plan))), task.result);
  }
});

test('the report gives fast_p against eager PyTorch and says torch 1.13 has no torch.compile', { timeout: 180_000 }, (t) => {
  if (!serviceReady(t, torchMissing) || !report) return;
  assert.equal(report.summary.eager.fastP[0]?.count, 3, 'all three tasks have an accepted candidate');
  assert.equal(report.summary.eager.fastP[0]?.total, 3);
  assert.match(report.summary.compiled.unavailable ?? '', /has no torch\.compile/);
  assert.deepEqual(report.summary.compiled.fastP, [null, null, null]);
  const text = kernelbench(SOFTMAX, '--solutions', join(FIXTURES, 'solutions'), ...SIZES.slice(0, 4), '--pairs', '3');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^23_Softmax\.py +23_Softmax\.py +accepted \(best\)/m);
  assert.match(text.stdout, /^vs eager PyTorch: fast_0 1\/1 \(100 %\), fast_1 [01]\/1 .*fast_2 [01]\/1 .*geomean/m);
  assert.match(text.stdout, /^vs torch\.compile: not measured — torch 1\.13\S* has no torch\.compile/m);
  // Softmax over 256 values: each is about 1/256, under KernelBench's atol 1e-2, so all zeros would pass too.
  assert.match(text.stdout, /^weak spec: 23_Softmax\.py — a trivial output \(zeros, a constant, an input\) passes the task's tolerance on every seed/m);
});

test('refused before anything runs: a file that is no task, a --size no task defines', { timeout: 60_000 }, (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const dir = tempDir('kernelbench-refusals');
  const notTask = join(dir, 'plain.py');
  writeFileSync(notTask, 'import torch\n\ndef f(x):\n    return x\n');
  const r = kernelbench(notTask, '--solutions', dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /plain\.py: not a KernelBench task: it needs a module-level class Model/);
  const s = kernelbench(RELU, '--solutions', dir, '--size', 'nope=3');
  assert.equal(s.status, 1);
  assert.match(s.stderr, /--size nope: no task file defines a module-level integer of that name/);
});

test('solutions are looked up as DIR/<task>.py and DIR/<task>/*.py; sizes go to the tasks that define them', { timeout: 10_000 }, async () => {
  const dir = tempDir('kernelbench-solutions');
  mkdirSync(join(dir, '19_ReLU'));
  for (const file of ['19_ReLU.py', '19_ReLU/b.py', '19_ReLU/a.py', '19_ReLU/notes.txt', '23_Softmax_other.py']) writeFileSync(join(dir, file), '');
  assert.deepEqual(await solutionsFor('/tasks/level1/19_ReLU.py', dir), [join(dir, '19_ReLU.py'), join(dir, '19_ReLU/a.py'), join(dir, '19_ReLU/b.py')]);
  assert.deepEqual(await solutionsFor('/tasks/level1/23_Softmax.py', dir), []);
  const relu = new Map([['batch_size', 4096], ['dim', 393216]]);
  const gemm = new Map([['batch_size', 1024], ['in_features', 8192]]);
  assert.deepEqual(sizesPerTask({ dim: 8, in_features: 4 }, [relu, gemm]), [{ dim: 8 }, { in_features: 4 }]);
  assert.throws(() => sizesPerTask({ dimm: 8 }, [relu, gemm]), /--size dimm: no task file defines/);
});
