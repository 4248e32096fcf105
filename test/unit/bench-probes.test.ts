// The `runs` and `timed` probes decide about a candidate's behaviour rather than its values: a candidate that
// crashes or hangs is rejected (not a job error, which would show nothing and blame the tool), one whose last
// timed launch differs from the baseline's is rejected; failures that are not the candidate's stay errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crashProbe } from '../../server/src/bench/runs-probe';
import { timedCheck, timedProbe } from '../../server/src/bench/timed-probe';
import { verdictOf, type CheckRun, type Probe } from '../../server/src/bench/verify';
import type { BenchSpec } from '../../server/src/benchspec/model';
import type { DeviceInfo, ErrorReport, TimeReport } from '../../server/src/harness/protocol';
import { POISON_BYTE, poisonPattern } from '../../server/src/harness/poison';
import { HarnessRunError, type HarnessRunErrorKind } from '../../server/src/harness/run';

const harnessError = (kind: HarnessRunErrorKind, report?: Partial<ErrorReport>) =>
  new HarnessRunError(kind, `harness ${kind}`, report ? { report: { kind: 'error', stage: 'sync', message: 'failed', ...report } } : {});

/** The gate's verdict when the candidate's run ended in `error`, as the job turns it into a probe. */
function verdictAfter(error: unknown) {
  const probe = crashProbe(error, 'in the check with seed 1');
  return { probe, verdict: probe ? verdictOf([probe]) : undefined };
}

test('a candidate that hangs (the run timed out) is rejected by the runs probe, not turned into a job error', { timeout: 10_000 }, () => {
  const { probe, verdict } = verdictAfter(harnessError('timeout'));
  assert.ok(probe, 'a timeout must be blamed on the candidate');
  assert.equal(probe.name, 'runs');
  assert.equal(probe.passed, false);
  assert.equal(probe.gate, true);
  assert.match(probe.reason, /^the candidate failed in the check with seed 1: harness timeout$/);
  assert.deepEqual(probe.details, { kind: 'timeout' });
  assert.deepEqual(verdict?.failed, ['runs']);
  assert.equal(verdict?.accepted, false);
});

test('a candidate that crashes, faults in its kernel or leaves the device broken is rejected by the runs probe', { timeout: 10_000 }, () => {
  assert.equal(verdictAfter(harnessError('no-report')).probe?.name, 'runs');
  for (const stage of ['launch', 'sync', 'copy']) {
    const { probe } = verdictAfter(harnessError('report', { stage, cudaError: 'cudaErrorIllegalAddress' }));
    assert.equal(probe?.passed, false, stage);
    assert.deepEqual(probe?.details, { kind: 'report', stage, cudaError: 'cudaErrorIllegalAddress' });
  }
  // Found through the causes a job wraps it in.
  const wrapped = new Error('the candidate check at n=4096', { cause: new Error('running', { cause: harnessError('timeout') }) });
  assert.equal(verdictAfter(wrapped).probe?.name, 'runs');
  // Without a CUDA error name the details say only what is known.
  assert.deepEqual(verdictAfter(harnessError('report', { stage: 'launch' })).probe?.details, { kind: 'report', stage: 'launch' });
});

test("failures that are not the candidate's doing stay errors: no device, allocation, arguments, cancel, a missing binary", { timeout: 10_000 }, () => {
  for (const stage of ['device', 'alloc', 'args', 'io']) assert.equal(crashProbe(harnessError('report', { stage }), 'x'), undefined, stage);
  for (const kind of ['cancelled', 'not-found', 'bad-report'] as const) assert.equal(crashProbe(harnessError(kind), 'x'), undefined, kind);
  assert.equal(crashProbe(new Error('disk full'), 'x'), undefined);
  assert.equal(crashProbe('a string', 'x'), undefined);
});

const device: DeviceInfo = { name: 'NVIDIA H200', computeCapability: '9.0', smCount: 132, l2Bytes: 60 << 20, globalMemBytes: 141e9, driverVersion: 13000, runtimeVersion: 13000 };
const N = 16;
const spec: BenchSpec = {
  version: 1,
  kernel: 'scale',
  sizes: { n: N },
  args: [
    { name: 'x', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'normal', mean: 0, std: 1 } },
    { name: 'y', role: 'output', dtype: 'float32', shape: ['n'] },
    { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
  ],
  launch: { grid: ['1'], block: ['32'] },
};
const root = mkdtempSync(join(tmpdir(), 'kp-probes-'));
let runs = 0;

/** A time report whose last timed launch (buffer set `seed`) wrote `y`, and that dump on disk. */
function timedRun(seed: number, y: Float32Array): CheckRun {
  const dir = join(root, `timed-${runs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'y.bin'), new Uint8Array(y.buffer));
  const report: TimeReport = {
    kind: 'time',
    seed: 1,
    device,
    warmup: 1,
    sets: 3,
    l2FlushBytes: 0,
    timesMs: [0.1, 0.1],
    timedOutputs: { seed, outputs: [{ name: 'y', dtype: 'float32', elements: N, file: 'y.bin' }] },
  };
  const run = timedCheck(report, dir);
  assert.ok(run);
  return run;
}

const values = () => Float32Array.from({ length: N }, (_, i) => i - 7.5);

async function timed(baseline: CheckRun | undefined, candidate: CheckRun | undefined): Promise<Probe> {
  return timedProbe(spec, baseline, candidate);
}

test('timed probe: the last timed launch must match the baseline on the same buffer set and be fully written', { timeout: 10_000 }, async () => {
  const ok = await timed(timedRun(2, values()), timedRun(2, values()));
  assert.equal(ok.passed, true, ok.reason);
  assert.equal(ok.skipped, undefined);

  const wrong = values();
  wrong[4] += 1;
  const skipped = await timed(timedRun(2, values()), timedRun(2, wrong));
  assert.equal(skipped.passed, false);
  assert.equal(skipped.gate, true);
  assert.match(skipped.reason, /^in the last timed launch: seed 2: y\[4\] = -2.5, baseline -3.5/);

  const unwritten = values();
  new Uint32Array(unwritten.buffer)[N - 1] = Number(poisonPattern(POISON_BYTE.float32, 4));
  const gap = await timed(timedRun(2, values()), timedRun(2, unwritten));
  assert.equal(gap.passed, false);
  assert.match(gap.reason, /never wrote/);

  const other = await timed(timedRun(2, values()), timedRun(3, values()));
  assert.equal(other.passed, false);
  assert.match(other.reason, /different buffer sets \(seeds 2 and 3\)/);
});

test('timed probe: without timed outputs it is skipped, not failed', { timeout: 10_000 }, async () => {
  const report: TimeReport = { kind: 'time', seed: 1, device, warmup: 1, sets: 3, l2FlushBytes: 0, timesMs: [0.1] };
  assert.equal(timedCheck(report, root), undefined);
  for (const [b, c] of [[undefined, timedRun(2, values())], [timedRun(2, values()), undefined]] as const) {
    const p = await timed(b, c);
    assert.equal(p.passed, true);
    assert.equal(p.skipped, true);
  }
});
