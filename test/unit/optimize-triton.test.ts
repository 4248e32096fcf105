// optimize on a Triton kernel: the built-in search varies the launch's meta-parameters (BLOCK constexprs, with the
// grid following; num_warps; num_stages), leaves an autotuned kernel's to its autotuner, and the CLI runs the loop
// with every candidate through the Triton gate (on CPU torch through the stand-in interpreter: timed by the host
// clock, so nothing may come out faster), the gate's verdicts re-derived from their records.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inferSpec } from '../../server/src/benchspec/infer';
import type { BenchSpec, TritonConfig } from '../../server/src/benchspec/model';
import { discover } from '../../server/src/kernels/discover';
import type { OptimizeProblem, Tried } from '../../server/src/optimize/proposer';
import { candidateKey } from '../../server/src/optimize/record';
import { SearchProposer } from '../../server/src/optimize/search';
import { autotuneConfigVariants } from '../../server/src/optimize/triton-configs';
import { TRITON_SEARCH_STRATEGIES, type StrategyId } from '../../server/src/optimize/strategies';
import { parseTritonAnswer } from '../../server/src/llm/answer';
import { assembleTritonCandidate } from '../../server/src/optimize/assemble-triton';
import { readTritonRecord, TRITON_RECORD_FILE } from '../../server/src/runs/triton-record';
import { REPO, runCliAsync } from './harness-helpers';
import { ScriptedEndpoint } from './llm-endpoint';
import { serviceReady } from './service-tests';
import { standInPython, torchMissing } from './triton-stand-in';

const EXAMPLES = join(REPO, 'examples/triton');

async function problemOf(name: string): Promise<OptimizeProblem> {
  const file = join(EXAMPLES, name, `${name}.py`);
  const source = readFileSync(file, 'utf8');
  const { kernels } = await discover(file, source);
  const spec = inferSpec(kernels[0], { fileText: source, file: `${name}.py` }).spec;
  return { file, source, kernel: kernels[0], spec, baseline: { timeMs: 1, gpu: { name: 'test' } } };
}

/** Every proposal of one strategy from the baseline, in order, then why it stopped (`exhausted: …`, no source). */
async function proposals(problem: OptimizeProblem, strategy: StrategyId, autotunePick?: TritonConfig, tried: Tried[] = []): Promise<Array<{ description: string; source?: string }>> {
  const search = new SearchProposer('triton');
  const seen = new Set<string>();
  const out: Array<{ description: string; source?: string }> = [];
  for (;;) {
    const parent = { id: 'baseline', candidate: { source: problem.source }, speedup: 1, ...(autotunePick ? { autotunePick } : {}) };
    const proposal = await search.propose({ id: 'x', problem, parent, strategy, tried, seen });
    if (proposal.kind !== 'candidate') {
      out.push({ description: `exhausted: ${proposal.kind === 'exhausted' ? proposal.reason : proposal.problem}` });
      return out;
    }
    seen.add(candidateKey(proposal.candidate));
    out.push({ description: proposal.description ?? '', source: proposal.candidate.source });
  }
}

/** The descriptions of a launch strategy's proposals, each checked to leave the kernel's source as it is. */
async function descriptions(problem: OptimizeProblem, strategy: StrategyId): Promise<string[]> {
  const made = await proposals(problem, strategy);
  for (const p of made) if (p.source !== undefined) assert.equal(p.source, problem.source, 'the kernel\'s source is not changed');
  return made.map((p) => p.description);
}

