// bench/scripted-endpoint.mjs, the model of the GPU run (bench/gpu-optimize.sh), as the optimizer meets it: started
// as its own process for every example, asked through the real `openai` client and LlmProposer, in order. Each
// answer must come back as a candidate the gate would build (kernel code, by the candidate check) — the example's
// fast candidate first, with its own launch where it has one, then every cheat, the compile failure, the slower one —
// and a repair of the compile failure must bring the repaired answer; after the list, an answer without code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { checkCandidate } from '../../server/src/candidates/check';
import { discover } from '../../server/src/kernels/discover';
import { ChatClient } from '../../server/src/llm/client';
import { LlmProposer } from '../../server/src/llm/proposer';
import type { OptimizeProblem, Proposal, ProposalRequest } from '../../server/src/optimize/proposer';
import { sleep } from '../lsp/client';
import { EXAMPLES, REPO, tempDir } from './harness-helpers';
import { FAKE_BASELINE } from './optimize-helpers';

const ENDPOINT = join(REPO, 'bench', 'scripted-endpoint.mjs');
const running = new Set<ReturnType<typeof spawn>>();
after(() => running.forEach((p) => p.kill()));

async function startEndpoint(example: string): Promise<{ url: string; log: string }> {
  const dir = tempDir('scripted-endpoint');
  const urlFile = join(dir, 'url');
  const log = join(dir, 'served.jsonl');
  const child = spawn(process.execPath, [ENDPOINT, '--example', example, '--url-file', urlFile, '--log', log], { stdio: 'ignore' });
  running.add(child);
  for (let i = 0; i < 100 && !existsSync(urlFile); i++) await sleep(50);
  return { url: readFileSync(urlFile, 'utf8').trim(), log };
}

async function problemOf(example: string): Promise<OptimizeProblem> {
  const name = example.split('/').pop() as string;
  const file = join(example, `${name}.cu`);
  const source = readFileSync(file, 'utf8');
  const spec = JSON.parse(readFileSync(join(example, `${name}.spec.json`), 'utf8')) as BenchSpec;
  const kernel = (await discover(file, source)).kernels.find((k) => k.qualifiedName === spec.kernel) ?? assert.fail(`${file}: no ${spec.kernel}`);
  return { file, source, kernel, spec, baseline: FAKE_BASELINE };
}

const nameOf = (p: Proposal) => /Scripted answer (\S+):/.exec(p.kind === 'exhausted' ? '' : (p.exchange?.response ?? ''))?.[1];

for (const name of readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, `${d}.spec.json`))).sort()) {
  test(`${name}: the scripted answers in order, each kernel code the gate would build; the compile failure's repair`, { timeout: 120_000 }, async () => {
    const example = join(EXAMPLES, name);
    const { url, log } = await startEndpoint(example);
    const problem = await problemOf(example);
    const proposer = new LlmProposer(new ChatClient({ baseUrl: url, model: 'scripted', timeoutMs: 20_000, parallel: 1, maxRetries: 0, backoffMs: 10, maxRetryWaitMs: 10 }, 'any-key'));
    const request = (id: string): ProposalRequest => ({ id, problem, parent: { id: 'baseline', candidate: { source: problem.source }, speedup: 1 }, strategy: 'memory-coalescing', tried: [], seen: new Set() });
    const candidates = readdirSync(join(example, 'candidates')).filter((f) => f.endsWith('.cu')).map((f) => f.replace(/\.cu$/, ''));
    const expected = [...candidates.filter((c) => c.startsWith('fast_')).sort(), ...candidates.filter((c) => !c.startsWith('fast_')).sort(), 'broken', 'slower'];

    const served: Array<{ name?: string; proposal: Proposal; kernelCode: boolean; problems: string }> = [];
    for (const [i] of expected.entries()) {
      const proposal = await proposer.propose(request(`r01-c${i}`), new AbortController().signal);
      const check = proposal.kind === 'candidate' ? await checkCandidate(proposal.candidate.source, { file: join(tempDir('cand'), 'candidate.cu'), baseline: { file: problem.file, text: problem.source, kernel: problem.kernel }, templateArgs: problem.spec.templateArgs }) : undefined;
      served.push({ name: nameOf(proposal), proposal, kernelCode: check?.ok ?? false, problems: JSON.stringify(check?.problems ?? (proposal.kind === 'unusable' ? proposal.problem : proposal.kind)) });
    }
    assert.deepEqual(served.map((s) => s.name), expected, 'served in order');
    for (const s of served) {
      assert.equal(s.proposal.kind, 'candidate', `${s.name}: ${s.problems}`);
      // Cheats that work from the host (a launch interceptor, a launch counter, streams of their own) are refused
      // before compiling, as the gate refuses them; everything else is kernel code.
      assert.ok(s.kernelCode || (!/^(fast_|broken|slower)/.test(s.name ?? '') && /host/.test(s.problems)), `${s.name}: ${s.problems}`);
    }
    const fast = served[0].proposal;
    const launchFile = join(example, 'candidates', `${expected[0]}.launch.json`);
    assert.deepEqual(fast.kind === 'candidate' && fast.candidate.launch, existsSync(launchFile) ? JSON.parse(readFileSync(launchFile, 'utf8')) : undefined, 'the fast candidate brings its own launch where it has one');
    const slower = served.at(-1)?.proposal;
    assert.match(slower?.kind === 'candidate' ? slower.candidate.source : '', /__nanosleep\(1000\);/);

    const broken = served.at(-2)?.proposal as Proposal;
    assert.match(broken.kind === 'candidate' ? broken.candidate.source : '', /undeclared_scripted_helper\(\);/);
    const repaired = await proposer.repair(request('r01-cx-a1'), [{ proposal: broken, feedback: 'It did not compile' }], new AbortController().signal);
    assert.equal(nameOf(repaired), 'repaired');
    assert.ok(repaired.kind === 'candidate' && !repaired.candidate.source.includes('undeclared_scripted_helper'));
    const again = await proposer.repair(request('r01-c1-a1'), [{ proposal: served[1].proposal, feedback: 'probes failed' }], new AbortController().signal);
    assert.equal(nameOf(again), expected[1], 'a cheat asked to repair insists');
    const exhausted = await proposer.propose(request('r02-c01'), new AbortController().signal);
    assert.match(exhausted.kind === 'unusable' ? exhausted.problem : '', /no ```cuda code block/);
    const kinds = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { kind: string; served: string }));
    assert.deepEqual(kinds.slice(-3), [{ ...kinds.at(-3), kind: 'repair', served: 'repaired' }, { ...kinds.at(-2), kind: 'repair', served: expected[1] }, { ...kinds.at(-1), kind: 'first', served: 'none' }]);
  });
}
