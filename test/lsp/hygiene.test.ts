// Nothing outlives KernelPilot: the server killed during a static check (SIGTERM, its stdin closed, its editor
// killed with SIGKILL) and during a bench job, and the CLI interrupted during a check and a build. A slow fake
// nvcc (it never finishes) stands in for the compiler; afterwards no process of ours is left (/proc) and no
// scratch folder remains under the TMPDIR and XDG_CACHE_HOME the processes were given.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bundleForTest } from '../bundle';
import { cliPath, LspClient, processesMentioning, repoRoot, sleep, uriOf } from './client';
import { kernelsCu, tempDir, writeTemp } from './fixtures';

const dir = tempDir('kp-hygiene-');
after(() => rmSync(dir, { recursive: true, force: true }));

interface Sandbox {
  root: string;
  /** Where the fake nvcc notes each start. */
  started: string;
  nvcc: string;
  env: Record<string, string>;
  file: string;
}

let count = 0;
/** A workspace, private TMPDIR and XDG_CACHE_HOME, and a fake nvcc that answers --version and hangs otherwise. */
function sandbox(): Sandbox {
  const root = join(dir, `case-${++count}`);
  const started = join(root, 'started');
  const bin = join(root, 'bin');
  for (const d of [started, bin, join(root, 'tmp'), join(root, 'cache')]) mkdirSync(d, { recursive: true });
  const nvcc = join(bin, 'nvcc');
  writeFileSync(
    nvcc,
    `#!${process.execPath}\nif (process.argv.includes('--version')) { console.log('Cuda compilation tools, release 13.0, V13.0.0'); process.exit(0); }\nrequire('fs').writeFileSync(${JSON.stringify(started)} + '/nvcc-' + process.pid, process.argv.join(' '));\nsetInterval(() => {}, 1000);\n`,
  );
  chmodSync(nvcc, 0o755);
  const env = { TMPDIR: join(root, 'tmp'), XDG_CACHE_HOME: join(root, 'cache'), PATH: `${bin}:${process.env.PATH ?? ''}` };
  return { root, started, nvcc, env, file: writeTemp(root, 'kernels.cu', kernelsCu) };
}

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const compilerStarted = (s: Sandbox) => readdirSync(s.started).some((f) => f.startsWith('nvcc-'));

/** No process mentions the sandbox (the fake nvcc runs as `node <root>/bin/nvcc …`); none of our scratch folders is left. */
async function assertClean(s: Sandbox, context: string): Promise<void> {
  await until(`${context}: the compilers to be gone (${JSON.stringify(processesMentioning(s.root))})`, () => processesMentioning(s.root).length === 0, 10_000);
  const scratchLeft = [
    ...readdirSync(join(s.root, 'tmp')).filter((f) => f.startsWith('kernelpilot-check-')),
    ...(existsSync(join(s.root, 'cache', 'kernelpilot', 'scratch')) ? readdirSync(join(s.root, 'cache', 'kernelpilot', 'scratch')) : []),
  ];
  scratchChecks.push({ context, left: scratchLeft });
}

// Scratch folders are removed on exit by targets/scratch.ts (the private-folders change); until that is merged the
// check's scratch copy survives a signal, so those findings are a separate, marked test.
const scratchChecks: { context: string; left: string[] }[] = [];

async function serverDuringCheck(s: Sandbox): Promise<LspClient> {
  const client = await LspClient.start({ root: s.root, env: s.env, settings: { cuda: { nvccPath: s.nvcc }, check: { debounceMs: 10 } } });
  await client.open(uriOf(s.file), 'cuda-cpp', kernelsCu);
  await until('the check to start nvcc', () => compilerStarted(s));
  return client;
}

test('SIGTERM to the server during a static check: it exits 143, its compiler with it', { timeout: 60_000 }, async () => {
  const s = sandbox();
  const client = await serverDuringCheck(s);
  client.process.kill('SIGTERM');
  assert.equal(await client.exited, 143, `exit code (signal ${client.exitSignal})`);
  await assertClean(s, 'SIGTERM');
  await client.dispose();
});

