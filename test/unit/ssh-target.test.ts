// The SSH target against a real OpenSSH server on 127.0.0.1 (test/unit/sshd.ts: a dedicated user and key, reached
// only through an ssh config Host entry, host key pinned and checked): file transfer both ways (rsync and tar),
// commands with hostile names, a CPU command and the toolkit there, cancel and timeout with `ps` on the target, the
// CLI's `bench --dry-run --target ssh://…` building on the target (also a file in a folder named with shell syntax),
// and sshd killed mid-job. Needs root, openssh-server and rsync (.ci/run installs them) and, for the CLI test,
// `npm run build` and nvcc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { serviceReady, until } from './service-tests';
import type { SshTargetOptions } from '../../server/src/targets/ssh';
import { startSshd, sshdUnavailable, SSH_HOST_ALIAS, SSH_OTHER_ALIAS, type Sshd } from './sshd';
import { sshTarget } from './ssh-target';
import { shellPayloads } from './shell-payloads';

const unavailable = sshdUnavailable();
let sshd: Sshd | undefined;
const root = mkdtempSync('/tmp/kp-ssh-target-');
chmodSync(root, 0o755);
const markers = join(root, 'markers');
mkdirSync(markers);
chmodSync(markers, 0o1777);
const URL = `ssh://${SSH_HOST_ALIAS}`;
const cli = join(__dirname, '../../dist/cli.js');

