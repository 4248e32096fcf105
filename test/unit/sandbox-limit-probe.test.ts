// A harness run ended by a sandbox limit (a fork storm, an output flood, CPU time) is a rejected candidate with
// the limit as its reason (the `runs` probe), not a failed job.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashProbe } from '../../server/src/bench/runs-probe';
import { HarnessRunError, runHarness } from '../../server/src/harness/run';
import type { ExecResult, Target } from '../../server/src/targets/target';

const limited: Target = {
  name: 'stub',
  exec: async (file, args): Promise<ExecResult> => ({
    command: [file, ...args].join(' '),
    exitCode: undefined,
    stdout: 'flood\n'.repeat(10),
    stderr: '',
    timedOut: false,
    cancelled: false,
    notFound: false,
    durationMs: 5,
    sandboxed: true,
    limit: { kind: 'output', message: "wrote more than the sandbox's limit of 1048576 bytes of output and was ended" },
  }),
};

test('a run ended by a sandbox limit rejects the candidate with the limit named', { timeout: 10_000 }, async () => {
  const error = await runHarness('/scratch/harness', { mode: 'time', seed: 1, warmup: 1, iters: 2, sets: 1 }, { target: limited }).then(
    () => assert.fail('the run must fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HarnessRunError);
  assert.equal(error.kind, 'sandbox-limit');
  const probe = crashProbe(error, 'while timed (round 1)');
  assert.equal(probe?.name, 'runs');
  assert.equal(probe?.passed, false);
  assert.match(probe?.reason ?? '', /^the candidate failed while timed \(round 1\): the time run wrote more than the sandbox's limit of 1048576 bytes of output and was ended/);
});
