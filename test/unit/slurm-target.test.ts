// The Slurm target against a real one-node Slurm (test/unit/slurm.ts: munge, slurmctld, slurmd, a stand-in `gpu`
// gres): one allocation held for the target's life with its pending time reported, commands as steps in it, cancel
// and timeout ending the step on the node (ps), a cancelled wait giving the allocation back, Slurm's refusal
// surfaced, and the CLI's `bench --dry-run --target slurm://…` building in the allocation and cancelling it at exit.
// Needs root and slurm-wlm + munge (.ci/run installs them); the CLI test needs `npm run build` and nvcc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { serviceReady, until } from './service-tests';
import type { createTarget as CreateTarget } from '../../server/src/targets/select';
import type { Target } from '../../server/src/targets/target';
import { bundleForTest } from '../bundle';
import { slurmUnavailable, startSlurm, SLURM_PARTITION, type Slurm } from './slurm';

const unavailable = slurmUnavailable();
let slurm: Slurm | undefined;
const URL = `slurm:///?partition=${SLURM_PARTITION}&gpus=1`;
const cli = join(__dirname, '../../dist/cli.js');

before(() => {
  if (unavailable) return;
  slurm = startSlurm();
  process.env.SLURM_CONF = slurm.conf;
});
after(() => slurm?.stop());

/** The test cluster, or undefined when the test was skipped (a failure under CI=1). */
function cluster(t: TestContext): Slurm | undefined {
  return serviceReady(t, unavailable) ? slurm : undefined;
}

let create: typeof CreateTarget | undefined;
async function target(url = URL): Promise<Target> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  create ??= (require(bundleForTest(join(__dirname, '../../server/src/targets/select.ts'), 'select')) as { createTarget: typeof CreateTarget }).createTarget;
  return create(url, { named: {}, sandbox: () => ({ enabled: true }) });
}

/** Holds the node's only GPU with a job of the test's own until the returned function cancels it. */
function holdTheGpu(s: Slurm): () => void {
  const held = spawnSync('sbatch', ['--parsable', `--partition=${SLURM_PARTITION}`, '--gres=gpu:1', '--output=/dev/null', '--wrap', 'exec sleep 600'], { encoding: 'utf8', env: { ...process.env, SLURM_CONF: s.conf } });
  const id = held.stdout.trim();
  assert.match(id, /^\d+$/, held.stderr);
  return () => void spawnSync('scancel', [id], { env: { ...process.env, SLURM_CONF: s.conf } });
}