before(async () => {
  if (!unavailable) sshd = await startSshd();
});
after(() => {
  sshd?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The loopback server, or undefined when the test was skipped (a failure under CI=1). */
function server(t: TestContext): Sshd | undefined {
  return serviceReady(t, unavailable) ? sshd : undefined;
}

function target(s: Sshd, extra: Partial<SshTargetOptions> = {}) {
  return sshTarget({ destination: { host: SSH_HOST_ALIAS }, sshConfig: s.configFile, ...extra });
}

/** Marker files any evaluated payload made: in the markers folder, or (a relative `touch`) anywhere in the remote home. */
function markersLeft(s: Sshd): string[] {
  const remote = spawnSync('find', [s.home, '-name', 'kpm_*'], { encoding: 'utf8' }).stdout.trim();
  return [...readdirSync(markers), ...(remote ? remote.split('\n') : [])];
}

const running = (s: Sshd, pattern: RegExp) => s.userProcesses().filter((p) => pattern.test(p.command));

test('commands: every hostile name reaches the remote program as one literal argument, working folder and variable included, and nothing runs', { timeout: 120_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  const ssh = target(s);
  const names = shellPayloads(markers, 'kpm_arg');
  const echoed = await ssh.exec('printf', ['%s\\0', ...names]);
  assert.equal(echoed.exitCode, 0, echoed.stderr);
  assert.deepEqual(echoed.stdout.split('\0').slice(0, -1), names);
  const env = await ssh.exec('printenv', ['KP_VALUE'], { env: { KP_VALUE: names.join('|') } });
  assert.equal(env.stdout, `${names.join('|')}\n`);
  // A folder named with the payloads (relative touches: a marker would land in the remote home), put there and used as the working folder.
  const folder = join(root, shellPayloads('.', 'kpm_dir').filter((n) => n && !n.includes('/')).join(' ').replace(/\//g, '_'));
  mkdirSync(folder);
  await ssh.put([folder]);
  const pwd = await ssh.exec('pwd', [], { cwd: ssh.targetPath(folder) });
  assert.equal(pwd.stdout, `${ssh.targetPath(folder)}\n`);
  const missing = await ssh.exec('kp-no-such-program', ['$(touch kpm_missing)']);
  assert.ok(missing.notFound, 'a program the target lacks is reported as not found');
  assert.deepEqual(markersLeft(s), [], 'no payload ran');
});

test('file transfer, rsync and tar: hostile names, links followed, bytes intact both ways', { timeout: 120_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  for (const transfer of ['auto', 'tar'] as const) {
    const ssh = target(s, { transfer });
    const dir = join(root, `tree ${transfer} $(touch kpm_tree) '"; x`);
    mkdirSync(join(dir, 'sub\nline'), { recursive: true });
    const bytes = randomBytes(200_000);
    const file = join(dir, 'sub\nline', "data it's;.bin");
    writeFileSync(file, bytes);
    writeFileSync(join(root, `real-${transfer}.h`), '#define REAL 1\n');
    symlinkSync(join(root, `real-${transfer}.h`), join(dir, 'link.h'));
    await ssh.put([dir]);
    const back = join(root, `back-${transfer}.bin`);
    await ssh.get(ssh.targetPath(file), back);
    assert.ok(readFileSync(back).equals(bytes), `${transfer}: the file came back byte for byte`);
    const link = await ssh.exec('sh', ['-c', 'test ! -L "$1" && cat "$1"', 'sh', ssh.targetPath(join(dir, 'link.h'))]);
    assert.equal(link.stdout, '#define REAL 1\n', `${transfer}: a link arrives as the file it points to`);
    // Changed content is copied again.
    writeFileSync(file, Buffer.from('changed'));
    await ssh.put([dir]);
    assert.equal((await ssh.exec('cat', [ssh.targetPath(file)])).stdout, 'changed');
    const mode = await ssh.exec('stat', ['-c', '%a', join(ssh.targetPath('/'), '..')]);
    assert.equal(mode.stdout.trim(), '700', 'our folder on the target is private');
  }
  assert.deepEqual(markersLeft(s), []);
});

test('a CPU command, the toolkit, tool paths and environment lines on the target', { timeout: 120_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  const ssh = target(s, { tools: { 'kp-echo': '/bin/echo' }, envLines: ['KP_FROM_LINE=from-env-line; export KP_FROM_LINE'] });
  assert.equal((await ssh.exec('sh', ['-c', 'echo $((6 * 7)) $(id -un)'])).stdout, `42 kpremote\n`);
  assert.equal((await ssh.exec('kp-echo', ['via tool path'])).stdout, 'via tool path\n');
  assert.equal((await ssh.exec('printenv', ['KP_FROM_LINE'])).stdout, 'from-env-line\n');
  const nvcc = await ssh.exec('nvcc', ['--version']);
  assert.equal(nvcc.exitCode, 0, `nvcc on the target: ${nvcc.stderr}`);
  assert.deepEqual(await ssh.heldGpus(), [], 'no GPU on this machine: an empty list, not an error');
  assert.equal(await ssh.cores(), availableParallelism(), 'its cores, for parallel compiles (the same machine here)');
  const scratch = await ssh.createScratch('probe');
  assert.equal((await ssh.exec('test', ['-d', scratch.dir])).exitCode, 0);
  await scratch.remove();
  assert.notEqual((await ssh.exec('test', ['-d', scratch.dir])).exitCode, 0, 'a removed scratch folder is gone');
});

test('cancel and timeout mid-run leave no process on the target (ps)', { timeout: 120_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  const ssh = target(s);
  const controller = new AbortController();
  const started = performance.now();
  const run = ssh.exec('sh', ['-c', 'sleep 321 & sleep 322 & wait'], { signal: controller.signal });
  await until(() => (running(s, /^sleep 32[12]$/).length === 2 ? true : undefined));
  controller.abort();
  const cancelled = await run;
  assert.ok(cancelled.cancelled && !cancelled.timedOut, JSON.stringify(cancelled));
  await until(() => (running(s, /sleep 32[12]|sh -c sleep/).length === 0 ? true : undefined), 5000).catch(() => undefined);
  assert.deepEqual(running(s, /sleep 32[12]|sh -c/), [], 'nothing of the cancelled command is left');
  const timed = await ssh.exec('sleep', ['323'], { timeoutMs: 1500 });
  assert.ok(timed.timedOut, JSON.stringify(timed));
  assert.ok(timed.durationMs < 10_000, `the timeout ended it in time (${timed.durationMs} ms)`);
  await until(() => (running(s, /sleep 323/).length === 0 ? true : undefined), 5000).catch(() => undefined);
  assert.deepEqual(running(s, /sleep 323|sh -c/), [], 'nothing of the timed-out command is left');
  assert.ok(performance.now() - started < 60_000);
});

test('CLI: bench --dry-run --target ssh://HOST builds the gate runtime and the baseline on the target; a folder named with shell syntax runs nothing', { timeout: 600_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  if (!existsSync(cli)) assert.fail(`${cli} is missing: run npm run build first`);
  const config = join(root, 'config');
  mkdirSync(join(config, 'kernelpilot'), { recursive: true });
  writeFileSync(join(config, 'kernelpilot', 'targets.json'), JSON.stringify({ [URL]: { sshConfig: s.configFile } }));
  const folder = join(root, `ws $(touch kpm_ws) \`touch kpm_tick\` ;touch kpm_semi; 'q'`);
  mkdirSync(folder);
  copyFileSync(join(__dirname, '../../examples/cuda/vector_add/vector_add.cu'), join(folder, 'vector_add.cu'));
  const run = spawnSync(process.execPath, [cli, 'bench', join(folder, 'vector_add.cu'), '--kernel', 'vector_add', '--dry-run', '--target', URL, '--workspace', folder], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CONFIG_HOME: config },
    timeout: 540_000,
  });
  console.log(`# kernelpilot bench vector_add.cu --kernel vector_add --dry-run --target ${URL}\n${run.stdout}${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`vector_add: built on target '${URL}' \\(dry run`));
  // nvcc ran there: the target's copy of the baseline's build folder holds what it compiled.
  const baselineDir = /^baseline: (.*)\/version\.so/m.exec(run.stdout)?.[1] ?? '';
  const remoteDir = join(s.home, '.cache/kernelpilot/remote/files', baselineDir);
  assert.ok(readdirSync(remoteDir).some((f) => f.startsWith('version.so')), `the object was built on the target, in ${remoteDir}`);
  assert.ok(existsSync(join(s.home, '.cache/kernelpilot/remote/files', folder, 'vector_add.cu')), "the user's file was copied there");
  assert.deepEqual(markersLeft(s), [], 'no payload ran');
  // The static check there too: its nvcc, the file's folder mirrored under a plain name, the messages this machine's.
  const check = spawnSync(process.execPath, [cli, 'check', join(folder, 'vector_add.cu'), '--target', URL, '--arch', 'sm_80', '--workspace', folder, '--json'], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: config }, timeout: 120_000 });
  assert.equal(check.status, 0, check.stderr);
  const checked = JSON.parse(check.stdout) as { file: string; arch: string; command: string; resources: Array<{ name: string }> };
  assert.deepEqual([checked.file, checked.arch, checked.resources.map((r) => r.name)], [join(folder, 'vector_add.cu'), 'sm_80', ['vector_add']]);
  assert.match(checked.command, /\/\.cache\/kernelpilot\/remote\/files\//, 'compiled in the target\'s copy');
  assert.deepEqual(markersLeft(s), [], 'no payload ran');
  const unknown = spawnSync(process.execPath, [cli, 'bench', join(folder, 'vector_add.cu'), '--dry-run', '--target', 'ssh://-oProxyCommand=touch_kpm_proxy'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--target: .*is not a host name/);
});

test("the GPU lock on the target: another client's hold makes an acquire wait, naming it, until released", { timeout: 120_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  // Another client: another host name for the same server, in a bundle of its own (its own queue and local lock).
  const other = sshTarget({ destination: { host: SSH_OTHER_ALIAS }, sshConfig: s.configFile }, 'other');
  const mine = target(s);
  const releaseOther = await other.acquireGpu(0, 'benchmarking k_other', {});
  const giveUp = new AbortController();
  const waits: string[] = [];
  let acquired = false;
  const acquiring = mine.acquireGpu(0, 'benchmarking k_mine', { signal: giveUp.signal, onWait: (wait) => waits.push(wait.message) }).then((release) => ((acquired = true), release));
  try {
    await until(() => (waits.length ? true : undefined));
    assert.match(waits[0], /^waiting for GPU 0 on ssh host 'kp-loop', in use by benchmarking k_other \(from /);
    assert.equal(acquired, false, 'held by the other client: not acquired');
  } catch (error) {
    // A failure must not leave the wait polling (the file would not end).
    giveUp.abort();
    await releaseOther();
    throw error;
  }
  await releaseOther();
  const releaseMine = await acquiring;
  await releaseMine();
  assert.deepEqual(running(s, /flock|sleep 2147483647/), [], 'released: no holder is left on the target');
  // A cancelled wait gives up and leaves nothing behind either.
  const releaseAgain = await other.acquireGpu(0, 'benchmarking k_other', {});
  const controller = new AbortController();
  const waiting = mine.acquireGpu(0, 'benchmarking k_mine', { signal: controller.signal, onWait: () => controller.abort() });
  await assert.rejects(waiting, /cancelled while waiting for GPU 0 on ssh host 'kp-loop'/);
  await releaseAgain();
  await until(() => (running(s, /flock|sleep 2147483647/).length === 0 ? true : undefined), 5000).catch(() => undefined);
  assert.deepEqual(running(s, /flock|sleep 2147483647/), []);
});

// Last: it kills the server.
test('sshd killed mid-job: the running command fails naming the host; later steps retry a bounded number of times, then say so', { timeout: 120_000 }, async (t) => {
  const s = server(t);
  if (!s) return;
  const ssh = target(s, { retries: 2 });
  const run = ssh.exec('sleep', ['331']);
  await until(() => (running(s, /^sleep 331$/).length ? true : undefined));
  s.killServer();
  s.dropConnections();
  await assert.rejects(run, (error: Error) => error.name === 'TargetConnectionError' && /ssh host 'kp-loop'/.test(error.message) && /lost the connection while 'sleep' ran/.test(error.message));
  const started = performance.now();
  await assert.rejects(ssh.exec('true', []), (error: Error) => error.name === 'TargetConnectionError' && /could not start 'true' \(3 tries\) on ssh host 'kp-loop'.*Connection refused/.test(error.message));
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 30, `bounded: ${seconds.toFixed(1)} s`);
  await assert.rejects(ssh.put([root]), /ssh host 'kp-loop'/);
});
