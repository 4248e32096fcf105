// The Triton path of `bench`/`compare` without a GPU. The generated launcher's text (names stay string literals,
// spec expressions keep C's integer semantics), the one clear message when the target has no GPU or no triton, and
// the whole protocol for real on Debian's CPU torch: triton cannot be installed here (no pip, no network), so a
// stand-in for Triton's interpreter (test/fixtures/triton/fake_triton: a @triton.jit function run once per program
// on CPU tensors) runs the examples' kernels and candidates through the real Python gate, where every cheat must be
// rejected by its probe and the run record must re-derive.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { evaluate } from '../../server/src/benchspec/expr';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { pythonExpr, tritonTaskSource } from '../../server/src/harness/python/triton-launcher';
import type { ReportEvent } from '../../server/src/harness/python/protocol';
import { autotunePickOf } from '../../server/src/bench/triton';
import { rederiveTriton, readTritonRecord } from '../../server/src/runs/triton-record';
import type { TaskResult } from '../../server/src/derive/kernelbench';
import { REPO } from './harness-helpers';
import { serviceReady } from './service-tests';
import { debianPython, standInPython, torchMissing } from './triton-stand-in';

const cli = join(REPO, 'dist/cli.js');
const EXAMPLES = join(REPO, 'examples/triton');

function spec(name: string, sizes: Record<string, number>): BenchSpec {
  const s = JSON.parse(readFileSync(join(EXAMPLES, name, `${name}.spec.json`), 'utf8')) as BenchSpec;
  return { ...s, sizes: { ...s.sizes, ...sizes } };
}

/** A workspace under test-results/ (made when this test runs first in a fresh clone). */
function resultsDir(): string {
  mkdirSync(join(REPO, 'test-results'), { recursive: true });
  return mkdtempSync(join(REPO, 'test-results', 'triton-'));
}

function cliRun(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the launcher: sizes in a dict, constexprs as keywords, the grid over META, names only as string literals', { timeout: 30_000 }, () => {
  const text = tritonTaskSource(spec('vector_add', {}), 'kp_user.py');
  assert.match(text, /^S = \{"n_elements": 67108864\}$/m);
  assert.match(text, /grid = lambda META: \(_cdiv\(S\["n_elements"\], META\["BLOCK_SIZE"\]\),\)/);
  assert.match(text, /kernel\[grid\]\(\*\*a, \*\*\{"BLOCK_SIZE": 128\}\)/);
  assert.match(text, /a\["output_ptr"\] = torch\.empty\(\(int\(S\["n_elements"\]\),\), dtype=torch\.float32, device=device\)/);
  const hostile = spec('vector_add', {});
  hostile.args[0].name = 'x"]; import os; os.system("id"); #';
  const evil = tritonTaskSource(hostile, 'kp_user.py');
  assert.ok(evil.includes(JSON.stringify(hostile.args[0].name)), 'the name appears only JSON-quoted');
  const parsed = spawnSync('python3', ['-c', 'import ast,sys; t=ast.parse(sys.stdin.read()); print(sum(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(t)))'], { input: evil, encoding: 'utf8' });
  assert.equal(parsed.status, 0, parsed.stderr);
  assert.equal(parsed.stdout.trim(), String((tritonTaskSource(spec('vector_add', {}), 'kp_user.py').match(/^\s*(import|from) /gm) ?? []).length), 'no import beyond the launcher\'s own');
  assert.throws(() => tritonTaskSource({ ...spec('vector_add', {}), sizes: { n_elements: Number.NaN } }, 'kp_user.py'), /not a finite number/);
});

