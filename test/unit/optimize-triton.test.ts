// optimize on a Triton kernel: the built-in search varies the launch's meta-parameters (BLOCK constexprs, with the
// grid following; num_warps; num_stages), leaves an autotuned kernel's to its autotuner, and the CLI runs the loop
// with every candidate through the Triton gate (on CPU torch through the stand-in interpreter: timed by the host
// clock, so nothing may come out faster), the gate's verdicts re-derived from their records.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inferSpec } from '../../server/src/benchspec/infer';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { discover } from '../../server/src/kernels/discover';
import type { OptimizeProblem, ProposalRequest } from '../../server/src/optimize/proposer';
import { candidateKey } from '../../server/src/optimize/record';
import { SearchProposer } from '../../server/src/optimize/search';
import { TRITON_SEARCH_STRATEGIES, type StrategyId } from '../../server/src/optimize/strategies';
import { REPO } from './harness-helpers';
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
});
