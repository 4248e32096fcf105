// The real gate behind `kernelpilot optimize` (bench/optimize-gate.ts) on the stand-in GPU: the prepared evaluation as
// the loop's CandidateEvaluator — accepted outcomes carry the gate's own comparison, rejected ones the stage and
// the failed probes or compiler messages — and the optimize command running the built-in search through it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { optimizeCommand } from '../../server/src/cli/optimize';
import { prepareOptimization } from '../../server/src/bench/optimize-gate';
import { FakeGpuTarget } from './job-fake-gpu';
import { EXAMPLES, tempDir } from './harness-helpers';

const VA = join(EXAMPLES, 'vector_add');
const FAST = readFileSync(join(VA, 'candidates', 'fast_float4.cu'), 'utf8');

function setup() {
  const workspace = tempDir('optimize-gate');
  const spec = join(workspace, 'small.spec.json');
  // The example's spec at the stand-in's size, without sweep points (the stand-in computes each for real).
  writeFileSync(spec, JSON.stringify({ ...JSON.parse(readFileSync(join(VA, 'vector_add.spec.json'), 'utf8')), sizes: { n: 1024 }, sweep: undefined }));
  const target = new FakeGpuTarget(1024);
  const options = { target, ceilingsPath: join(workspace, 'ceilings.json'), buildCacheDir: join(workspace, 'builds') };
  return { workspace, spec, target, options };
}

test('the evaluator: accepted with the gate\'s comparison; rejected with its stage, probes or compiler messages', { timeout: 120_000 }, async () => {
  const { workspace, spec, options } = setup();
  const abort = new AbortController();
  const prepared = await prepareOptimization({ file: join(VA, 'vector_add.cu'), spec, workspace, signal: abort.signal, onProgress: () => undefined }, options);
  try {
    assert.equal(prepared.problem.kernel.qualifiedName, 'vector_add');
    assert.ok(prepared.problem.source.includes('__global__ void vector_add'));
    assert.ok(Math.abs(prepared.evaluator.baseline.timeMs - 1.0) < 0.02, `baseline ${prepared.evaluator.baseline.timeMs} ms`);
    assert.ok(prepared.evaluator.baseline.gpu.copyBytesPerSecond);
    const request = (source: string, extra = {}) => ({ id: 'r01-c01-a0', strategy: 'memory-coalescing' as const, source, ...extra });

    const fast = await prepared.evaluator.evaluate(request(`// stand-in: fast\n${FAST}`), abort.signal);
    assert.equal(fast.verdict, 'accepted');
    if (fast.verdict !== 'accepted') return;
    assert.equal(fast.timing.status, 'faster');
    assert.ok(Math.abs(fast.timing.speedup - 1.6) < 0.05, `speedup ${fast.timing.speedup}`);
    assert.ok(fast.timing.ci.low < fast.timing.speedup && fast.timing.pValue < 0.01);
    assert.ok(fast.evidence && existsSync(join(fast.evidence, 'record.json')) && /r01-c01-a0/.test(fast.evidence), 'the record is named after the attempt');

    const zeros = await prepared.evaluator.evaluate(request(`// stand-in: zeros\n${FAST}`), abort.signal);
    assert.equal(zeros.verdict, 'rejected');
    if (zeros.verdict !== 'rejected') return;
    assert.equal(zeros.stage, 'probes');
    assert.equal(zeros.failedProbes[0]?.name, 'match');

    const broken = await prepared.evaluator.evaluate(request(`// stand-in: no-compile\n${FAST}`), abort.signal);
    assert.equal(broken.verdict === 'rejected' && broken.stage, 'compile');
    assert.ok(broken.verdict === 'rejected' && broken.diagnostics.length > 0, 'compiler messages come back');

    const host = await prepared.evaluator.evaluate(request(`${FAST}\nstatic int armed = 1 + (int)sizeof(int);\nint helper() { return armed; }\n`), abort.signal);
    assert.equal(host.verdict === 'rejected' && host.stage, 'compile');
    assert.equal(host.verdict === 'rejected' && host.failedProbes[0]?.name, 'structure');

    const launch = await prepared.evaluator.evaluate(request(FAST, { launch: { grid: ['cdiv(m, 4)'], block: ['256'] } }), abort.signal);
    assert.equal(launch.verdict === 'rejected' && launch.stage, 'launch');
  } finally {
    await prepared.close();
  }
});

test('kernelpilot optimize runs the built-in search through the gate and finds nothing faster than an honest copy', { timeout: 180_000 }, async () => {
  const { workspace, spec, options } = setup();
  let progress = '';
  const { output, exitCode } = await optimizeCommand([join(VA, 'vector_add.cu'), '--spec', spec, '--workspace', workspace, '--rounds', '1', '--candidates', '2', '--no-model'], {
    env: {},
    progress: { write: (text: string) => void (progress += text), isTTY: false },
    prepare: (request) => prepareOptimization(request, options),
  });
  assert.equal(exitCode, 0, progress);
  assert.match(output, /nothing faster/i);
  assert.match(output, /record: .*\.kernelpilot\/runs\//);
});
