// optimize on a Triton kernel: the built-in search varies the launch's meta-parameters (BLOCK constexprs, with the
// grid following; num_warps; num_stages), leaves an autotuned kernel's to its autotuner, and the CLI runs the loop
// with every candidate through the Triton gate (on CPU torch through the stand-in interpreter: timed by the host
// clock, so nothing may come out faster), the gate's verdicts re-derived from their records.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inferSpec } from '../../server/src/benchspec/infer';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { discover } from '../../server/src/kernels/discover';
import type { OptimizeProblem, ProposalRequest } from '../../server/src/optimize/proposer';
import { candidateKey } from '../../server/src/optimize/record';
import { SearchProposer } from '../../server/src/optimize/search';
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

async function descriptions(problem: OptimizeProblem, strategy: StrategyId): Promise<string[]> {
  const search = new SearchProposer('triton');
  const seen = new Set<string>();
  const out: string[] = [];
  for (;;) {
    const request: ProposalRequest = { id: 'x', problem, parent: { id: 'baseline', candidate: { source: problem.source }, speedup: 1 }, strategy, tried: [], seen };
    const proposal = await search.propose(request);
    if (proposal.kind !== 'candidate') {
      out.push(`exhausted: ${proposal.kind === 'exhausted' ? proposal.reason : proposal.problem}`);
      return out;
    }
    assert.equal(proposal.candidate.source, problem.source, 'the kernel\'s source is not changed');
    seen.add(candidateKey(proposal.candidate));
    out.push(proposal.description ?? '');
  }
}

test('the Triton search: its own strategies, launch variants only, none on an autotuned kernel', { timeout: 30_000 }, async () => {
  assert.deepEqual(new SearchProposer('triton').strategies, TRITON_SEARCH_STRATEGIES);
  assert.notDeepEqual(new SearchProposer().strategies, TRITON_SEARCH_STRATEGIES);
  const add = await problemOf('vector_add');
  assert.deepEqual(await descriptions(add, 'triton-block'), ['BLOCK_SIZE=256 instead of 128', 'BLOCK_SIZE=64 instead of 128', 'BLOCK_SIZE=512 instead of 128', 'BLOCK_SIZE=32 instead of 128', 'exhausted: every triton-block variant of baseline was tried']);
  assert.deepEqual((await descriptions(add, 'triton-warps')).slice(0, 2), ['num_warps=8 instead of 4', 'num_warps=2 instead of 4']);
  assert.deepEqual((await descriptions(add, 'triton-stages'))[0], 'num_stages=4 instead of 3');
  const matmul = await problemOf('matmul');
  assert.deepEqual(await descriptions(matmul, 'triton-warps'), ['exhausted: no triton-warps variant applies to baseline (its @triton.autotune picks these at run time)']);
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
  const { report, workspace } = await optimizeWithAnswer('matmul', { M: 32, N: 32, K: 64 }, `Bigger tiles.\n\n\`\`\`python\n${bigTiles}\n\`\`\``);
  assert.ok(report.attempts[0]?.accepted, JSON.stringify(report.attempts));
  const runs = join(workspace, '.kernelpilot/runs');
  const records = await Promise.all(readdirSync(runs).filter((id) => existsSync(join(runs, id, TRITON_RECORD_FILE))).map((id) => readTritonRecord(join(runs, id))));
  const bench = records.find((r) => r.kind === 'triton-bench');
  const attempt = records.find((r) => r.kind === 'triton-compare');
  // The stand-in's autotuner picks the last of the baseline's three configs.
  const pick = 'BLOCK_M: 32, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, num_warps: 4, num_stages: 2';
  assert.deepEqual(bench?.run.reference.report, { kind: 'report', autotune: pick, autotuneIndex: '2' });
  assert.equal(attempt?.run.reference.report?.autotune, pick);
  assert.match(attempt?.run.reference.report?.pinned ?? '', /pick of this run/, 'the attempt\'s reference child did not autotune again');
  assert.equal(attempt?.run.candidates[0]?.referenceReport?.autotune, pick);
});
