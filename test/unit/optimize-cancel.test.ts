// `kernelpilot optimize` (the shipped dist/cli.js) cancelled on the stand-in GPU, whose nvcc and gate runtime are
// real processes (fake-gpu-bin.ts): SIGTERM while candidates compile, Ctrl-C while the gate runtime evaluates one.
// Afterwards no process of the run is left (/proc), the record says the run was cancelled, the exit code says how
// it ended, and `report` reads the record.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliPath, processesMentioning, sleep } from '../lsp/client';
import { fakeGpuBin } from './fake-gpu-bin';
import { EXAMPLES, tempDir } from './harness-helpers';
import type { RunEvent } from '../../server/src/optimize/record';

interface Case {
  root: string;
  workspace: string;
  started: string;
  env: Record<string, string>;
}

function setup(hang: 'nvcc' | 'runtime'): Case {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  const root = tempDir(`optimize-cancel-${hang}`);
  const workspace = join(root, 'ws');
  const started = join(root, 'started');
  for (const d of [workspace, started, join(root, 'tmp'), join(root, 'cache')]) mkdirSync(d, { recursive: true });
  copyFileSync(join(EXAMPLES, 'vector_add', 'vector_add.cu'), join(workspace, 'vector_add.cu'));
  const spec = JSON.parse(readFileSync(join(EXAMPLES, 'vector_add', 'vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(workspace, 'small.spec.json'), JSON.stringify({ ...spec, file: 'vector_add.cu', sizes: { n: 1024 }, sweep: undefined }));
  const env = { ...fakeGpuBin(root, { hang, started }), TMPDIR: join(root, 'tmp'), XDG_CACHE_HOME: join(root, 'cache') };
  return { root, workspace, started, env };
}

async function until(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const children = new Set<ReturnType<typeof spawn>>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

function cli(c: Case, args: string[]): { exited: Promise<number | null>; stdout: () => string; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: c.workspace, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.resume();
  return { exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), stdout: () => out, kill: (signal) => child.kill(signal) };
}

const optimizeArgs = ['optimize', 'vector_add.cu', '--spec', 'small.spec.json', '--no-model', '--rounds', '2', '--candidates', '3', '--no-sandbox'];

function lastStop(c: Case): Extract<RunEvent, { kind: 'stop' }> & { run: string } {
  const runs = join(c.workspace, '.kernelpilot', 'runs');
  const run = readdirSync(runs).find((d) => existsSync(join(runs, d, 'optimize.json'))) ?? assert.fail('no optimize run was recorded');
  const events = readFileSync(join(runs, run, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  const stop = events.filter((e) => e.kind === 'stop').at(-1) ?? assert.fail(`no stop event in ${JSON.stringify(events)}`);
  return { ...(stop as Extract<RunEvent, { kind: 'stop' }>), run };
}

test('SIGTERM while candidates compile: exit 143, no nvcc left, the record says cancelled and report reads it', { timeout: 120_000 }, async () => {
  const c = setup('nvcc');
  const run = cli(c, optimizeArgs);
  await until('candidate compiles to start', () => readdirSync(c.started).filter((f) => f.startsWith('nvcc-')).length >= 1);
  assert.ok(processesMentioning(c.root).some((p) => / nvcc /.test(p.args)), 'a compiler is running');
  run.kill('SIGTERM');
  assert.equal(await run.exited, 143);
  await until(`no process of the run (${JSON.stringify(processesMentioning(c.root))})`, () => processesMentioning(c.root).length === 0, 10_000);
  const stop = lastStop(c);
  assert.equal(stop.reason, 'cancelled');
  assert.match(stop.detail, /the process ended \(SIGTERM\) before the run finished/);
  const report = cli(c, ['report', stop.run, '--json']);
  assert.equal(await report.exited, 0, report.stdout());
  assert.match((JSON.parse(report.stdout()) as { status: string }).status, /^stopped: cancelled/);
});

test('Ctrl-C while the gate runtime evaluates a candidate: it ends itself, exit 130, no runtime left, resumable', { timeout: 120_000 }, async () => {
  const c = setup('runtime');
  const run = cli(c, optimizeArgs);
  await until('the gate runtime to evaluate a candidate', () => readdirSync(c.started).some((f) => f.startsWith('runtime-')));
  assert.ok(processesMentioning(c.root).some((p) => / runtime evaluate /.test(p.args)), 'the runtime is running');
  run.kill('SIGINT');
  assert.equal(await run.exited, 130);
  assert.match(run.stdout(), /stopped: cancelled \(cancelled\)/);
  assert.match(run.stdout(), /cancelled: resume with --resume \S+/);
  await until(`no process of the run (${JSON.stringify(processesMentioning(c.root))})`, () => processesMentioning(c.root).length === 0, 10_000);
  assert.equal(lastStop(c).reason, 'cancelled');
});
