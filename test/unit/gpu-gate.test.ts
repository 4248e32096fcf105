// The one GPU gate (server/src/targets/gpu-gate.ts): jobs of one process queue per GPU, another process's hold is
// waited for and named, a cancelled wait leaves the queue, a dead holder's lock is taken over; and two bench jobs
// run at once build side by side while only one at a time uses the GPU.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { benchKernel } from '../../server/src/bench/job';
import { GpuGate, type GpuWait } from '../../server/src/targets/gpu-gate';
import type { ExecOptions, ExecResult } from '../../server/src/targets/target';
import { FakeGpuTarget } from './job-fake-gpu';
import { EXAMPLES, REPO, tempDir } from './harness-helpers';

const fresh = () => mkdtempSync(join(tmpdir(), 'kp-gpu-gate-'));
const gateIn = (folder: string) => new GpuGate({ folder: () => folder, host: 'testhost', pollMs: 20 });
const settle = (ms = 120) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the GPU gate', { timeout: 60_000 }, () => {
  it('in one process: a second job queues behind the first, in order; another GPU is free', async () => {
    const gate = gateIn(fresh());
    const order: string[] = [];
    const waits: GpuWait[] = [];
    const first = await gate.acquire(0, 'benchmarking a');
    const second = gate.acquire(0, 'benchmarking b', { onWait: (w) => waits.push(w) }).then((release) => (order.push('b'), release));
    const third = gate.acquire(0, 'benchmarking c').then((release) => (order.push('c'), release));
    await settle();
    assert.deepEqual(order, [], 'both wait');
    assert.deepEqual(waits, [{ kind: 'queued', message: 'queued behind another benchmark (benchmarking a)' }]);
    await (await gate.acquire(1, 'benchmarking d'))();
    await first();
    await (await second)();
    await (await third)();
    assert.deepEqual(order, ['b', 'c']);
  });

  it('across processes: waits for another process\'s hold, naming it and its pid', async () => {
    const folder = fresh();
    const holder = spawn(process.execPath, ['--import', './scripts/ts.mjs', 'test/unit/gpu-gate-holder.ts', folder, 'testhost', '0', 'benchmarking in a terminal'], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
      });
      const waits: GpuWait[] = [];
      let acquired = false;
      const pending = gateIn(folder).acquire(0, 'benchmarking in the editor', { onWait: (w) => waits.push(w) }).then((release) => ((acquired = true), release));
      await settle(300);
      assert.equal(acquired, false);
      assert.deepEqual(waits, [{ kind: 'held', pid: holder.pid, message: `waiting for GPU 0, in use by benchmarking in a terminal (pid ${holder.pid})` }]);
      holder.stdin.end();
      await (await pending)();
      assert.deepEqual(readdirSync(folder), [], 'no lock left behind');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('cancel while waiting gives up the wait and leaves the queue (in process and across processes)', async () => {
    const folder = fresh();
    const gate = gateIn(folder);
    const release = await gate.acquire(0, 'benchmarking a');
    const abort = new AbortController();
    const waiting = gate.acquire(0, 'benchmarking b', { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(waiting, (e: Error) => e.name === 'AbortError');
    await release();
    await (await gate.acquire(0, 'benchmarking c'))(); // not blocked by the cancelled waiter
    // Held by another process (a lock file of a live pid): the cancel ends the polling wait too.
    writeFileSync(join(folder, 'gpu-testhost-0.lock'), `${process.ppid}\n\ntoken\nbenchmarking elsewhere\n`);
    const other = new AbortController();
    const polling = gateIn(folder).acquire(0, 'benchmarking d', { signal: other.signal });
    setTimeout(() => other.abort(), 100);
    await assert.rejects(polling, (e: Error) => e.name === 'AbortError');
  });

  it('a dead holder\'s lock is taken over, also when its pid now names another process', async () => {
    const folder = fresh();
    writeFileSync(join(folder, 'gpu-testhost-0.lock'), '99999999\n1\ntoken\nbenchmarking a crashed job\n');
    await (await gateIn(folder).acquire(0, 'benchmarking b'))();
    // A live pid (our parent's) with another start time: the pid was reused after the holder died.
    writeFileSync(join(folder, 'gpu-testhost-0.lock'), `${process.ppid}\n1\ntoken\nbenchmarking a crashed job\n`);
    await (await gateIn(folder).acquire(0, 'benchmarking c'))();
    assert.deepEqual(readdirSync(folder), []);
  });
});

/** The stand-in GPU with slow GPU runs, noting when each job's processes ran. */
class SlowGpu extends FakeGpuTarget {
  readonly timeline: { job: string; kind: 'build' | 'gpu'; start: number; end: number }[] = [];
  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const start = performance.now();
    const gpu = file !== 'nvcc' && file !== 'nvidia-smi';
    if (gpu) await settle(30);
    const result = await super.exec(file, args, options);
    const job = /job-gate-(\w+)/.exec(`${file} ${options.cwd ?? ''}`)?.[1] ?? '?';
    if (file !== 'nvidia-smi') this.timeline.push({ job, kind: gpu ? 'gpu' : 'build', start, end: performance.now() });
    return result;
  }
}

