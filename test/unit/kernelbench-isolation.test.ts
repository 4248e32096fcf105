// One Python gate process runs a task's candidates one after another, so candidate 0 (hostile code) runs before
// candidate 1 (honest). Under the real sandbox (bwrap) and Debian's CPU torch: whatever candidate 0 does — rewrite
// the task or candidate 1's file, plant a file in candidate 1's load_inline build folder, write its Triton cache, cwd,
// temporary folder and home, or leave a process behind that keeps writing — candidate 1 is judged on its own code.
// Candidate 1 trusts what it finds in its places, as ninja and Triton do (a file `kp_scale` scales its output), so a
// plant that reaches it gets it rejected. Writes to the inputs fail (candidate 0's own error); a write into another
// candidate's build folder gets candidate 0 rejected for it and the folder wiped.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tolerancesOf } from '../../server/src/bench/kernelbench';
import type { Tolerance } from '../../server/src/benchspec/model';
import { taskResult, type CandidateResult, type KernelBenchPlan, type TaskResult } from '../../server/src/derive/kernelbench';
import { POISON_BYTE } from '../../server/src/harness/poison';
import type { KernelBenchJob } from '../../server/src/harness/python/protocol';
import { runKernelBench, type KernelBenchRun } from '../../server/src/harness/python/run';
import { REPO, tempDir } from './harness-helpers';
import { TEST_PYTHON as python, torchMissing } from './kernelbench-task';
import { localTarget } from './local-target';
import { serviceReady } from './service-tests';

const RELU = join(REPO, 'test/fixtures/kernelbench/level1/19_ReLU.py');
const torchUnavailable = torchMissing();

const plan: KernelBenchPlan = { seeds: [101, 202, 303], tolerance: tolerancesOf('kernelbench') };
const job: Omit<KernelBenchJob, 'task' | 'candidates'> = {
  seeds: plan.seeds, initSeed: 42, timeSeed: 1000, warmup: 1, pairs: 2, baselineIters: 1,
  tolerance: plan.tolerance as Record<string, Tolerance>, poisonByte: POISON_BYTE.float32,
  sizes: { batch_size: 4, dim: 25 }, device: 'cpu', compile: false, l2FlushBytes: 0, candidateTimeoutS: 60,
};
const dir = tempDir('kernelbench-isolation');
const cacheHome = tempDir('kernelbench-isolation-cache');
const savedCacheHome = process.env.XDG_CACHE_HOME;
const buildRoot = join(cacheHome, 'kernelpilot/torch-extensions');

before(() => {
  process.env.XDG_CACHE_HOME = cacheHome;
});

after(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCacheHome;
});

/** Honest, and trusting its places: its build folder, Triton cache, cwd, temporary folder and home. */
function honest(name: string): string {
  return [
    `# ${name}: a source of its own, so a build folder of its own`,
    'import os', 'import tempfile', 'import torch', 'import torch.nn as nn', '', '',
    'def places():',
    '    return [p for p in (os.environ.get("TORCH_EXTENSIONS_DIR"), os.environ.get("TRITON_CACHE_DIR"), os.getcwd(), tempfile.gettempdir(), os.path.expanduser("~")) if p]',
    '', '',
    'def cached_scale():',
    '    for place in places():',
    '        if os.path.exists(os.path.join(place, "kp_scale")):',
    '            with open(os.path.join(place, "kp_scale")) as f:',
    '                return float(f.read())',
    '    with open(os.path.join(os.environ["TORCH_EXTENSIONS_DIR"], "kp_scale"), "w") as f:',
    '        f.write("1.0")',
    '    return 1.0', '', '',
    'class ModelNew(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.scale = cached_scale()', '',
    '    def forward(self, x):',
    '        return torch.relu(x) * self.scale', '',
  ].join('\n');
}

/** Correct outputs; `attack` (Python, indented for __init__) runs when the gate builds it. */
function hostile(attack: string[]): string {
  return [
    'import os', 'import sys', 'import tempfile', 'import time', 'import torch', 'import torch.nn as nn', '', '',
    'def others():',
    '    mine = os.environ["TORCH_EXTENSIONS_DIR"]',
    '    root = os.path.dirname(mine)',
    '    return [os.path.join(root, n) for n in os.listdir(root) if os.path.join(root, n) != mine]', '', '',
    'def plant(folder):',
    '    os.makedirs(folder, exist_ok=True)',
    '    with open(os.path.join(folder, "kp_scale"), "w") as f:',
    '        f.write("3.0")', '', '',
    'def replace(path, text):',
    '    with open(path + ".new", "w") as f:',
    '        f.write(text)',
    '    os.replace(path + ".new", path)', '', '',
    'class ModelNew(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    ...attack.map((line) => `        ${line}`), '',
    '    def forward(self, x):',
    '        return torch.relu(x)', '',
  ].join('\n');
}