test('the Triton search: its own strategies; launch variants on a plain kernel, none on an autotuned one\'s launch', { timeout: 30_000 }, async () => {
  assert.deepEqual(new SearchProposer('triton').strategies, TRITON_SEARCH_STRATEGIES);
  assert.notDeepEqual(new SearchProposer().strategies, TRITON_SEARCH_STRATEGIES);
  const add = await problemOf('vector_add');
  assert.deepEqual(await descriptions(add, 'triton-block'), ['BLOCK_SIZE=256 instead of 128', 'BLOCK_SIZE=64 instead of 128', 'BLOCK_SIZE=512 instead of 128', 'BLOCK_SIZE=32 instead of 128', 'exhausted: every triton-block variant of baseline was tried']);
  assert.deepEqual((await descriptions(add, 'triton-warps')).slice(0, 2), ['num_warps=8 instead of 4', 'num_warps=2 instead of 4']);
  assert.deepEqual((await descriptions(add, 'triton-stages'))[0], 'num_stages=4 instead of 3');
  const matmul = await problemOf('matmul');
  assert.deepEqual(await descriptions(matmul, 'triton-warps'), ['exhausted: no triton-warps variant applies to baseline (its @triton.autotune picks these at run time)']);
  assert.deepEqual(await descriptions(add, 'triton-configs'), ['exhausted: no triton-configs variant applies to baseline (it has no @triton.autotune)']);
});

