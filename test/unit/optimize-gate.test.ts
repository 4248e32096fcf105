// The real gate behind `kernelpilot optimize` (bench/optimize-gate.ts, through the CLI's cli/optimize-gate.ts) on the stand-in GPU: the prepared evaluation as
// the loop's CandidateEvaluator — accepted outcomes carry the gate's own comparison, rejected ones the stage and
// the failed probes or compiler messages — and the optimize command running the built-in search through it.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { optimizeCommand, reportCommand } from '../../server/src/cli/optimize';
import { dryRunOptimization } from '../../server/src/cli/optimize-dry';
import { gateRecordsOf } from '../../server/src/bench/optimize-gate';
import { prepareFromFlags } from '../../server/src/cli/optimize-gate';
import type { RunReport } from '../../server/src/optimize/report';
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
  const prepared = await prepareFromFlags({ file: join(VA, 'vector_add.cu'), spec, workspace, sandbox: { enabled: true }, signal: abort.signal, onProgress: () => undefined }, options);
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

test('kernelpilot optimize runs the built-in search through the gate and finds nothing faster than an honest copy; report re-derives the gate\'s figures from its records', { timeout: 180_000 }, async () => {
  const { workspace, spec, options } = setup();
  let progress = '';
  const { output, exitCode } = await optimizeCommand([join(VA, 'vector_add.cu'), '--spec', spec, '--workspace', workspace, '--rounds', '1', '--candidates', '3', '--no-model', '--json'], {
    env: {},
    progress: { write: (text: string) => void (progress += text), isTTY: false },
    prepare: (request) => prepareFromFlags(request, options),
    gateRecords: gateRecordsOf,
  });
  assert.equal(exitCode, 0, progress);
  const final = JSON.parse(output) as RunReport & { runDir: string };
  assert.match(final.message, /nothing faster/i);
  assert.deepEqual(final.mismatches, []);
  assert.equal(final.gateRecords.rederived, 3, 'each evaluation re-derived from its gate record');
  assert.ok(final.throughput.evaluated === 3 && final.throughput.perMinute > 0);

  const report = async (ws = workspace) => {
    const r = await reportCommand(final.id, { workspace: ws, json: true, gateRecords: gateRecordsOf });
    return { exitCode: r.exitCode, report: JSON.parse(r.output) as RunReport };
  };
  assert.deepEqual((await report()).report.mismatches, []);

  // The run copied elsewhere (a GPU machine's output brought home): its gate records are found beside it.
  const moved = tempDir('optimize-gate-moved');
  cpSync(join(workspace, '.kernelpilot'), join(moved, '.kernelpilot'), { recursive: true });
  rmSync(join(workspace, '.kernelpilot'), { recursive: true });
  const again = await report(moved);
  assert.equal(again.exitCode, 0, again.report.mismatches.join('\n'));
  assert.equal(again.report.gateRecords.rederived, 3);

  // An attempt that claims another speedup than its gate record gives: the record counts, the claim is listed.
  const attempt = final.attempts.find((a) => a.accepted) ?? assert.fail('an accepted attempt');
  const attemptFile = join(moved, '.kernelpilot', 'runs', final.id, 'attempts', attempt.id, 'attempt.json');
  const original = readFileSync(attemptFile, 'utf8');
  writeFileSync(attemptFile, original.replace(/"speedup": ([\d.e-]+)/, '"speedup": 1.5'));
  const claimed = await report(moved);
  assert.equal(claimed.exitCode, 1);
  assert.match(claimed.report.mismatches.join('\n'), new RegExp(`${attempt.id}: speedup is 1\\.5 in the attempt record, [\\d.]+ re-derived from its gate record`));
  assert.equal(claimed.report.attempts.find((a) => a.id === attempt.id)?.speedup, attempt.speedup, 'the gate record\'s figure is shown');
  writeFileSync(attemptFile, original);

  // A gate record whose stored figures its own samples do not give.
  const gateDir = readdirSync(join(moved, '.kernelpilot', 'runs')).find((d) => d.includes(attempt.id)) ?? assert.fail('the gate record of the attempt');
  const recordFile = join(moved, '.kernelpilot', 'runs', gateDir, 'record.json');
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { timings: { candidateMs: number[] } };
  record.timings.candidateMs = record.timings.candidateMs.map((ms) => ms / 2);
  writeFileSync(recordFile, JSON.stringify(record));
  const forged = await report(moved);
  assert.equal(forged.exitCode, 1);
  assert.match(forged.report.mismatches.join('\n'), new RegExp(`${attempt.id}: gate record .*summary/`));
});

test('--dry-run: the spec, the runtime and baseline built, each search strategy\'s first candidate checked and built; nothing timed or recorded', { timeout: 120_000 }, async () => {
  const { workspace, spec, target, options } = setup();
  const lines: string[] = [];
  const output = await dryRunOptimization(
    { file: join(VA, 'vector_add.cu'), spec, workspace, sandbox: { enabled: true }, signal: new AbortController().signal, onProgress: (l) => lines.push(l) },
    { rounds: 3, candidatesPerRound: 2, seed: 1, maxRepairs: 2 },
    options,
  );
  assert.match(output, /^dry run: nothing runs on a GPU/);
  assert.match(output, /built for sm_90: the gate runtime \(built in [\d.]+ s\), the baseline \(built in [\d.]+ s\)/);
  assert.match(output, /block size: block size 128 instead of 256 — kernel code, built/);
  assert.match(output, /compiler options: nvcc --use_fast_math — kernel code, built/);
  assert.match(output, /work per thread: nothing to propose/);
  assert.match(output, /then run 3 rounds of 2 candidates/);
  const versionBuilds = target.sandboxes.filter((s) => s.file === 'nvcc' && s.sandbox);
  assert.equal(versionBuilds.length, 4, 'four candidates built, each sandboxed');
  assert.equal(target.runs.length, 0, 'nothing ran on the GPU');
  assert.ok(!existsSync(join(workspace, '.kernelpilot', 'runs')), 'no run recorded');
});
