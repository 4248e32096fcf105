// A gate run ended by a sandbox limit (a fork storm, an output flood, CPU time) is a rejected candidate with the
// limit as its reason (the `runs` probe), not a failed job.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashEvidence } from '../../server/src/bench/crash';
import { probesOf, verdictOf } from '../../server/src/derive/probes';
import { HarnessRunError, runGate } from '../../server/src/harness/run';
import type { BenchSpec } from '../../server/src/benchspec/model';
import type { ExecResult, Target } from '../../server/src/targets/target';
import { onThisMachine } from '../../server/src/targets/this-machine';

const limited: Target = onThisMachine({
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
});

const spec: BenchSpec = { version: 1, kernel: 'k', sizes: { n: 8 }, args: [{ name: 'out', role: 'output', dtype: 'float32', shape: ['n'] }], launch: { grid: ['1'], block: ['32'] } };

test('a run ended by a sandbox limit rejects the candidate with the limit named', { timeout: 10_000 }, async () => {
  const command = { mode: 'evaluate' as const, baseline: '/b.so', candidate: '/c.so', seeds: [1, 2, 3], timeSeed: 1, warmup: 1, pairs: 2, sets: 1, time: true };
  const error = await runGate('/scratch/kp_gate', command, { target: limited }).then(
    () => assert.fail('the run must fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HarnessRunError);
  assert.equal(error.kind, 'sandbox-limit');
  const crash = crashEvidence(error);
  assert.equal(crash?.kind, 'sandbox-limit');
  const probes = probesOf(spec, { plan: { seeds: [1, 2, 3], sweep: [], sizes: spec.sizes }, checks: [], state: [], ...(crash ? { crash } : {}) });
  const runs = probes.find((p) => p.name === 'runs');
  assert.equal(runs?.passed, false);
  assert.match(runs?.reason ?? '', /^the candidate failed: the evaluate run wrote more than the sandbox's limit of 1048576 bytes of output and was ended/);
  assert.deepEqual(verdictOf(probes).failed, ['runs']);
});
