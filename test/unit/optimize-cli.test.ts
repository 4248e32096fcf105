// `kernelpilot optimize` and `report` as the CLI runs them, with a stand-in gate behind `prepare`: help, the key
// only from the environment (a key option is refused), the built-in search when no key is set, the model when
// one is, progress on a terminal and off it, and the report of the recorded run. The key is in no output or file.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { OPTIMIZE_OPTIONS, optimizeCommand, progressPrinter, reportCommand, type OptimizeDeps } from '../../server/src/cli/optimize';
import { tempDir } from './harness-helpers';
import { ScriptedEndpoint } from './llm-endpoint';
import { accepted, FakeEvaluator, VECTOR_ADD, vectorAddProblem } from './optimize-helpers';

const T = { timeout: 60_000 };
const KEY = 'sk-kp-cli-test-9f8e7d6c5b4a';

function deps(env: Record<string, string | undefined>, evaluator = new FakeEvaluator([['--use_fast_math', accepted(1.12)]], accepted(1.0))) {
  let progress = '';
  const d: OptimizeDeps = {
    env,
    progress: { write: (text: string) => void (progress += text), isTTY: false },
    prepare: async () => ({ problem: await vectorAddProblem(), evaluator, close: async () => undefined }),
  };
  return { deps: d, progress: () => progress };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

test('--help, and a key on the command line is refused', T, async () => {
  const help = await optimizeCommand(['--help'], deps({}).deps);
  assert.match(help.output, /^usage: kernelpilot optimize FILE/);
  assert.match(help.output, /KERNELPILOT_API_KEY, then OPENAI_API_KEY \(never from the\s+command line\)/);
  for (const option of [...OPTIMIZE_OPTIONS.values, ...OPTIMIZE_OPTIONS.switches]) assert.match(help.output, new RegExp(`^ {2}(.* )?--${option}\\b`, 'm'), `--${option} is described`);
  assert.match(help.output, /^Exit 0 when the run ended [\s\S]* 130 when cancelled/m);
  await assert.rejects(optimizeCommand([VECTOR_ADD, '--api-key', KEY], deps({}).deps), (e: Error) => /there is no key option/.test(e.message) && !e.message.includes(KEY));
  await assert.rejects(optimizeCommand([VECTOR_ADD, '--rounds', 'zero'], deps({}).deps), /--rounds must be a positive integer/);
  await assert.rejects(optimizeCommand([VECTOR_ADD, '--price-in', '1'], deps({}).deps), /--price-in and --price-out go together/);
});

test('without a key the built-in search runs, says so, and the report re-derives the recorded run', T, async () => {
  const workspace = tempDir('optimize-cli');
  const { deps: d, progress } = deps({});
  const { output, exitCode } = await optimizeCommand([VECTOR_ADD, '--workspace', workspace, '--rounds', '2', '--candidates', '3'], d);
  assert.equal(exitCode, 0);
  assert.match(progress(), /no API key in KERNELPILOT_API_KEY or OPENAI_API_KEY: the built-in search runs alone/);
  assert.match(progress(), /round 1\/2 from the baseline\n/);
  assert.match(output, /1\.12× faster than the baseline/);
  const runId = /record: .*\/runs\/(\S+)$/m.exec(output)?.[1] ?? '';
  const report = await reportCommand(runId, { workspace, json: true });
  assert.equal(report.exitCode, 0);
  assert.equal((JSON.parse(report.output) as { best: { speedup: number } }).best.speedup, 1.12);
});

test('with a key in the environment the model runs; the key reaches the endpoint and nothing else', T, async () => {
  const fast = readFileSync(join(VECTOR_ADD, '../candidates/fast_float4.cu'), 'utf8');
  const endpoint = new ScriptedEndpoint(() => ({ content: '```cuda\n' + fast + '\n```' }));
  const baseUrl = await endpoint.start();
  const workspace = tempDir('optimize-cli-key');
  try {
    const { deps: d, progress } = deps({ KERNELPILOT_API_KEY: KEY }, new FakeEvaluator([['float4', accepted(1.26)]], accepted(1.0)));
    const argv = [VECTOR_ADD, '--workspace', workspace, '--rounds', '1', '--candidates', '2', '--no-search', '--base-url', baseUrl, '--model', 'local', '--price-in', '1', '--price-out', '2'];
    const { output } = await optimizeCommand(argv, d);
    assert.match(output, /1\.26× faster/);
    assert.ok(endpoint.requests.length >= 1 && endpoint.requests.every((r) => r.headers.authorization === `Bearer ${KEY}` && r.body.model === 'local'));
    for (const text of [output, progress(), argv.join(' '), ...filesUnder(workspace).map((f) => readFileSync(f, 'utf8'))]) assert.ok(!text.includes(KEY));
  } finally {
    await endpoint.close();
  }
});

test('on a terminal the status line is redrawn in place', T, () => {
  let out = '';
  const printer = progressPrinter({ write: (t) => void (out += t), isTTY: true }, 3);
  printer.onEvent({ kind: 'round-start', round: 1, rounds: 3, parent: 'baseline', parentSpeedup: 1 });
  printer.onEvent({ kind: 'attempt-start', id: 'r01-c01-a0', strategy: 'fusion', proposer: 'llm', repair: false });
  const ERASE = '\r\u001b[2K';
  assert.ok(out.endsWith(`round 1/3 from the baseline\n⚡ round 1/3 · 0 in flight · best none yet${ERASE}⚡ round 1/3 · 1 in flight · best none yet`), JSON.stringify(out));
});
