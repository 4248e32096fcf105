// What the driver concludes from one harness process: its report, its exit, its output around the report. The
// process is a stand-in target answering with a given result, so every ending a real harness can have (a report
// then a crash, a half-printed line, the wrong kind) is tried without a GPU or a compiler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckReport, DeviceInfo, ErrorReport } from '../../server/src/harness/protocol';
import { type HarnessCommand, harnessArgs, HarnessRunError, parseReport, runHarness } from '../../server/src/harness/run';
import type { ExecOptions, ExecResult, Target } from '../../server/src/targets/target';

const device: DeviceInfo = { name: 'NVIDIA H200', computeCapability: '9.0', smCount: 132, l2Bytes: 60 << 20, globalMemBytes: 141e9, driverVersion: 13000, runtimeVersion: 13000 };
const check: CheckReport = { kind: 'check', seed: 7, device, outputs: [], inputChecksumsBefore: {}, inputChecksumsAfter: {}, pointers: {}, kernelMs: 0.02 };
const line = (report: object) => JSON.stringify(report);

/** A target whose one process ends as `result` says; it records what it was asked to run. */
function processEnding(result: Partial<ExecResult>): Target & { calls: Array<{ file: string; args: readonly string[]; options?: ExecOptions }> } {
  const calls: Array<{ file: string; args: readonly string[]; options?: ExecOptions }> = [];
  return {
    name: 'stand-in',
    calls,
    async exec(file, args, options) {
      calls.push({ file, args, options });
      return { command: `${file} ${args.join(' ')}`, exitCode: 0, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1, ...result };
    },
  };
}

const CHECK: HarnessCommand = { mode: 'check', seed: 7, outDir: '/tmp/out' };

async function failure(result: Partial<ExecResult>, command: HarnessCommand = CHECK): Promise<HarnessRunError> {
  try {
    await runHarness('/builds/harness', command, { target: processEnding(result) });
  } catch (error) {
    assert.ok(error instanceof HarnessRunError, String(error));
    return error;
  }
  assert.fail(`expected ${JSON.stringify(result)} to be refused`);
}

test('a whole report and exit 0 is the result; the kernel printing around it does not matter', { timeout: 10_000 }, async () => {
  const target = processEnding({ stdout: `kernel says hi\n${line(check)}\r\nbye\n` });
  assert.deepEqual(await runHarness('/builds/harness', CHECK, { target, timeoutMs: 5000 }), check);
  assert.deepEqual(target.calls[0].args, ['check', '--seed', '7', '--out', '/tmp/out']);
  assert.equal(target.calls[0].options?.timeoutMs, 5000);
});

test('a report followed by a non-zero exit is refused: the process failed after reporting', { timeout: 10_000 }, async () => {
  for (const exitCode of [1, 139, undefined]) {
    const error = await failure({ stdout: line(check), exitCode });
    assert.equal(error.kind, 'bad-report', `exit ${exitCode}`);
    assert.match(error.message, new RegExp(`printed a check report but exited with code ${exitCode}`));
  }
});

test('hang, cancel and a missing binary are told apart', { timeout: 10_000 }, async () => {
  assert.equal((await failure({ timedOut: true, stdout: line(check) })).kind, 'timeout');
  assert.equal((await failure({ cancelled: true })).kind, 'cancelled');
  assert.equal((await failure({ notFound: true, exitCode: undefined })).kind, 'not-found');
  const hang = await failure({ timedOut: true }, { mode: 'time', seed: 1, warmup: 1, iters: 5, sets: 2 });
  assert.match(hang.message, /the time run did not finish within 300 s on target 'stand-in'; the kernel may hang/);
});

test('no report: a crash, a kill, or a report line cut off mid-print', { timeout: 10_000 }, async () => {
  const crash = await failure({ exitCode: 134, stdout: 'partial output\n', stderr: 'one\ntwo\n' });
  assert.equal(crash.kind, 'no-report');
  assert.match(crash.message, /exited with code 134 .*without printing a report.*; stderr: one \| two$/);
  assert.match((await failure({ exitCode: undefined })).message, /was killed by a signal/);
  const cut = line(check).slice(0, 40);
  assert.equal((await failure({ stdout: `${cut}\n`, exitCode: 1 })).kind, 'no-report');
  // An earlier whole report survives a later cut one (the process died while printing a second line).
  assert.deepEqual(parseReport(`${line(check)}\n${cut}`), check);
  assert.equal(parseReport('{"kind": 1}\n{"kind":"check"'), undefined);
  assert.equal(parseReport('[1]\n"kind"'), undefined);
});

test('an error report becomes a report error with the stage; a report of the wrong kind or lacking fields is refused', { timeout: 10_000 }, async () => {
  const fault: ErrorReport = { kind: 'error', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'an illegal memory access' };
  const error = await failure({ stdout: line(fault), exitCode: 1 });
  assert.equal(error.kind, 'report');
  assert.equal(error.stage, 'sync');
  assert.equal(error.cudaError, 'cudaErrorIllegalAddress');
  assert.match(error.message, /the kernel failed while running on target 'stand-in' \(cudaErrorIllegalAddress\): an illegal memory access\. The kernel accessed memory outside its buffers/);
  const wrongKind = await failure({ stdout: line({ ...check, kind: 'time' }) });
  assert.equal(wrongKind.kind, 'bad-report');
  assert.match(wrongKind.message, /asked for a check report but the harness printed a time report/);
  const { pointers: _pointers, kernelMs: _kernelMs, ...partial } = check;
  const lacking = await failure({ stdout: line(partial) });
  assert.equal(lacking.kind, 'bad-report');
  assert.match(lacking.message, /the check report lacks pointers, kernelMs/);
  for (const [mode, report] of [
    ['time', { kind: 'time', seed: 1, device, warmup: 1, sets: 1, l2FlushBytes: 0 }],
    ['ceilings', { kind: 'ceilings', device, copyBytesPerSecond: 1 }],
  ] as const) {
    const command: HarnessCommand = mode === 'time' ? { mode, seed: 1, warmup: 1, iters: 1, sets: 1 } : { mode };
    assert.match((await failure({ stdout: line(report) }, command)).message, new RegExp(`the ${mode} report lacks (timesMs|fp32FlopsPerSecond)$`));
  }
});

test('the command line spells every option the protocol defines', { timeout: 10_000 }, () => {
  assert.deepEqual(harnessArgs({ mode: 'check', seed: 3, outDir: 'o', dumpInputs: true, sizes: { n: 10, m: 2 } }), ['check', '--seed', '3', '--out', 'o', '--dump-inputs', '--size', 'n=10', '--size', 'm=2']);
  assert.deepEqual(harnessArgs({ mode: 'time', seed: 4, warmup: 2, iters: 9, sets: 3, outDir: 'o', sizes: { n: 1 } }), ['time', '--seed', '4', '--warmup', '2', '--iters', '9', '--sets', '3', '--out', 'o', '--size', 'n=1']);
  assert.deepEqual(harnessArgs({ mode: 'time', seed: 4, warmup: 2, iters: 9, sets: 3 }), ['time', '--seed', '4', '--warmup', '2', '--iters', '9', '--sets', '3']);
  assert.deepEqual(harnessArgs({ mode: 'ceilings' }), ['ceilings']);
});