/** Python's own parser on a candidate file (Debian's python3 is there wherever the tests run). */
function parsesAsPython(source: string): void {
  const r = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: source, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stderr}\n${source}`);
}

test('the Triton search on an autotuned kernel: one config added next to the autotuner\'s pick, none already listed, the file otherwise as it was', { timeout: 30_000 }, async () => {
  const matmul = await problemOf('matmul');
  const pick = { kwargs: { BLOCK_M: 64, BLOCK_N: 32, BLOCK_K: 32, GROUP_M: 8 }, numWarps: 4, numStages: 2 };
  const fromPick = await proposals(matmul, 'triton-configs', pick);
  assert.deepEqual(fromPick.slice(0, 3).map((p) => p.description), [
    "autotune config BLOCK_M=128 BLOCK_N=64 BLOCK_K=64 GROUP_M=8 w8 s2 added (every BLOCK ×2, num_warps 4→8 from the autotuner's pick)",
    "autotune config BLOCK_M=128 BLOCK_N=32 BLOCK_K=32 GROUP_M=8 w4 s2 added (BLOCK_M 64→128 from the autotuner's pick)",
    "autotune config BLOCK_M=64 BLOCK_N=64 BLOCK_K=32 GROUP_M=8 w4 s2 added (BLOCK_N 32→64 from the autotuner's pick)",
  ]);
  assert.equal(fromPick.at(-1)?.description, 'exhausted: every triton-configs variant of baseline was tried');
  const first = fromPick[0].source ?? '';
  const before = matmul.source.split('\n');
  const after = first.split('\n');
  assert.deepEqual(after.filter((_, i) => i !== 12), before, 'one line added, before the list\'s closing bracket');
  assert.equal(after[12], '        triton.Config({"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 64, "GROUP_M": 8}, num_warps=8, num_stages=2),');
  parsesAsPython(first);
  const rediscovered = (await discover(matmul.file, first)).kernels[0];
  assert.equal(rediscovered.autotuneConfigs?.length, 4);
  // A config an earlier candidate of the run added (a sibling that did not win) is not added again under another parent.
  const sibling: Tried = { id: 'r01-c01-a0', strategy: 'triton-configs', parent: 'baseline', result: 'accepted: 1.00×', source: first };
  const afterSibling = await proposals(matmul, 'triton-configs', pick, [sibling]);
  assert.deepEqual(afterSibling.map((p) => p.description), fromPick.slice(1).map((p) => p.description));
  // Without a pick (no report), each listed config's neighbours; a neighbour that is listed already is not made again.
  const fromListed = await proposals(matmul, 'triton-configs');
  assert.equal(fromListed[0].description, 'autotune config BLOCK_M=64 BLOCK_N=64 BLOCK_K=64 GROUP_M=8 w8 s2 added (every BLOCK ×2, num_warps 4→8 from config 1 as listed)');
  assert.ok(!fromListed.some((p) => /BLOCK_M=64 BLOCK_N=32 BLOCK_K=32 GROUP_M=8 w4 s2 /.test(p.description)), 'config 2 is listed already');
});

test('configs added however the file writes its list: one line, a name, a sum, a trailing comment, an empty list', { timeout: 30_000 }, async () => {
  const kernelFile = (configs: string, before = '') => `import triton\nimport triton.language as tl\n${before}\n@triton.autotune(configs=${configs}, key=["n"])\n@triton.jit\ndef k(x_ptr, n, BLOCK: tl.constexpr):\n    pass\n`;
  const pick = { kwargs: { BLOCK: 32 }, numWarps: 4, numStages: 3 };
  const cases: Array<[string, string, string]> = [
    [kernelFile("[triton.Config({'BLOCK': 32}, num_warps=4)]"), "[triton.Config({'BLOCK': 32}, num_warps=4), triton.Config({'BLOCK': 64}, num_warps=4, num_stages=3)]", 'one line, its quotes kept'],
    [kernelFile('CONFIGS', 'CONFIGS = [triton.Config({"BLOCK": 32})]\n'), '[*CONFIGS, triton.Config({"BLOCK": 64}, num_warps=4, num_stages=3)]', 'a module-level name'],
    [kernelFile('BASE + [triton.Config({"BLOCK": 16})]', 'BASE = [triton.Config({"BLOCK": 32})]\n'), '[*(BASE + [triton.Config({"BLOCK": 16})]), triton.Config({"BLOCK": 64}, num_warps=4, num_stages=3)]', 'a sum'],
    [kernelFile('[\n    triton.Config({"BLOCK": 32})\n    # triton.Config({"BLOCK": 8}),\n]'), '[\n    triton.Config({"BLOCK": 32}),\n    triton.Config({"BLOCK": 64}, num_warps=4, num_stages=3)\n    # triton.Config({"BLOCK": 8}),\n]', 'no trailing comma, a comment last'],
    [kernelFile('[]'), '[triton.Config({"BLOCK": 64}, num_warps=4, num_stages=3)]', 'an empty list'],
  ];
  for (const [source, configs, what] of cases) {
    const { kernels } = await discover('k.py', source);
    const made = autotuneConfigVariants(source, kernels[0], pick);
    assert.equal(made[0]?.description, "autotune config BLOCK=64 w4 s3 added (BLOCK 32→64 from the autotuner's pick)", what);
    assert.ok(made[0].source.includes(`@triton.autotune(configs=${configs}, key=["n"])`), `${what}:\n${made[0].source}`);
    parsesAsPython(made[0].source);
    const count = (kernels[0].autotuneConfigs ?? []).length;
    assert.equal((await discover('k.py', made[0].source)).kernels[0].autotuneConfigs?.length, count + 1, what);
  }
});

test('optimize a Triton kernel from the CLI: the loop through the Triton gate, verdicts re-derived, nothing faster on an interpreter', { timeout: 200_000 }, (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const { python, dir } = standInPython();
  const spec = JSON.parse(readFileSync(join(EXAMPLES, 'vector_add/vector_add.spec.json'), 'utf8')) as BenchSpec;
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...spec, sizes: { n_elements: 2000 } }));
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'optimize', 'vector_add.py', '--spec', join(dir, 'spec.json'), '--python', python, '--device', 'cpu', '--workspace', dir, '--no-model', ...args], { cwd: join(EXAMPLES, 'vector_add'), encoding: 'utf8', timeout: 180_000 });
  const untimed = cli();
  assert.equal(untimed.status, 1);
  assert.match(untimed.stderr, /add_kernel was checked but not timed \(no timed calls\): nothing to optimize against; give --pairs/);
  const r = cli('--pairs', '5', '--rounds', '1', '--candidates', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { attempts: Array<{ strategy: string; accepted: boolean; result: string; evidence: string }>; gateRecords: { rederived: number }; mismatches: unknown[] };
  assert.equal(report.attempts.length, 3);
  for (const a of report.attempts) {
    assert.ok((TRITON_SEARCH_STRATEGIES as readonly string[]).includes(a.strategy), a.strategy);
    assert.ok(a.accepted, a.result);
    assert.doesNotMatch(a.result, /faster/, 'an interpreter timed by the host clock proves no speedup');
    assert.match(a.evidence, /\.kernelpilot\/runs\/[^/]+-add_kernel-[0-9a-f]+$/);
  }
  assert.deepEqual({ rederived: report.gateRecords.rederived, mismatches: report.mismatches }, { rederived: 3, mismatches: [] });
  assert.match(r.stderr, /run \S+: built-in search/);
  // The round's proposals came together: one gate process (torch imported, the reference run once), a record each.
  assert.match(r.stderr, /run: the Python gate on target 'local' \(3 candidate\(s\)\)/);
  assert.equal(new Set(report.attempts.map((a) => a.evidence)).size, 3);
});

const onePass = readFileSync(join(EXAMPLES, 'softmax/candidates/fast_one_pass.py'), 'utf8');
const onePassKernel = onePass.slice(onePass.indexOf('@triton.jit'), onePass.indexOf('\n\n\ndef softmax'));

test('a Triton answer: the python block defining the kernel, a JSON block over the parent\'s launch; merged into the file or taken whole', { timeout: 30_000 }, async () => {
  const problem = await problemOf('softmax');
  const answer = `One pass over the row.\n\n\`\`\`python\n${onePassKernel}\n\`\`\`\n\n\`\`\`json\n{"constexprs": {"BLOCK_SIZE": 512}, "numWarps": 8}\n\`\`\``;
  const parsed = parseTritonAnswer(answer, 'softmax_kernel', problem.spec.launch);
  assert.equal(parsed.problem, undefined);
  assert.deepEqual(parsed.launch, { grid: ['n_rows'], block: ['256'], constexprs: { BLOCK_SIZE: 512 }, numWarps: 8 });
  assert.match(parseTritonAnswer('```python\ndef other(x):\n    pass\n```', 'softmax_kernel', problem.spec.launch).problem ?? '', /no ```python code block defining the kernel softmax_kernel/);
  assert.match(parseTritonAnswer(`\`\`\`python\n${onePassKernel}\n\`\`\`\n\`\`\`json\n{"block": ["1024"]}\n\`\`\``, 'softmax_kernel', problem.spec.launch).problem ?? '', /may set only grid, constexprs, numWarps, numStages, not block/);

  const merged = await assembleTritonCandidate(problem.source, problem.file, problem.kernel, onePassKernel);
  assert.ok(merged.ok);
  if (merged.ok) {
    assert.ok(merged.source.includes('numerator / tl.sum(numerator, axis=0)'), 'the new kernel is in');
    assert.ok(merged.source.includes('softmax_kernel[(n_rows,)](y, x, x.stride(0), y.stride(0), n_cols, BLOCK_SIZE=128)'), 'the user\'s launching function stays');
    assert.ok(!merged.source.includes('row_max = -float("inf")'), 'the old kernel is gone');
  }
  assert.ok((await assembleTritonCandidate(problem.source, problem.file, problem.kernel, onePass)).ok, 'a whole file');
  const renamed = await assembleTritonCandidate(problem.source, problem.file, problem.kernel, onePassKernel.replace('n_cols, BLOCK_SIZE', 'cols, BLOCK_SIZE'));
  assert.ok(!renamed.ok && /parameters changed .* keep their names/.test(renamed.problem), JSON.stringify(renamed));
});

