// Every way a gate runtime process can end, and what the gate makes of it: a result (its events), an error that
// is not the candidate's doing (no device, a cancel, a missing runtime), or evidence against the candidate (a
// fault, a hang, a crash: bench/crash.ts → the `runs` probe). A stand-in target plays the process, so each ending
// is tried without a GPU or a compiler.
import { onThisMachine } from '../../server/src/targets/this-machine';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashEvidence } from '../../server/src/bench/crash';
import { poisonPattern } from '../../server/src/harness/poison';
import type { ErrorEvent, GateEvent } from '../../server/src/harness/protocol';
import { HarnessRunError, parseEvents, runGate, type HarnessRunErrorKind } from '../../server/src/harness/run';
import type { ExecOptions, ExecResult, Target } from '../../server/src/targets/target';

const line = (event: GateEvent) => JSON.stringify(event);
const END = line({ kind: 'end' });
const REPEAT = line({ kind: 'repeat', seed: 1, outputs: [] });

/** A target whose one process ends as `result` says; it records what it was asked to run. */
function processEnding(result: Partial<ExecResult>): Target & { calls: Array<{ file: string; args: readonly string[]; options?: ExecOptions }> } {
  const calls: Array<{ file: string; args: readonly string[]; options?: ExecOptions }> = [];
  const exec: Target['exec'] = async (file, args, options) => {
    calls.push({ file, args, options });
    return { command: `${file} ${args.join(' ')}`, exitCode: 0, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1, ...result };
  };
  return Object.assign(onThisMachine({ name: 'stand-in', exec }), { calls });
}

async function failure(result: Partial<ExecResult>, timeoutMs?: number): Promise<HarnessRunError> {
  try {
    await runGate('/builds/kp_gate', { mode: 'ceilings' }, { target: processEnding(result), ...(timeoutMs ? { timeoutMs } : {}) });
  } catch (error) {
    assert.ok(error instanceof HarnessRunError, String(error));
    return error;
  }
  assert.fail(`expected ${JSON.stringify(result)} to be refused`);
}

test('events up to an end event and exit 0 are the result; a kernel printing around them does not matter', { timeout: 10_000 }, async () => {
  const target = processEnding({ stdout: `kernel says hi\n${REPEAT}\r\n  ${END}  \nbye\n` });
  const events = await runGate('/builds/kp_gate', { mode: 'ceilings' }, { target, timeoutMs: 5000 });
  assert.deepEqual(events.map((e) => e.kind), ['repeat', 'end']);
  assert.equal(target.calls[0].options?.timeoutMs, 5000);
  // Without a limit of its own a run gets five minutes.
  const unlimited = processEnding({ stdout: END });
  await runGate('/builds/kp_gate', { mode: 'ceilings' }, { target: unlimited });
  assert.equal(unlimited.calls[0].options?.timeoutMs, 300_000);
});

test('an end event that is not the last one, or none at all, is no result', { timeout: 10_000 }, async () => {
  assert.equal((await failure({ stdout: `${END}\n${REPEAT}` })).kind, 'no-report');
  assert.equal((await failure({ stdout: REPEAT })).kind, 'no-report');
  assert.equal((await failure({ stdout: '' })).kind, 'no-report');
});

test('a refused run carries its exit code, output and command; only the last five stderr lines go in the message', { timeout: 10_000 }, async () => {
  const stderr = ['1', '2', '3', '4', '5', '6', '7'].join('\n');
  const error = await failure({ exitCode: 3, stdout: REPEAT, stderr });
  assert.equal(error.name, 'HarnessRunError');
  assert.equal(error.kind, 'no-report');
  assert.deepEqual({ ...error.details, events: error.events.map((e) => e.kind) }, { events: ['repeat'], exitCode: 3, stdout: REPEAT, stderr, command: '/builds/kp_gate ceilings' });
  assert.match(error.message, /^the gate runtime exited with code 3 on target 'stand-in' before its end event .*; stderr: 3 \| 4 \| 5 \| 6 \| 7$/);
  assert.equal(error.stage, undefined);
  assert.equal(error.cudaError, undefined);
  assert.match((await failure({ exitCode: 3, stderr: ' \n' })).message, /out of memory\)$/);
  assert.match((await failure({ exitCode: undefined })).message, /^the gate runtime was killed by a signal/);
});

