// harness/run.ts: the runtime's command line as protocol.ts spells it, its event lines read back (printf noise
// around them ignored), and every way a run can end turned into an error that says what happened, keeping the
// events printed before the failure (the evidence of what passed). A stand-in Target plays the runtime.
import { onThisMachine } from '../../server/src/targets/this-machine';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GateEvent } from '../../server/src/harness/protocol';
import { gateArgs, HarnessRunError, parseEvents, runGate } from '../../server/src/harness/run';
import type { ExecOptions, ExecResult, Target } from '../../server/src/targets/target';

function answering(result: Partial<ExecResult>, seen: Array<{ args: readonly string[]; options?: ExecOptions }> = []): Target {
  return onThisMachine({
    name: 'stand-in',
    async exec(file, args, options) {
      seen.push({ args, options });
      return { command: [file, ...args].join(' '), exitCode: 0, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1, ...result };
    },
  });
}

const line = (e: GateEvent) => JSON.stringify(e);

test('the command line of every mode', () => {
  assert.deepEqual(gateArgs({ mode: 'describe', versions: ['/a.so', '/b.so'] }), ['describe', '/a.so', '/b.so']);
  assert.deepEqual(gateArgs({ mode: 'ceilings', timing: 'events' }), ['ceilings', '--timing', 'events']);
  assert.deepEqual(gateArgs({ mode: 'baseline', baseline: '/b.so', seeds: [1, 2, 3], sweep: [{ n: 10 }, { n: 20, m: 2 }], timeSeed: 9, warmup: 3, iters: 50, sets: 2, time: true }), [
    'baseline', '--version', '/b.so', '--seeds', '1,2,3', '--sweep', 'n=10;n=20,m=2', '--time-seed', '9', '--warmup', '3', '--sets', '2', '--iters', '50',
  ]);
  assert.deepEqual(gateArgs({ mode: 'evaluate', baseline: '/b.so', candidate: '/c.so', seeds: [4, 5, 6], sizes: { n: 4096 }, timeSeed: 1, warmup: 0, pairs: 100, sets: 2, time: false, timing: 'cupti' }), [
    'evaluate', '--baseline', '/b.so', '--candidate', '/c.so', '--seeds', '4,5,6', '--size', 'n=4096', '--time-seed', '1', '--warmup', '0', '--sets', '2', '--no-time', '--timing', 'cupti', '--pairs', '100',
  ]);
});

test('events are read in order around printf noise; a truncated last line is dropped', () => {
  const text = `kernel says hi\n${line({ kind: 'repeat', seed: 1, outputs: [] })}\n  partial{"kind":"x"\n${line({ kind: 'end' })}\n{"kind":"state","role":"cand`;
  assert.deepEqual(parseEvents(text).map((e) => e.kind), ['repeat', 'end']);
});

test('a run that ends with its end event resolves with every event; the sandbox and environment reach the target', async () => {
  const seen: Array<{ args: readonly string[]; options?: ExecOptions }> = [];
  const stdout = [line({ kind: 'repeat', seed: 1, outputs: [] }), line({ kind: 'end' })].join('\n');
  const events = await runGate('/rt', { mode: 'ceilings' }, { target: answering({ stdout }, seen), env: { KP_CUPTI_DIRS: '/x' }, sandbox: { writable: ['/scratch'], gpu: true } });
  assert.deepEqual(events.map((e) => e.kind), ['repeat', 'end']);
  assert.deepEqual(seen[0].options?.sandbox, { writable: ['/scratch'], gpu: true });
  assert.deepEqual(seen[0].options?.env, { KP_CUPTI_DIRS: '/x' });
});