const ATTACKS = {
  // A new file renamed over the old one: the folder's permissions alone would not stop that where the sandbox
  // runs as an unprivileged uid that owns the folder.
  'rewrites task.py': [
    'task = sys.modules["kp_task"].__file__',
    'replace(task, open(task).read().replace("return torch.relu(x)", "return torch.relu(x) * 3"))',
  ],
  'rewrites candidate_1.py': [
    'mine = sys.modules["kp_candidate"].__file__',
    'replace(os.path.join(os.path.dirname(mine), "candidate_1.py"), "import torch.nn as nn\\n\\nclass ModelNew(nn.Module):\\n    def forward(self, x):\\n        return x * 3\\n")',
  ],
  "plants a file in candidate 1's build folder": ['for folder in others():', '    plant(folder)'],
  'writes its Triton cache, cwd, temporary folder and home': [
    'for folder in (os.environ.get("TRITON_CACHE_DIR") or "triton", os.getcwd(), tempfile.gettempdir(), os.path.expanduser("~")):',
    '    plant(folder)',
  ],
  'opens the gate\'s memory': [
    'try:',
    '    open(f"/proc/{os.getppid()}/mem", "r+b").close()',
    'except PermissionError:',
    '    pass',
    'else:',
    '    raise RuntimeError("the gate\'s memory is open to a candidate (it could rewrite what the gate checks)")',
  ],
  // A daemon of its own (double fork, new session) that keeps planting after candidate 0 ends; candidate 0 waits for
  // its first plant, so the parent's check after candidate 0 sees one.
  'leaves a process behind that keeps planting': [
    'if os.fork() == 0:',
    '    os.setsid()',
    '    if os.fork() == 0:',
    '        end = time.time() + 60',
    '        while time.time() < end:',
    '            for folder in others():',
    '                try:',
    '                    plant(folder)',
    '                except OSError:',
    '                    pass',
    '            time.sleep(0.005)',
    '    os._exit(0)',
    'os.wait()',
    'end = time.time() + 10',
    'while time.time() < end and not any(os.path.exists(os.path.join(f, "kp_scale")) for f in others()):',
    '    time.sleep(0.01)',
  ],
} satisfies Record<string, string[]>;

type Attack = keyof typeof ATTACKS;

async function gate(task: string, files: Array<[string, string]>): Promise<{ run: KernelBenchRun; result: TaskResult; paths: string[] }> {
  const paths = files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
  const run = await runKernelBench(task, paths, job, { target: localTarget(), python, timeoutMs: 120_000, gpu: false });
  return { run, result: taskResult(task, run, plan), paths };
}

async function attacked(attack: Attack): Promise<{ hostileResult: CandidateResult; honestResult: CandidateResult; honestBuild: string }> {
  const slug = attack.replace(/\W+/g, '_');
  const honestText = honest(slug);
  const { result } = await gate(RELU, [[`hostile_${slug}.py`, hostile(ATTACKS[attack])], [`honest_${slug}.py`, honestText]]);
  assert.equal(result.error, undefined, result.error);
  const [hostileResult, honestResult] = result.candidates;
  const honestBuild = join(buildRoot, createHash('sha256').update(honestText).digest('hex').slice(0, 16));
  assert.equal(honestResult.verdict.accepted, true, `candidate 1 after candidate 0 ${attack}: ${honestResult.verdict.summary}`);
  return { hostileResult, honestResult, honestBuild };
}

/** 19_ReLU with `init` (Python, `os` imported) run when Model is built. */
function reluTask(name: string, init: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, readFileSync(RELU, 'utf8').replace('super(Model, self).__init__()', ['super(Model, self).__init__()', 'import os', ...init].join('\n        ')));
  return path;
}

const runsReason = (c: CandidateResult) => c.probes.find((p) => p.name === 'runs')?.reason ?? '';

for (const attack of ['rewrites task.py', 'rewrites candidate_1.py'] as const) {
  test(`a candidate that ${attack} fails on the read-only inputs; the next candidate is judged on its own`, { timeout: 120_000 }, async (t) => {
    if (!serviceReady(t, torchUnavailable)) return;
    const { hostileResult } = await attacked(attack);
    assert.deepEqual(hostileResult.verdict.failed, ['runs'], hostileResult.verdict.summary);
    assert.match(runsReason(hostileResult), /ModelNew\(\*get_init_inputs\(\)\) raised OSError: \[Errno 30\] Read-only file system: '.*\/(task|candidate_1)\.py\.new'$/);
  });
}