const sleeping = (pattern: RegExp) => (spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((line) => pattern.test(line));

test('one allocation, its pending time reported; commands run as steps in it, with its GPU', { timeout: 120_000 }, async (t) => {
  const s = cluster(t);
  if (!s) return;
  const release = holdTheGpu(s);
  const slurmTarget = await target();
  const waits: string[] = [];
  const acquiring = slurmTarget.acquireGpu?.(0, 'test', { onWait: (wait) => waits.push(wait.message) });
  await until(() => (waits.length ? true : undefined));
  assert.match(waits[0], /^Slurm job \d+ pending \((Resources|Priority|None)\), \d+ s so far$/);
  release();
  const done = await acquiring;
  await done?.();
  const ran = await slurmTarget.exec('sh', ['-c', 'echo $((6 * 7)) "$SLURM_JOB_ID" "$CUDA_VISIBLE_DEVICES" "$KP_X"'], { env: { KP_X: 'a b;$(c)' } });
  const [answer, job, gpu, value] = ran.stdout.trim().split(' ');
  assert.equal(answer, '42');
  assert.deepEqual(s.jobs(), [job], 'the command ran in the one allocation');
  assert.equal(gpu, '0', 'the step sees the allocated GPU');
  assert.equal(ran.stdout.trim().split(' ').slice(3).join(' '), 'a b;$(c)', `the environment value arrives literally (${value})`);
  assert.ok((await slurmTarget.exec('kp-no-such-program', [])).notFound);
  await slurmTarget.exec('true', []);
  assert.deepEqual(s.jobs(), [job], 'still one allocation after several commands');
  spawnSync('scancel', [job]);
});

test('cancel and timeout end the step on the node (ps)', { timeout: 120_000 }, async (t) => {
  const s = cluster(t);
  if (!s) return;
  const slurmTarget = await target();
  const controller = new AbortController();
  const run = slurmTarget.exec('sh', ['-c', 'sleep 351 & sleep 352; wait'], { signal: controller.signal });
  await until(() => (sleeping(/^sleep 35[12]$/).length === 2 ? true : undefined));
  controller.abort();
  assert.ok((await run).cancelled);
  await until(() => (sleeping(/sleep 35[12]/).length === 0 ? true : undefined), 10_000).catch(() => undefined);
  assert.deepEqual(sleeping(/sleep 35[12]/), [], 'nothing of the cancelled step is left');
  const timed = await slurmTarget.exec('sleep', ['353'], { timeoutMs: 1500 });
  assert.ok(timed.timedOut && timed.durationMs < 15_000, JSON.stringify(timed));
  await until(() => (sleeping(/sleep 353/).length === 0 ? true : undefined), 10_000).catch(() => undefined);
  assert.deepEqual(sleeping(/sleep 353/), [], 'nothing of the timed-out step is left');
  for (const job of s.jobs()) spawnSync('scancel', [job]);
});

test('a cancelled wait gives the pending allocation back; a request Slurm refuses says why', { timeout: 120_000 }, async (t) => {
  const s = cluster(t);
  if (!s) return;
  const release = holdTheGpu(s);
  try {
    const controller = new AbortController();
    const waiting = (await target()).exec('true', [], { signal: controller.signal });
    await until(() => (s.jobs().length === 2 ? true : undefined));
    controller.abort();
    await assert.rejects(waiting, /cancelled while Slurm job \d+ was pending; it was cancelled \(scancel\)/);
    assert.equal(s.jobs().length, 1, 'only the test’s own job is left');
  } finally {
    release();
  }
  await assert.rejects((await target(`slurm:///?partition=${SLURM_PARTITION}&gpus=8`)).exec('true', []), /Slurm refused the allocation .*--gres=gpu:8.*: sbatch: error: .+/);
  await assert.rejects(target('slurm:///?partition=kp;touch_x'), /partition 'kp;touch_x' is not a Slurm partition/);
});

test('release: the allocation goes back once no command or GPU hold uses it; the editor releases a target it switched away from', { timeout: 120_000 }, async (t) => {
  const s = cluster(t);
  if (!s) return;
  const slurmTarget = await target();
  await slurmTarget.exec('true', []);
  const [job] = s.jobs();
  assert.ok(job, 'a command allocated');
  const free = await slurmTarget.acquireGpu?.(0, 'test', {});
  await slurmTarget.release?.();
  assert.deepEqual(s.jobs(), [job], 'a GPU still held keeps the allocation');
  await free?.();
  await until(() => (s.jobs().length === 0 ? true : undefined));
  await slurmTarget.exec('true', []);
  assert.equal(s.jobs().length, 1, 'a later command allocates again');
  await slurmTarget.release?.();
  await until(() => (s.jobs().length === 0 ? true : undefined));

  // The editor's active target: switching to another one releases the one left behind.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ActiveTarget } = require(bundleForTest(join(__dirname, '../../server/src/lsp/active-target.ts'), 'active-target')) as typeof import('../../server/src/lsp/active-target');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { defaultSettings } = require(bundleForTest(join(__dirname, '../../server/src/settings.ts'), 'settings')) as typeof import('../../server/src/settings');
  let active = URL;
  const editor = new ActiveTarget({ userSettings: () => ({ ...defaultSettings, activeTarget: active }), onSandboxNotice: () => undefined });
  await (await editor.get()).exec('true', []);
  assert.equal(s.jobs().length, 1);
  active = 'local';
  assert.equal((await editor.get()).name, 'local');
  await until(() => (s.jobs().length === 0 ? true : undefined));
});

test('CLI: bench --dry-run --target slurm://… builds in the allocation and gives it back at exit', { timeout: 600_000 }, async (t) => {
  const s = cluster(t);
  if (!s) return;
  if (!existsSync(cli)) assert.fail(`${cli} is missing: run npm run build first`);
  const example = join(__dirname, '../../examples/cuda/vector_add');
  const run = spawnSync(process.execPath, [cli, 'bench', join(example, 'vector_add.cu'), '--kernel', 'vector_add', '--dry-run', '--target', URL, '--workspace', example], { encoding: 'utf8', env: { ...process.env, SLURM_CONF: s.conf }, timeout: 540_000 });
  console.log(`# kernelpilot bench vector_add.cu --kernel vector_add --dry-run --target '${URL}'\n${run.stdout}${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /vector_add: built on target 'slurm:\/\/\/\?partition=kp&gpus=1' \(dry run/);
  await until(() => (s.jobs().length === 0 ? true : undefined), 10_000).catch(() => undefined);
  assert.deepEqual(s.jobs(), [], 'the allocation was cancelled when the command ended');
});