test('spec expressions in Python keep the spec language\'s integer semantics (C truncation, cdiv, min/max)', { timeout: 30_000 }, () => {
  const cases = ['cdiv(n, 256)', '-n / 3', 'n % -4', '(n + 7) / 8 * 8 - n % 5', 'min(n, 100) << 2', 'max(n / 2, 3) >> 1', 'n * 0.5'];
  const vars = { n: 1001 };
  const program = cases.map((c) => `print(repr(${pythonExpr(c)}))`).join('\n');
  const r = spawnSync('python3', ['-c', `${readFileSync(join(REPO, 'server/src/harness/python/triton-launcher.ts'), 'utf8').match(/const HELPERS = `([\s\S]*?)`;/)?.[1]}\nS = {"n": 1001}\n${program}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map(Number), cases.map((c) => evaluate(c, vars)));
});

test('no GPU (or no triton) on the target: the job fails with one message that says why', { timeout: 200_000 }, (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const dir = join(EXAMPLES, 'vector_add');
  const noGpu = cliRun(dir, 'bench', 'vector_add.py', '--python', debianPython, '--workspace', resultsDir());
  assert.equal(noGpu.status, 1);
  assert.match(noGpu.stderr, /^kernelpilot: cannot benchmark add_kernel on target 'local': no CUDA GPU is visible to torch here \(torch\.cuda\.is_available\(\) is False\): Triton kernels run only on a GPU \(--device cpu runs it in Triton's interpreter: checks only, no timing\)$/m);
  const noTriton = cliRun(dir, 'bench', 'vector_add.py', '--python', debianPython, '--device', 'cpu', '--workspace', resultsDir());
  assert.equal(noTriton.status, 1);
  assert.match(noTriton.stderr, /^kernelpilot: cannot benchmark add_kernel on target 'local': triton cannot be imported here \(ModuleNotFoundError: No module named 'triton'\): install triton beside torch$/m);
});

function compareOnCpu(name: string, sizes: Record<string, number>, candidates: string[]): { result: TaskResult; record: string; stdout: string; status: number | null } {
  const { python, dir } = standInPython();
  const specFile = join(dir, `${name}.spec.json`);
  writeFileSync(specFile, JSON.stringify(spec(name, sizes)));
  const r = cliRun(join(EXAMPLES, name), 'compare', `${name}.py`, '--spec', specFile, '--device', 'cpu', '--python', python, '--workspace', dir, '--json', ...candidates.flatMap((c) => ['--candidate', `candidates/${c}.py`]));
  assert.ok(r.stdout.startsWith('{'), `compare --json printed JSON (exit ${r.status}): ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { result: TaskResult; record: string };
  return { ...json, stdout: r.stdout, status: r.status };
}

function verdicts(result: TaskResult): Record<string, string> {
  return Object.fromEntries(result.candidates.map((c) => [c.file.split('/').pop() ?? c.file, c.verdict.accepted ? 'accepted' : `rejected: ${c.verdict.failed.join(', ')}`]));
}

test('vector_add on CPU through the gate: the honest rewrite passes, each cheat is rejected by its probe, the record re-derives', { timeout: 200_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const run = compareOnCpu('vector_add', { n_elements: 1000 }, ['fast_block4096', 'partial_half', 'mutate_input', 'wrong_sub']);
  assert.equal(run.status, 3, 'exit 3: some candidates rejected');
  assert.deepEqual(verdicts(run.result), {
    'fast_block4096.py': 'accepted',
    'partial_half.py': 'rejected: match, written',
    'mutate_input.py': 'rejected: inputs-unchanged',
    'wrong_sub.py': 'rejected: match',
  });
  const record = await readTritonRecord(join(run.record, '..'));
  assert.deepEqual(JSON.parse(JSON.stringify(rederiveTriton(record))), run.result);
  assert.match(record.generated.candidates[0].launchOrigin, /its own launch \(fast_block4096\.py:22\)/);
  assert.match(record.generated.candidates[0].source, /"BLOCK_SIZE": 4096, "num_warps": 8/);
});

test('softmax and the autotuned matmul on CPU: rows left unwritten and a wrong normalization rejected; the autotuner\'s picks recorded', { timeout: 200_000 }, (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const softmax = compareOnCpu('softmax', { n_rows: 6, n_cols: 300 }, ['fast_one_pass', 'partial_rows', 'wrong_first_block']);
  assert.deepEqual(verdicts(softmax.result), { 'fast_one_pass.py': 'accepted', 'partial_rows.py': 'rejected: match, written', 'wrong_first_block.py': 'rejected: match' });
  const matmul = compareOnCpu('matmul', { M: 64, N: 64, K: 96 }, ['fast_big_tiles', 'wrong_half_k']);
  assert.deepEqual(verdicts(matmul.result), { 'fast_big_tiles.py': 'accepted', 'wrong_half_k.py': 'rejected: match' });
  type Report = { autotune?: string; autotuneIndex?: string; autotuneConfig?: string; pinned?: string };
  const json = JSON.parse(matmul.stdout) as { run: { reference: { report?: Report }; candidates: Array<{ report?: Report; referenceReport?: Report }> } };
  // The stand-in's autotuner picks the last config; the pick also comes as JSON, for the search to step from.
  assert.deepEqual(json.run.reference.report, {
    kind: 'report',
    autotune: 'BLOCK_M: 32, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, num_warps: 4, num_stages: 2',
    autotuneConfig: '{"kwargs": {"BLOCK_M": 32, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8}, "num_warps": 4, "num_stages": 2}',
    autotuneIndex: '2',
  });
  assert.match(json.run.candidates[0].report?.autotune ?? '', /^BLOCK_M: 128, BLOCK_N: 128, BLOCK_K: 64/);
  assert.deepEqual(autotunePickOf(json.run.candidates[0].report as ReportEvent), { kwargs: { BLOCK_M: 128, BLOCK_N: 128, BLOCK_K: 64, GROUP_M: 8 }, numWarps: 8, numStages: 4 });
  // The accepted candidate's child ran the baseline with the reference child's pick, pinned, not autotuned again.
  assert.deepEqual(json.run.candidates[0].referenceReport, { ...json.run.reference.report, pinned: 'the pick of this run\'s first autotune', side: 'reference' });
});

test('a candidate that kills the gate\'s process on import: rejected for it, the one before judged, the one after reported not run', { timeout: 200_000 }, (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const { python, dir } = standInPython();
  const specFile = join(dir, 'vector_add.spec.json');
  writeFileSync(specFile, JSON.stringify(spec('vector_add', { n_elements: 1000 })));
  const killer = join(dir, 'kills_gate.py');
  writeFileSync(killer, `import os\nimport signal\nos.kill(os.getppid(), signal.SIGKILL)\n${readFileSync(join(EXAMPLES, 'vector_add/candidates/fast_block4096.py'), 'utf8')}`);
  const r = cliRun(join(EXAMPLES, 'vector_add'), 'compare', 'vector_add.py', '--spec', specFile, '--device', 'cpu', '--python', python, '--workspace', dir, '--candidate', 'candidates/fast_block4096.py', '--candidate', killer, '--candidate', 'candidates/wrong_sub.py');
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /^fast_block4096\.py: accepted/m);
  assert.match(r.stdout, /^kills_gate\.py: rejected — runs: the candidate failed: the gate's process ended without finishing \(exit [^)]+\) on target 'local' while this candidate ran/m);
  assert.match(r.stdout, /^wrong_sub\.py: not judged — not run: the gate's process ended .* while .*kills_gate\.py ran, before this candidate's turn$/m);
});