test("a candidate that plants a file in another's build folder is rejected for it, and the folder is wiped before that one runs", { timeout: 120_000 }, async (t) => {
  if (!serviceReady(t, torchUnavailable)) return;
  const { hostileResult, honestBuild } = await attacked("plants a file in candidate 1's build folder");
  assert.deepEqual(hostileResult.verdict.failed, ['runs'], hostileResult.verdict.summary);
  assert.match(runsReason(hostileResult), /^the candidate failed: it changed files of another candidate's build \(candidate_1\.py's: added kp_scale\)$/);
  assert.equal(hostileResult.eager, undefined, 'no time for a rejected candidate');
  assert.equal(readFileSync(join(honestBuild, 'kp_scale'), 'utf8'), '1.0', "candidate 1's own file, written after the wipe");
});

test('what a candidate writes to its Triton cache, cwd, temporary folder and home reaches no other candidate', { timeout: 120_000 }, async (t) => {
  if (!serviceReady(t, torchUnavailable)) return;
  const { hostileResult } = await attacked('writes its Triton cache, cwd, temporary folder and home');
  assert.equal(hostileResult.verdict.accepted, true, `its own places are its own: ${hostileResult.verdict.summary}`);
});

test("the gate's own process is out of a candidate's reach: no ptrace, no /proc/<pid>/mem", { timeout: 120_000 }, async (t) => {
  if (!serviceReady(t, torchUnavailable)) return;
  const { hostileResult } = await attacked("opens the gate's memory");
  assert.equal(hostileResult.verdict.accepted, true, hostileResult.verdict.summary);
});

test('a process a candidate leaves behind is ended before the next candidate runs', { timeout: 120_000 }, async (t) => {
  if (!serviceReady(t, torchUnavailable)) return;
  const { hostileResult } = await attacked('leaves a process behind that keeps planting');
  assert.match(runsReason(hostileResult), /it changed files of another candidate's build \(candidate_1\.py's: added kp_scale\)/);
});

test("the task's Model writing a candidate's build folder fails the task: no candidate is judged", { timeout: 120_000 }, async (t) => {
  if (!serviceReady(t, torchUnavailable)) return;
  const task = reluTask('tampering_task.py', [
    `root = ${JSON.stringify(buildRoot)}`,
    'for n in os.listdir(root):',
    '    with open(os.path.join(root, n, "kp_scale"), "w") as f:',
    '        f.write("3.0")',
  ]);
  const { result } = await gate(task, [['honest_task_tamper.py', honest('task_tamper')]]);
  assert.match(result.error ?? '', /^build-tamper: the task's Model changed files of a candidate's build \(candidate_0\.py's: added kp_scale\)$/);
  assert.deepEqual(result.candidates, []);
});

test("each candidate's Triton cache starts with what the reference's left there (its compiled kernels), as a copy", { timeout: 120_000 }, async (t) => {
  if (!serviceReady(t, torchUnavailable)) return;
  // Model (built in the reference's process and again in every candidate's) marks its Triton cache when it finds it unmarked.
  const task = reluTask('marking_task.py', [
    'mark = os.path.join(os.environ["TRITON_CACHE_DIR"], "kernel.cubin")',
    'if not os.path.exists(mark):',
    '    open(mark, "w").write(str(os.getpid()))',
  ]);
  const reporting = (n: number) => [
    `# reporter ${n}`, 'import os', 'import torch', 'import torch.nn as nn', '', '',
    'class ModelNew(nn.Module):',
    '    def kp_report(self):',
    '        with open(os.path.join(os.environ["TRITON_CACHE_DIR"], "kernel.cubin")) as f:',
    '            seeded = f.read() != str(os.getpid())',
    '        with open(os.path.join(os.environ["TRITON_CACHE_DIR"], "kernel.cubin"), "w") as f:',
    '            f.write("overwritten by a candidate")',
    '        return {"seeded": seeded}', '',
    '    def forward(self, x):',
    '        return torch.relu(x)', '',
  ].join('\n');
  const { run } = await gate(task, [['reporter_0.py', reporting(0)], ['reporter_1.py', reporting(1)]]);
  assert.deepEqual(run.candidates.map((c) => (c.report as Record<string, string> | undefined)?.['seeded']), ['True', 'True']);
});