test('stdin closed during a static check: the server exits, its compiler with it', { timeout: 60_000 }, async () => {
  const s = sandbox();
  const client = await serverDuringCheck(s);
  client.process.stdin.end();
  await client.exited;
  await assertClean(s, 'stdin closed');
  await client.dispose();
});

test('the editor killed with SIGKILL during a static check: the server notices and ends its compiler', { timeout: 60_000 }, async () => {
  const s = sandbox();
  const editor = spawn(process.execPath, ['--import', join(repoRoot, 'scripts/ts.mjs'), join(__dirname, 'hygiene-editor.ts'), s.root, s.file, s.nvcc, s.started], { cwd: repoRoot, env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  editor.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await until('the editor to report its server', () => /server \d+/.test(out), 45_000);
  const server = Number(/server (\d+)/.exec(out)?.[1]);
  editor.kill('SIGKILL');
  await until('the orphaned server to exit', () => !running(server), 15_000);
  await assertClean(s, 'editor SIGKILL');
});

/** Alive and not a zombie (an orphan's zombie waits for init to reap it). */
function running(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('SIGTERM to the server during a bench job\'s build: no compiler survives', { timeout: 90_000 }, async () => {
  const s = sandbox();
  const server = bundleForTest(join(__dirname, 'fake-gpu-server.ts'), 'fake-gpu-server');
  // The stand-in GPU for everything but nvcc, which is the slow fake on PATH (KP_REAL_NVCC runs `nvcc` for real).
  const client = await LspClient.start({ root: s.root, serverArgs: [server, '--stdio'], env: { ...s.env, KP_REAL_NVCC: '1', KP_FAKE_N: '4096' }, settings: { check: { onOpen: false, onSave: false } } });
  const uri = uriOf(s.file);
  await client.open(uri, 'cuda-cpp', kernelsCu);
  assert.match(String(await client.executeCommand('kernelpilot.server.benchmark', [uri, 'vector_add'])), /benchmarking vector_add/);
  await until('the build to start nvcc', () => compilerStarted(s), 45_000);
  client.process.kill('SIGTERM');
  assert.equal(await client.exited, 143);
  await assertClean(s, 'bench job');
  await client.dispose();
});

async function cliDuring(s: Sandbox, args: string[], signal: NodeJS.Signals): Promise<number | null> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: s.root, env: { ...process.env, ...s.env }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await until(`kernelpilot ${args[0]} to start nvcc`, () => compilerStarted(s), 45_000);
  child.kill(signal);
  return exited;
}

test('the CLI interrupted (SIGINT) during check and terminated (SIGTERM) during a build: nothing left running', { timeout: 120_000 }, async () => {
  const check = sandbox();
  assert.equal(await cliDuring(check, ['check', check.file, '--nvcc-path', check.nvcc, '--arch', 'sm_90'], 'SIGINT'), 130);
  await assertClean(check, 'kernelpilot check, SIGINT');
  const build = sandbox();
  assert.equal(await cliDuring(build, ['bench', build.file, '--kernel', 'vector_add', '--dry-run', '--arch', 'sm_90', '--workspace', build.root], 'SIGTERM'), 143);
  await assertClean(build, 'kernelpilot bench --dry-run, SIGTERM');
  // Ctrl-C during a job cancels it: its compiler dies at once, and the command ends by itself, saying so.
  const interrupted = sandbox();
  const started = Date.now();
  assert.equal(await cliDuring(interrupted, ['bench', interrupted.file, '--kernel', 'vector_add', '--dry-run', '--arch', 'sm_90', '--workspace', interrupted.root], 'SIGINT'), 1);
  assert.ok(Date.now() - started < 60_000);
  await assertClean(interrupted, 'kernelpilot bench --dry-run, SIGINT');
});

test('no scratch folder survives any of the above', { timeout: 10_000 }, () => {
  assert.ok(scratchChecks.length >= 6, `${scratchChecks.length} cases ran`);
  assert.deepEqual(scratchChecks.filter((c) => c.left.length > 0), []);
});
