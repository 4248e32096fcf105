// The whole model path without a GPU: the real `openai` client against a scripted loopback endpoint, the model
// proposer (prompts, parsing, merging, repairs), the loop, a stand-in gate, and the run record on disk. Good,
// slower, cheating, non-compiling-then-repaired, prose-wrapped and malformed answers, a 429 and a 500 on the way;
// then the report re-derives the run, a resumed run continues from the record, and the key is nowhere.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChatClient } from '../../server/src/llm/client';
import { LlmProposer } from '../../server/src/llm/proposer';
import { runLoop, type LoopEvent } from '../../server/src/optimize/loop';
import { deriveReport, formatReport } from '../../server/src/optimize/report';
import type { LoopOptions } from '../../server/src/optimize/record';
import { createOptimizeRun, openOptimizeRun } from '../../server/src/runs/optimize-store';
import { sha256Text } from '../../server/src/runs/hash';
import { EXAMPLES, tempDir } from './harness-helpers';
import { ScriptedEndpoint, type ChatRequestBody, type Reply } from './llm-endpoint';
import { accepted, FakeEvaluator, rejected, vectorAddProblem } from './optimize-helpers';

const T = { timeout: 90_000 };
const KEY = `sk-kp-secret-${randomBytes(12).toString('hex')}`;
const candidate = (name: string) => readFileSync(join(EXAMPLES, 'vector_add/candidates', name), 'utf8');
const kernelOf = (text: string) => text.slice(text.indexOf('__global__'));
const fence = (code: string) => '```cuda\n' + code + '\n```';

const SLOWER = '__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  // SLOWER: every element twice\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) { c[i] = a[i]; c[i] = a[i] + b[i]; }\n}';
const BROKEN = '__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) c[i] = undefined_helper(a[i], b[i]);\n}';
const REPAIRED = '__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  // REPAIRED with __ldg\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) c[i] = __ldg(a + i) + __ldg(b + i);\n}';

/** Answers by the strategy named in the prompt; repairs by what the feedback says. */
function script(): (body: ChatRequestBody) => Reply {
  const failedOnce = new Set<string>();
  return (body) => {
    const prompt = body.messages[1]?.content ?? '';
    const strategy = /Strategy for this candidate: \*\*(.+?)\*\*/.exec(prompt)?.[1] ?? '';
    const repair = body.messages.length > 2 ? body.messages.at(-1)?.content ?? '' : undefined;
    const once = (status: number, headers: Record<string, string> = {}): Reply | undefined => {
      if (failedOnce.has(strategy)) return undefined;
      failedOnce.add(strategy);
      return { status, headers };
    };
    switch (strategy) {
      case 'memory coalescing / vectorized access':
        return { content: `Use 16-byte accesses.\n\n${fence(kernelOf(candidate('fast_float4.cu')))}\n\nLaunch with a quarter of the grid:\n\`\`\`json\n{"grid": ["cdiv(n, 1024)"], "block": ["256"]}\n\`\`\``, usage: { prompt_tokens: 1500, completion_tokens: 400 } };
      case 'shared-memory tiling':
        return { content: `Tiles are not needed; this is faster:\n${fence(kernelOf(candidate('zeros_output.cu')))}` };
      case 'occupancy / launch configuration':
        return { content: fence(SLOWER) };
      case 'warp-level primitives':
        return { content: repair?.includes('did not compile') ? `Fixed:\n${fence(REPAIRED)}` : fence(BROKEN) };
      case 'unrolling / instruction-level parallelism':
        return repair ? { content: fence(kernelOf(candidate('mutate_input.cu'))) } : { content: 'I would unroll the loop by four.' };
      case 'tensor cores':
        return once(429, { 'retry-after': '1' }) ?? { content: `Tensor cores do not apply; here is the whole file anyway:\n${fence(`${candidate('partial_half.cu')}\nint main() { return 0; }`)}` };
      default:
        return once(500) ?? { content: `No change needed:\n${fence(kernelOf(readFileSync(join(EXAMPLES, 'vector_add/vector_add.cu'), 'utf8')))}` };
    }
  };
}