interface ScriptedOptimize {
  report: { attempts: Array<{ strategy: string; accepted: boolean; result: string; proposer: string }> };
  requests: ScriptedEndpoint['requests'];
  workspace: string;
}

/** One round of one model attempt on an example, on CPU, the model answering `answer`. */
async function optimizeWithAnswer(name: string, sizes: Record<string, number>, answer: string): Promise<ScriptedOptimize> {
  const { python, dir } = standInPython();
  const spec = JSON.parse(readFileSync(join(EXAMPLES, name, `${name}.spec.json`), 'utf8')) as BenchSpec;
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...spec, sizes }));
  const endpoint = new ScriptedEndpoint(() => ({ content: answer }));
  const baseUrl = await endpoint.start();
  try {
    const { status, stdout, stderr } = await runCliAsync(['optimize', `${name}.py`, '--spec', join(dir, 'spec.json'), '--python', python, '--device', 'cpu', '--pairs', '5', '--workspace', dir, '--rounds', '1', '--candidates', '1', '--no-search', '--base-url', baseUrl, '--model', 'scripted', '--json'], { cwd: join(EXAMPLES, name), env: { ...process.env, KERNELPILOT_API_KEY: 'sk-test' } });
    assert.equal(status, 0, stderr);
    return { report: JSON.parse(stdout) as ScriptedOptimize['report'], requests: endpoint.requests, workspace: dir };
  } finally {
    await endpoint.close();
  }
}