test('a hang, a cancel, a sandbox limit and a missing runtime are told apart, whatever was printed before', { timeout: 10_000 }, async () => {
  const hang = await failure({ timedOut: true, exitCode: undefined, stdout: `${REPEAT}\n${END}` }, 2500);
  assert.equal(hang.kind, 'timeout');
  assert.match(hang.message, /^the ceilings run did not finish within 3 s on target 'stand-in'; the kernel may hang/);
  assert.equal(hang.events.length, 2);
  assert.equal((await failure({ cancelled: true, exitCode: undefined, stdout: END })).kind, 'cancelled');
  const limit = await failure({ limit: { kind: 'processes', message: 'started too many processes' }, exitCode: undefined, stdout: END });
  assert.equal(limit.kind, 'sandbox-limit');
  assert.match(limit.message, /^the ceilings run started too many processes on target 'stand-in'$/);
  assert.equal((await failure({ notFound: true, exitCode: undefined })).kind, 'not-found');
  // An error event decides over an end event after it.
  const error: ErrorEvent = { kind: 'error', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'an illegal memory access' };
  const report = await failure({ stdout: `${line(error)}\n${END}`, exitCode: 0 });
  assert.equal(report.kind, 'report');
  assert.deepEqual(report.details.report, error);
});

test('event lines: whole JSON objects starting with a kind that is a string; anything else is output', { timeout: 10_000 }, () => {
  assert.deepEqual(parseEvents(`   ${END}   \n`), [{ kind: 'end' }], 'surrounding blanks');
  assert.deepEqual(parseEvents('{"kind":5}\n{"kind":null}\n{"kind":"end"'), []);
  assert.deepEqual(parseEvents('{"seed":1,"kind":"end"}\n[1]\n"kind"'), [], 'a line must start with its kind');
  assert.deepEqual(parseEvents(`${REPEAT}\r\n${END}`).map((e) => e.kind), ['repeat', 'end']);
});

const runError = (kind: HarnessRunErrorKind, report?: Partial<ErrorEvent>) =>
  new HarnessRunError(kind, `runtime ${kind}`, report ? { report: { kind: 'error', stage: 'sync', message: 'failed', ...report } } : {});

test('a hang, a crash, a sandbox limit or a fault in the kernel is evidence against the candidate', { timeout: 10_000 }, () => {
  assert.deepEqual(crashEvidence(runError('timeout')), { kind: 'timeout', message: 'runtime timeout' });
  assert.deepEqual(crashEvidence(runError('no-report')), { kind: 'no-report', message: 'runtime no-report' });
  assert.deepEqual(crashEvidence(runError('sandbox-limit')), { kind: 'sandbox-limit', message: 'runtime sandbox-limit' });
  // A fault is sticky: the launch, the synchronize after it, or the next copy reports it.
  for (const stage of ['launch', 'sync', 'copy']) {
    assert.deepEqual(crashEvidence(runError('report', { stage, cudaError: 'cudaErrorIllegalAddress' })), { kind: 'report', stage, cudaError: 'cudaErrorIllegalAddress', message: 'runtime report' }, stage);
  }
  assert.deepEqual(crashEvidence(runError('report', { stage: 'launch' })), { kind: 'report', stage: 'launch', message: 'runtime report' });
  // Found through the causes a job wraps it in.
  const wrapped = new Error('evaluating candidate 3', { cause: new Error('running', { cause: runError('timeout') }) });
  assert.equal(crashEvidence(wrapped)?.kind, 'timeout');
});

test("failures that are not the candidate's doing stay errors: no device, allocation, arguments, loading, a cancel, a missing runtime", { timeout: 10_000 }, () => {
  for (const stage of ['device', 'alloc', 'args', 'io', 'load']) assert.equal(crashEvidence(runError('report', { stage })), undefined, stage);
  assert.equal(crashEvidence(runError('report')), undefined, 'a report without a stage');
  for (const kind of ['cancelled', 'not-found'] as const) assert.equal(crashEvidence(runError(kind)), undefined, kind);
  assert.equal(crashEvidence(new Error('disk full')), undefined);
  assert.equal(crashEvidence('a string'), undefined);
  assert.equal(crashEvidence(undefined), undefined);
});

test('a poison byte is a whole number 0..255, repeated over the element width', { timeout: 10_000 }, () => {
  assert.equal(poisonPattern(0xab, 4), 0xababababn);
  assert.equal(poisonPattern(0, 2), 0n);
  assert.equal(poisonPattern(0xff, 8), 0xffffffffffffffffn);
  assert.equal(poisonPattern(0xff, 1), 0xffn);
  for (const bad of [-1, 256, 1.5, Number.NaN]) assert.throws(() => poisonPattern(bad, 4), /poison byte must be 0\.\.255/, String(bad));
});
