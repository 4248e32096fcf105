// The built-in search: real source variants (launch, flags, __restrict__/const, __launch_bounds__, unroll) of
// the parent, each verified by the (stand-in) gate; it finds a gain only where the gate grants one, and says
// when it found nothing faster.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discover } from '../../server/src/kernels/discover';
import { runLoop } from '../../server/src/optimize/loop';
import type { Proposal, ProposalRequest } from '../../server/src/optimize/proposer';
import { candidateKey } from '../../server/src/optimize/record';
import { linearLaunch, SearchProposer } from '../../server/src/optimize/search';
import type { SearchStrategy } from '../../server/src/optimize/strategies';
import { EXAMPLES } from './harness-helpers';
import { accepted, FakeEvaluator, MemorySink, vectorAddProblem } from './optimize-helpers';

const T = { timeout: 60_000 };

async function variants(strategy: SearchStrategy, problem: Awaited<ReturnType<typeof vectorAddProblem>>): Promise<Array<Extract<Proposal, { kind: 'candidate' }>>> {
  const search = new SearchProposer();
  const seen = new Set<string>();
  const out: Array<Extract<Proposal, { kind: 'candidate' }>> = [];
  for (;;) {
    const request: ProposalRequest = { id: 'x', problem, parent: { id: 'baseline', candidate: { source: problem.source }, speedup: 1 }, strategy, tried: [], seen };
    const proposal = await search.propose(request);
    if (proposal.kind !== 'candidate') return out;
    seen.add(candidateKey(proposal.candidate));
    out.push(proposal);
  }
}

test('launch shapes the search can re-shape', T, () => {
  assert.deepEqual(linearLaunch({ grid: ['(n + 255) / 256'], block: ['256'] }), { extent: 'n', block: 256, perThread: 1 });
  assert.deepEqual(linearLaunch({ grid: ['cdiv(n, 256 * 4)'], block: ['256'] }), { extent: 'n', block: 256, perThread: 4 });
  assert.deepEqual(linearLaunch({ grid: ['(rows * cols + 128 - 1) / 128'], block: ['128'] }), { extent: 'rows*cols', block: 128, perThread: 1 });
  assert.equal(linearLaunch({ grid: ['(n + 255) / 256'], block: ['128'] }), undefined);
  assert.equal(linearLaunch({ grid: ['cdiv(m, 16)', 'cdiv(n, 16)'], block: ['16', '16'] }), undefined);
});

test('every variant of vector_add is real source that still defines the kernel, one change each', T, async () => {
  const problem = await vectorAddProblem();
  const blocks = await variants('block-size', problem);
  assert.deepEqual(blocks.map((v) => v.candidate.launch), [128, 512, 64, 1024].map((b) => ({ grid: [`cdiv(n, ${b})`], block: [`${b}`] })));
  assert.ok(blocks.every((v) => v.candidate.source === problem.source));
  assert.deepEqual(await variants('work-per-thread', problem), [], 'no grid-stride loop: more work per thread would skip elements');
  assert.deepEqual(await variants('unroll-pragmas', problem), [], 'no loop to unroll');
  const flags = await variants('compiler-flags', problem);
  assert.deepEqual(flags.map((v) => v.candidate.extraFlags), [['--use_fast_math'], ['-Xptxas=-O3'], ['--maxrregcount=32'], ['--maxrregcount=64'], ['--extra-device-vectorization'], ['-Xptxas=-dlcm=ca']]);
  const [restrict] = await variants('restrict-const', problem);
  assert.match(restrict.candidate.source, /vector_add\(const float\* __restrict__ a, const float\* __restrict__ b, float\* __restrict__ c, int n\)/);
  const bounds = await variants('launch-bounds', problem);
  assert.deepEqual(bounds.map((v) => v.description), ['__launch_bounds__(256)', '__launch_bounds__(256, 2)', '__launch_bounds__(256, 4)']);
  for (const v of [restrict, ...bounds]) {
    const { kernels } = await discover(problem.file, v.candidate.source);
    assert.equal(kernels[0]?.qualifiedName, 'vector_add');
  }

  const saxpy = join(EXAMPLES, 'saxpy/candidates/fast_float4.cu');
  const strided = { ...(await vectorAddProblem()), file: saxpy, source: readFileSync(saxpy, 'utf8') };
  strided.kernel = (await discover(saxpy, strided.source)).kernels[0];
  strided.spec = { ...strided.spec, kernel: 'saxpy' };
  assert.deepEqual((await variants('work-per-thread', strided)).map((v) => v.candidate.launch?.grid[0]), ['cdiv(n, 256 * 2)', 'cdiv(n, 256 * 4)', 'cdiv(n, 256 * 8)']);
  assert.equal((await variants('unroll-pragmas', strided))[0]?.candidate.source.match(/#pragma unroll 4\n\s+for/g)?.length, 2);
});

test('the search keeps only what the gate grants, builds on it, and runs until nothing is left', T, async () => {
  const problem = await vectorAddProblem();
  const evaluator = new FakeEvaluator([['"block":["512"]', accepted(1.12)]], accepted(1.0));
  const { attempts: _a, ...result } = await runLoop({ problem, proposers: [new SearchProposer()], evaluator, sink: new MemorySink(), options: { rounds: 20, candidatesPerRound: 4, seed: 1, maxRepairs: 1 } });
  assert.equal(result.best?.speedup, 1.12);
  assert.deepEqual(result.best?.record.candidate?.launch, { grid: ['cdiv(n, 512)'], block: ['512'] });
  assert.equal(result.stop.reason, 'exhausted');
  const keys = evaluator.calls.map((c) => candidateKey(c));
  assert.equal(new Set(keys).size, keys.length, 'no variant evaluated twice');

  const nothing = await runLoop({ problem, proposers: [new SearchProposer()], evaluator: new FakeEvaluator([], accepted(1.0)), sink: new MemorySink(), options: { rounds: 20, candidatesPerRound: 4, seed: 1, maxRepairs: 0 } });
  assert.equal(nothing.best, undefined);
  assert.equal(nothing.stop.reason, 'exhausted');
  assert.match(nothing.message, /^nothing faster found: 14 candidates verified, 14 correct but none significantly faster than the baseline, 0 rejected$/);
});