test('the model on a Triton kernel: a Triton prompt, its answer gated through the Triton gate and accepted', { timeout: 200_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const { report, requests } = await optimizeWithAnswer('softmax', { n_rows: 4, n_cols: 300 }, `Read the row once.\n\n\`\`\`python\n${onePassKernel}\n\`\`\`\n\n\`\`\`json\n{"constexprs": {"BLOCK_SIZE": 512}}\n\`\`\``);
  {
    assert.equal(report.attempts.length, 1);
    assert.equal(report.attempts[0].proposer, 'llm');
    assert.ok(report.attempts[0].accepted, report.attempts[0].result);
    assert.match(report.attempts[0].strategy, /^triton-/);
    const prompt = requests[0].body.messages;
    assert.match(prompt[0].content, /expert Triton performance engineer/);
    assert.match(prompt[1].content, /```python\n@triton\.jit\ndef softmax_kernel/);
    assert.match(prompt[1].content, /Launch: grid \(n_rows\), BLOCK_SIZE=128/);
  }
});

test('optimize on an autotuned kernel: the baseline autotunes once, every attempt times it with that pick', { timeout: 200_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const bigTiles = readFileSync(join(EXAMPLES, 'matmul/candidates/fast_big_tiles.py'), 'utf8');
  const { report, workspace, requests } = await optimizeWithAnswer('matmul', { M: 32, N: 32, K: 64 }, `Bigger tiles.\n\n\`\`\`python\n${bigTiles}\n\`\`\``);
  assert.ok(report.attempts[0]?.accepted, JSON.stringify(report.attempts));
  assert.match(requests[0].body.messages[1].content, /autotuned \(`@triton\.autotune`\): 3 configs keyed on M, N, K; for the baseline it picked BLOCK_M=32 BLOCK_N=64 BLOCK_K=32 GROUP_M=8 w4 s2;/);
  const runs = join(workspace, '.kernelpilot/runs');
  const records = await Promise.all(readdirSync(runs).filter((id) => existsSync(join(runs, id, TRITON_RECORD_FILE))).map((id) => readTritonRecord(join(runs, id))));
  const bench = records.find((r) => r.kind === 'triton-bench');
  const attempt = records.find((r) => r.kind === 'triton-compare');
  // The stand-in's autotuner picks the last of the baseline's three configs.
  const pick = 'BLOCK_M: 32, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, num_warps: 4, num_stages: 2';
  assert.deepEqual(bench?.run.reference.report, { kind: 'report', autotune: pick, autotuneConfig: '{"kwargs": {"BLOCK_M": 32, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8}, "num_warps": 4, "num_stages": 2}', autotuneIndex: '2' });
  assert.equal(attempt?.run.reference.report?.autotune, pick);
  assert.match(attempt?.run.reference.report?.pinned ?? '', /pick of this run/, 'the attempt\'s reference child did not autotune again');
  assert.equal(attempt?.run.candidates[0]?.referenceReport?.autotune, pick);
});

test('the search on an autotuned kernel from the CLI: configs next to the baseline\'s pick, each candidate autotuning over the longer list, verdicts re-derived', { timeout: 200_000 }, async (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const { python, dir } = standInPython();
  const spec = JSON.parse(readFileSync(join(EXAMPLES, 'matmul/matmul.spec.json'), 'utf8')) as BenchSpec;
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...spec, sizes: { M: 32, N: 32, K: 64 } }));
  const r = await runCliAsync(['optimize', 'matmul.py', '--spec', join(dir, 'spec.json'), '--python', python, '--device', 'cpu', '--pairs', '5', '--workspace', dir, '--no-model', '--rounds', '1', '--candidates', '2', '--json'], { cwd: join(EXAMPLES, 'matmul') });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { attempts: Array<{ strategy: string; accepted: boolean; result: string; description?: string; evidence: string }>; gateRecords: { rederived: number }; mismatches: unknown[] };
  // The stand-in's autotuner picked the baseline's last config (32, 64, 32, 4 warps, 2 stages): the search steps from it.
  assert.deepEqual(report.attempts.map((a) => [a.strategy, a.description]).sort(), [
    ['triton-configs', "autotune config BLOCK_M=64 BLOCK_N=128 BLOCK_K=64 GROUP_M=8 w8 s2 added (every BLOCK ×2, num_warps 4→8 from the autotuner's pick)"],
    ['triton-configs', "autotune config BLOCK_M=64 BLOCK_N=64 BLOCK_K=32 GROUP_M=8 w4 s2 added (BLOCK_M 32→64 from the autotuner's pick)"],
  ].sort());
  const tiles = report.attempts.find((a) => a.description?.includes('every BLOCK'));
  for (const a of report.attempts) assert.ok(a.accepted, a.result);
  assert.deepEqual({ rederived: report.gateRecords.rederived, mismatches: report.mismatches }, { rederived: 2, mismatches: [] });
  // Each candidate's autotuner picked over the longer list (the stand-in takes the last config: the one added).
  const record = await readTritonRecord(tiles?.evidence ?? '');
  assert.equal(record.run.candidates[0]?.report?.autotune, 'BLOCK_M: 64, BLOCK_N: 128, BLOCK_K: 64, GROUP_M: 8, num_warps: 8, num_stages: 2');
});

