// What the SSH target says to ssh and to the remote shell, without a server: destinations that could smuggle an
// ssh option are refused, and the remote wrapper, run by this machine's own `sh`, hands every name to the program
// as one literal argument (spaces, quotes, $(), backticks, ;, newlines) and runs none of them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { shellPayloads } from './shell-payloads';
import { parseSshDestination, remoteKillScript, remoteScript, rsyncRsh, sshRunArgs, STARTED_MARK } from '../../server/src/targets/ssh-command';

const root = mkdtempSync(join(tmpdir(), 'kp-ssh-command-'));
const markers = join(root, 'markers');
mkdirSync(markers);
after(() => rmSync(root, { recursive: true, force: true }));

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Runs a wrapper script by `sh` with its stdin held open until it exits, as the ssh channel is: the wrapper's
 * watcher ends the group when stdin closes, so a closed stdin (spawnSync's) would race the command.
 */
function runWrapper(script: string, env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((done) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      child.stdin.end();
      done({ status, stdout, stderr });
    }),
  );
}

/** Polls `probe` every 50 ms until it gives a value (10 s at most). */
async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error('timed out waiting');
}

test('destinations: URLs and Host aliases parse; anything ssh could read as an option or a second word is refused', { timeout: 10_000 }, () => {
  assert.deepEqual(parseSshDestination('ssh://alice@gpu1.example.org:2222'), { user: 'alice', host: 'gpu1.example.org', port: 2222 });
  assert.deepEqual(parseSshDestination('ssh://gpu-box'), { host: 'gpu-box' });
  assert.deepEqual(parseSshDestination('gpu-box'), { host: 'gpu-box' });
  assert.deepEqual(parseSshDestination('ssh://[::1]:22'), { host: '[::1]', port: 22 });
  for (const bad of ['ssh://-oProxyCommand=touch_x', '-oProxyCommand=touch', 'ssh://a b', 'ssh://h;id', 'ssh://-l@h', 'ssh://u@h:0', 'ssh://u@h:99999', 'ssh://h/path', 'ssh://$(id)']) {
    assert.throws(() => parseSshDestination(bad), /is not/, bad);
  }
  const args = sshRunArgs({ host: 'h', user: 'u', port: 22 }, { controlDir: '/c' }, 'true');
  assert.equal(args[args.indexOf('--') + 1], 'h', 'the host comes after --, so it can never be an option');
  assert.ok(!args.some((a) => /StrictHostKeyChecking/i.test(a)), 'host keys stay checked as the user configured');
  assert.throws(() => rsyncRsh('ssh', { host: 'h' }, { controlDir: "/it's" }), /single quote/);
});

test("the remote wrapper, run by sh: every name is one literal argument, in the working folder and environment given, and nothing runs", { timeout: 30_000 }, async () => {
  const names = shellPayloads(markers, 'arg');
  const cwd = join(root, names.filter((n) => !n.includes('/') && n !== '' && n !== '.' ).join('|').slice(0, 120));
  mkdirSync(cwd, { recursive: true });
  const pidFile = join(root, 'run.pid');
  const script = remoteScript({ file: 'sh', args: ['-c', 'printf "%s\\0" "$@"; pwd; printf "%s" "$KP_VALUE"', 'sh', ...names], cwd, env: { KP_VALUE: names.join('|'), KP_UNSET: undefined }, pidFile });
  const run = await runWrapper(script, { ...process.env, KP_UNSET: 'x' });
  assert.equal(run.status, 0, run.stderr);
  const [args, rest] = [run.stdout.split('\0').slice(0, -1), run.stdout.split('\0').at(-1) ?? ''];
  assert.deepEqual(args, names);
  assert.equal(rest, `${cwd}\n${names.join('|')}`);
  assert.match(run.stderr, new RegExp(STARTED_MARK));
  assert.deepEqual(readdirSync(markers), [], 'no payload ran');
  assert.throws(() => remoteScript({ file: 'x', args: [], env: { 'A;touch': 'v' }, pidFile }), /not an environment variable name/);
});

test('the wrapper: a program that is not there is said so; input reaches the program; a cancel or a closed channel ends the whole group', { timeout: 30_000 }, async () => {
  const pidFile = join(root, 'kill.pid');
  const missing = await runWrapper(remoteScript({ file: 'kp-no-such-program', args: [], pidFile }));
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /not found: kp-no-such-program/);
  const input = 'line one\n$(touch x)\n';
  const echoed = spawnSync('sh', ['-c', remoteScript({ file: 'cat', args: [], pidFile, inputBytes: Buffer.byteLength(input) })], { input, encoding: 'utf8', timeout: 10_000 });
  assert.equal(echoed.stdout, input);
  // A group of three sleeps, ended once by the kill script (a cancel) and once by closing the wrapper's stdin (the
  // ssh channel closed): neither leaves a process.
  for (const end of ['kill script', 'channel closed'] as const) {
    const wrapper = spawn('sh', ['-c', remoteScript({ file: 'sh', args: ['-c', 'sleep 311 & sleep 311 & sleep 311'], pidFile })], { stdio: ['pipe', 'ignore', 'ignore'] });
    const pgid = await until(() => Number(readIfThere(pidFile)) || undefined);
    const members = () => spawnSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' }).stdout.trim();
    await until(() => (members().split('\n').length >= 3 ? true : undefined));
    if (end === 'kill script') assert.equal(spawnSync('sh', ['-c', remoteKillScript(pidFile)]).status, 0);
    else wrapper.stdin.end();
    await until(() => (members() === '' ? true : undefined));
    await new Promise((done) => (wrapper.exitCode !== null ? done(undefined) : wrapper.once('exit', done)));
    assert.equal(members(), '', `${end}: the whole group ended`);
  }
});
