// Both sides of the harness contract at its edges: which byte patterns poison may be, which stdout lines count
// as a report, and what a refused run carries for the person reading the error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poisonPattern } from '../../server/src/harness/poison';
import { HarnessRunError, parseReport, runHarness } from '../../server/src/harness/run';
import type { Target } from '../../server/src/targets/target';

test('a poison byte is a whole number 0..255, repeated over the element width', { timeout: 10_000 }, () => {
  assert.equal(poisonPattern(0xab, 4), 0xababababn);
  assert.equal(poisonPattern(0, 2), 0n);
  assert.equal(poisonPattern(255, 8), 0xffffffffffffffffn);
  for (const bad of [-1, 256, 1.5, Number.NaN]) assert.throws(() => poisonPattern(bad, 4), /poison byte must be 0\.\.255/, String(bad));
});

test('a report is the last whole {"kind": …} object line; other JSON, arrays and kinds that are not names are not', { timeout: 10_000 }, () => {
  const check = { kind: 'check', seed: 1 };
  assert.deepEqual(parseReport(`   ${JSON.stringify(check)}   \n`), check, 'surrounding blanks');
  assert.deepEqual(parseReport(`${JSON.stringify({ kind: 'time' })}\n${JSON.stringify(check)}`), check, 'the last one');
  assert.equal(parseReport('{"kind":5}'), undefined);
  assert.equal(parseReport('{"kind":null}'), undefined);
  assert.equal(parseReport('{"seed":1,"kind":"check"}'), undefined, 'a line must start with the kind');
  assert.equal(parseReport(''), undefined);
});

test('a refused run carries its exit code, output and command; only the last stderr lines go in the message', { timeout: 10_000 }, async () => {
  const result = { command: 'h check', exitCode: 3, stdout: 'out', stderr: ['1', '2', '3', '4', '5', '6', '7'].join('\n'), timedOut: false, cancelled: false, notFound: false, durationMs: 1 };
  const target: Target = { name: 't', exec: async () => result };
  const error = await runHarness('h', { mode: 'ceilings' }, { target }).catch((e: unknown) => e);
  assert.ok(error instanceof HarnessRunError);
  assert.equal(error.name, 'HarnessRunError');
  assert.deepEqual(error.details, { exitCode: 3, stdout: 'out', stderr: result.stderr, command: 'h check' });
  assert.match(error.message, /exited with code 3 on target 't' without printing a report .*; stderr: 3 \| 4 \| 5 \| 6 \| 7$/);
  assert.equal(error.stage, undefined);
  const quiet = await runHarness('h', { mode: 'ceilings' }, { target: { name: 't', exec: async () => ({ ...result, stderr: ' \n' }) } }).catch((e: unknown) => e);
  assert.match((quiet as Error).message, /out of memory\)$/);
});