test('an error event becomes a report error that explains itself and keeps the events before it', async () => {
  const stdout = [
    line({ kind: 'check', seed: 3, sizes: { n: 8 }, candidateLaunch: { kernelMs: 0, launchMs: 0, wallMs: 0, activities: 1, streams: 1 }, baselineLaunch: { kernelMs: 0, launchMs: 0, wallMs: 0, activities: 1, streams: 1 }, inputs: [], outputs: [], pointers: {} }),
    line({ kind: 'error', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'the kernel failed while running: an illegal memory access', doing: 'checking the candidate (seed 4, n=8)' }),
  ].join('\n');
  await assert.rejects(runGate('/rt', { mode: 'ceilings' }, { target: answering({ stdout, exitCode: 1 }) }), (e: HarnessRunError) => {
    assert.equal(e.kind, 'report');
    assert.equal(e.stage, 'sync');
    assert.equal(e.cudaError, 'cudaErrorIllegalAddress');
    assert.match(e.message, /^the kernel failed while running on target 'stand-in' \(cudaErrorIllegalAddress\): .*\(while checking the candidate \(seed 4, n=8\)\)\. The kernel accessed memory outside its buffers/);
    assert.deepEqual(e.events.map((x) => x.kind), ['check', 'error']);
    return true;
  });
});

test('a crash without an end event, a timeout, a cancel and a missing runtime each say so', async () => {
  await assert.rejects(runGate('/rt', { mode: 'ceilings' }, { target: answering({ stdout: line({ kind: 'repeat', seed: 1, outputs: [] }), exitCode: undefined, stderr: 'Segmentation fault' }) }), (e: HarnessRunError) => e.kind === 'no-report' && /was killed by a signal .*before its end event.*stderr: Segmentation fault/.test(e.message) && e.events.length === 1);
  await assert.rejects(runGate('/rt', { mode: 'ceilings' }, { target: answering({ timedOut: true, exitCode: undefined }), timeoutMs: 2000 }), (e: HarnessRunError) => e.kind === 'timeout' && /did not finish within 2 s/.test(e.message));
  await assert.rejects(runGate('/rt', { mode: 'ceilings' }, { target: answering({ cancelled: true, exitCode: undefined }) }), (e: HarnessRunError) => e.kind === 'cancelled');
  await assert.rejects(runGate('/rt', { mode: 'ceilings' }, { target: answering({ notFound: true, exitCode: undefined }) }), (e: HarnessRunError) => e.kind === 'not-found' && /build it first/.test(e.message));
});

test('before it runs, the runtime\'s folder, each version\'s build folder and the run\'s folder are put on the target, and the command names them as the target sees them', async () => {
  const runs: Array<{ file: string; args: readonly string[]; cwd?: string }> = [];
  const puts: Array<{ paths: readonly string[]; signal?: AbortSignal }> = [];
  const remote = (): Target =>
    Object.assign(
      onThisMachine({
        name: 'remote stand-in',
        async exec(file, args, options) {
          runs.push({ file, args, ...(options?.cwd ? { cwd: options.cwd } : {}) });
          return { command: file, exitCode: 0, stdout: line({ kind: 'end' }), stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1 };
        },
      }),
      { targetPath: (path: string) => `/remote${path}`, put: async (paths: readonly string[], options?: { signal?: AbortSignal }) => void puts.push({ paths, ...(options?.signal ? { signal: options.signal } : {}) }) },
    );
  const signal = new AbortController().signal;
  await runGate('/rt/kp_gate', { mode: 'evaluate', baseline: '/v/base/b.so', candidate: '/v/cand/c.so', seeds: [1], sizes: { n: 8 }, timeSeed: 1, warmup: 0, pairs: 1, sets: 1, time: false }, { target: remote(), cwd: '/runs/r1', signal });
  assert.deepEqual(puts[0], { paths: ['/rt', '/v/base', '/v/cand', '/runs/r1'], signal });
  assert.equal(runs[0].file, '/remote/rt/kp_gate');
  assert.deepEqual([runs[0].args[2], runs[0].args[4], runs[0].cwd], ['/remote/v/base/b.so', '/remote/v/cand/c.so', '/remote/runs/r1']);
  await runGate('/rt/kp_gate', { mode: 'baseline', baseline: '/v/base/b.so', seeds: [1], timeSeed: 1, warmup: 0, iters: 1, sets: 1, time: false }, { target: remote() });
  assert.deepEqual(puts[1].paths, ['/rt', '/v/base']);
  await runGate('/rt/kp_gate', { mode: 'ceilings' }, { target: remote() });
  assert.deepEqual(puts[2].paths, ['/rt'], 'the runtime alone');
});