function gate(): FakeEvaluator {
  return new FakeEvaluator([
    ['float4', accepted(1.26, 0.78)],
    ['c[i] = 0.0f', rejected('probes', 'match', 'outputs differ from the baseline in 4096 of 4096 elements')],
    ['SLOWER', accepted(0.8)],
    ['undefined_helper', rejected('compile', undefined, 'identifier "undefined_helper" is undefined')],
    ['REPAIRED', accepted(1.08)],
    ['const_cast', rejected('probes', 'inputs', "the candidate changed input 'a'")],
    ['n / 2', rejected('probes', 'written', '2048 elements of c were never written')],
  ]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const OPTIONS: LoopOptions = { rounds: 2, candidatesPerRound: 5, seed: 3, maxRepairs: 1, prices: { 'test-model': { inputPerMillion: 2, outputPerMillion: 8 } } };

test('the model loop ends with the fastest honest candidate, never a cheat; the record re-derives; the key is nowhere', T, async () => {
  const endpoint = new ScriptedEndpoint(script());
  const baseUrl = await endpoint.start();
  const workspace = tempDir('optimize-llm');
  const lines: string[] = [];
  try {
    const problem = await vectorAddProblem();
    const client = new ChatClient({ baseUrl, model: 'test-model', timeoutMs: 10_000, parallel: 3, maxRetries: 2, backoffMs: 10, maxRetryWaitMs: 5_000 }, KEY, (n) => lines.push(`retry ${n.reason}`));
    const proposer = new LlmProposer(client);
    const header = { file: problem.file, baselineSha256: sha256Text(problem.source), kernel: problem.kernel.qualifiedName, spec: problem.spec, baseline: problem.baseline, proposers: [{ kind: 'llm' as const, model: 'test-model', baseUrl }] };
    const { header: written, store } = await createOptimizeRun(workspace, { ...header, options: { ...OPTIONS, rounds: 1 } });
    const onEvent = (e: LoopEvent) => lines.push(JSON.stringify(e));
    const first = await runLoop({ problem, proposers: [proposer], evaluator: gate(), sink: store, options: { ...OPTIONS, rounds: 1 }, onEvent });
    const requestsAfterRound1 = endpoint.requests.length;

    // Resumed from the record with one more round: round 1 is replayed, not asked again.
    const { run } = await openOptimizeRun(store.dir);
    assert.equal(run.header.id, written.id);
    const evaluator = gate();
    const result = await runLoop({ problem, proposers: [proposer], evaluator, sink: store, options: OPTIONS, resume: run, onEvent });
    const later = endpoint.requests.slice(requestsAfterRound1);
    assert.ok(later.length > 0 && later.every((r) => r.body.messages[1].content.includes('## Already tried')), 'only round-2 prompts (with round 1 as history) were sent');
    assert.equal(result.attempts.filter((a) => a.round === 1).length, first.attempts.length);

    const byStrategy = new Map(result.attempts.map((a) => [a.strategy, a]));
    assert.equal(result.best?.record.strategy, 'memory-coalescing', result.message);
    assert.equal(result.best?.speedup, 1.26);
    assert.deepEqual(result.best?.record.candidate?.launch, { grid: ['cdiv(n, 1024)'], block: ['256'] });
    assert.equal(byStrategy.size, 7, 'this seed reaches every strategy in two rounds');
    for (const cheat of ['shared-memory-tiling', 'tensor-cores'] as const) assert.equal(byStrategy.get(cheat)?.outcome?.verdict, 'rejected', `${cheat} answered with a cheat`);
    const occupancy = byStrategy.get('occupancy-launch')?.outcome;
    assert.equal(occupancy?.verdict === 'accepted' ? occupancy.timing.status : occupancy?.verdict, 'slower', 'the slower correct answer is accepted as slower');
    const warp = result.attempts.filter((a) => a.strategy === 'warp-primitives');
    assert.deepEqual(warp.slice(0, 2).map((a) => a.outcome?.verdict), ['rejected', 'accepted'], 'the compile error was repaired');
    assert.equal(warp[1].parent, 'baseline');
    const unroll = result.attempts.filter((a) => a.strategy === 'unrolling-ilp');
    assert.match(unroll[0].problem ?? '', /no ```cuda code block/);
    assert.equal(unroll[1].outcome?.verdict, 'rejected', 'the repaired answer was the mutate-input cheat');
    assert.match(result.attempts.find((a) => a.strategy === 'fusion')?.problem ?? '', /identical to the baseline/);
    assert.equal(result.best?.record.parent, warp[1].id, 'round 2 built on the repaired candidate, the best of round 1');
    assert.ok(result.attempts.every((a) => a.outcome?.verdict !== 'accepted' || !/c\[i\] = 0\.0f|const_cast|n \/ 2/.test(a.candidate?.source ?? '')), 'no cheat was accepted');
    assert.ok(endpoint.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`), 'the key was used, in the header');

    const report = deriveReport((await openOptimizeRun(store.dir)).run);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.best?.id, result.best?.id);
    assert.deepEqual(report.spend, result.spend);
    assert.ok(report.spend.costUsd !== undefined && report.spend.costUsd > 0);
    const text = formatReport(report);
    for (const a of result.attempts) assert.ok(text.includes(a.id), `${a.id} in the report`);
    assert.match(text, /result: 1\.26× faster than the baseline/);

    const eventsFile = join(store.dir, 'events.jsonl');
    writeFileSync(eventsFile, readFileSync(eventsFile, 'utf8').replace(/"speedup":1\.26/g, '"speedup":1.9'));
    assert.match(deriveReport((await openOptimizeRun(store.dir)).run).mismatches.join('\n'), /says best .* 1\.90×, the attempts give .* 1\.26×/);

    for (const file of filesUnder(workspace)) assert.ok(!readFileSync(file, 'utf8').includes(KEY), `${file} holds the key`);
    assert.ok(lines.length > 10 && lines.every((l) => !l.includes(KEY)), 'no progress line holds the key');
    assert.ok(filesUnder(store.dir).some((f) => f.endsWith('prompt.md')) && filesUnder(store.dir).some((f) => f.endsWith('candidate.diff')));
  } finally {
    await endpoint.close();
  }
});