it('two bench jobs at once: both build at once, one at a time on the GPU, the waiting one told why', { timeout: 120_000 }, async () => {
  const target = new SlowGpu(4096);
  const spec = JSON.parse(readFileSync(join(EXAMPLES, 'vector_add', 'vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  const waits: Record<string, (GpuWait | undefined)[]> = { a: [], b: [] };
  const jobs = ['a', 'b'].map((job) => {
    const workspace = tempDir(`job-gate-${job}`);
    const file = join(workspace, 'vector_add.cu');
    writeFileSync(file, `// job ${job}\n${readFileSync(join(EXAMPLES, 'vector_add', 'vector_add.cu'), 'utf8')}`);
    const specPath = join(workspace, 'spec.json');
    // No sweep: the stand-in computes every point of the baseline's checks for real.
    writeFileSync(specPath, JSON.stringify({ ...spec, sizes: { n: 4096 }, sweep: undefined, file: undefined }));
    return benchKernel({ file, kernel: 'vector_add', specPath, workspace, target, buildCacheDir: join(workspace, 'builds'), ceilingsPath: join(workspace, 'ceilings.json'), seeds: [1, 2, 3], timeSeed: 5, iters: 10, onGpuWait: (w) => waits[job].push(w) });
  });
  await Promise.all(jobs);
  const gpu = (job: string) => target.timeline.filter((e) => e.job === job && e.kind === 'gpu');
  const span = (job: string) => ({ start: Math.min(...gpu(job).map((e) => e.start)), end: Math.max(...gpu(job).map((e) => e.end)) });
  const [first, second] = span('a').start < span('b').start ? ['a', 'b'] : ['b', 'a'];
  // Each bench job is two GPU processes of the gate runtime (the ceilings, then the baseline's checks and timing).
  assert.ok(gpu('a').length >= 2 && gpu('b').length >= 2, 'both used the GPU');
  assert.ok(span(first).end <= span(second).start, `the GPU phases do not overlap: ${JSON.stringify([span(first), span(second)])}`);
  const secondBuilds = target.timeline.filter((e) => e.job === second && e.kind === 'build');
  assert.ok(secondBuilds.length > 0 && Math.max(...secondBuilds.map((e) => e.end)) < span(first).end, 'the waiting job built while the first used the GPU');
  assert.equal(waits[second][0]?.kind, 'queued');
  assert.match(waits[second][0]?.message ?? '', /^queued behind another benchmark \(benchmarking vector_add\)$/);
  assert.equal(waits[second].at(-1), undefined, 'told when the wait ended');
  assert.deepEqual(waits[first], [undefined]);
});