test('optimize --dry-run on Triton kernels: each search strategy\'s first candidate checked against the spec, no python started, nothing recorded; a KernelBench task is told what to run instead', { timeout: 60_000 }, async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'kp-dry-triton-'));
  // A python that fails if started: the dry run must not need one.
  const python = join(workspace, 'no-python');
  writeFileSync(python, '#!/bin/sh\necho started >&2\nexit 7\n', { mode: 0o755 });
  const dry = (dir: string, file: string) => runCliAsync(['optimize', file, '--dry-run', '--python', python, '--workspace', workspace], { cwd: dir });
  const matmul = await dry(join(EXAMPLES, 'matmul'), 'matmul.py');
  assert.equal(matmul.status, 0, matmul.stderr);
  assert.match(matmul.stdout, /autotuned over 3 config\(s\)/);
  assert.match(matmul.stdout, /Triton num_warps: nothing to propose \(.*its @triton\.autotune picks these at run time\)/);
  assert.match(matmul.stdout, /Triton autotune configs: autotune config BLOCK_M=64 BLOCK_N=64 BLOCK_K=64 GROUP_M=8 w8 s2 added \(every BLOCK ×2, num_warps 4→8 from config 1 as listed\) — launch checked, ModelNew generated/);
  const add = await dry(join(EXAMPLES, 'vector_add'), 'vector_add.py');
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /Triton BLOCK constexprs: BLOCK_SIZE=256 instead of 128 — launch checked, ModelNew generated/);
  assert.match(add.stdout, /Triton autotune configs: nothing to propose \(.*it has no @triton\.autotune\)/);
  assert.doesNotMatch(add.stderr + matmul.stderr, /started/);
  assert.ok(!existsSync(join(workspace, '.kernelpilot', 'runs')), 'no run recorded');
  const task = await dry(join(REPO, 'test/fixtures/kernelbench/level1'), '19_ReLU.py');
  assert.equal(task.status, 1);
  assert.match(task.stderr, /is a KernelBench task: its optimize has no built-in search .* --device cpu` runs the loop on CPU torch/);
});