test('a rejected key stops the run with an error that does not hold it, recorded without it', T, async () => {
  const endpoint = new ScriptedEndpoint(() => ({ status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }) }));
  const baseUrl = await endpoint.start();
  const workspace = tempDir('optimize-llm-401');
  try {
    const problem = await vectorAddProblem();
    const proposer = new LlmProposer(new ChatClient({ baseUrl, model: 'test-model', timeoutMs: 5_000, parallel: 2, maxRetries: 1, backoffMs: 10, maxRetryWaitMs: 1_000 }, KEY));
    const { store } = await createOptimizeRun(workspace, { file: problem.file, baselineSha256: sha256Text(problem.source), kernel: problem.kernel.qualifiedName, spec: problem.spec, baseline: problem.baseline, options: OPTIONS, proposers: [{ kind: 'llm', model: 'test-model', baseUrl }] });
    const error = await runLoop({ problem, proposers: [proposer], evaluator: gate(), sink: store, options: OPTIONS }).then(() => undefined, (e: Error) => e);
    assert.match(error?.message ?? '', /answered HTTP 401/);
    assert.ok(!error?.message.includes(KEY));
    assert.match(readFileSync(join(store.dir, 'events.jsonl'), 'utf8'), /"reason":"error".*HTTP 401/);
    for (const file of filesUnder(workspace)) assert.ok(!readFileSync(file, 'utf8').includes(KEY), `${file} holds the key`);
  } finally {
    await endpoint.close();
  }
});
