// The shared-cache attack with a real second local user: on a shared GPU machine another user plants a gate
// runtime executable, a kernel version's shared object and a GPU lock where KernelPilot used to keep them ($TMPDIR/kernelpilot, predictable and
// shared), and in the new per-user location when that is pointed at a folder they control. None of it may be used
// or run: the victim builds in its own private folder, refuses a cache folder another user owns, and rebuilds a
// cached file whose content is not what it recorded. Needs root (useradd, runuser), nvcc and `npm run build`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { GpuGate } from '../../server/src/targets/gpu-gate';

const repo = join(__dirname, '..', '..');
const cli = join(repo, 'dist', 'cli.js');
const ATTACKER = 'kp-attacker';
const skip = process.getuid?.() !== 0 ? 'needs root to add a second local user (useradd) and act as them (runuser); CI runs as root' : false;

const base = mkdtempSync('/tmp/kp-attack-');
after(() => rmSync(base, { recursive: true, force: true }));
const shared = join(base, 'tmp'); // the TMPDIR both users share, with /tmp's mode
const markers = join(base, 'markers');
const project = join(base, 'project');
const report: string[] = [];
const say = (line: string) => {
  report.push(line);
  console.log(`# cache attack: ${line}`);
};

function sh(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(run.status, 0, `${command} ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

function asAttacker(script: string): void {
  sh('runuser', ['-u', ATTACKER, '--', 'sh', '-c', script]);
}

/** `bench --dry-run` as the victim (root), with the shared TMPDIR and the given XDG_CACHE_HOME. */
function victimBuild(cacheHome: string): { status: number | null; out: string; binary?: string; runtime?: string } {
  const run = spawnSync(process.execPath, [cli, 'bench', join(project, 'vector_add.cu'), '--spec', join(project, 'vector_add.spec.json'), '--dry-run', '--workspace', project], {
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: shared, XDG_CACHE_HOME: cacheHome },
    timeout: 300_000,
  });
  const out = `${run.stdout}${run.stderr}`;
  return { status: run.status, out, binary: /^baseline: (\S+)/m.exec(out)?.[1], runtime: /^runtime: (\S+)/m.exec(out)?.[1] };
}

/** Runs `work` in this process with XDG_CACHE_HOME set (the GPU gate reads it when it takes a lock). */
async function withCacheHome<T>(home: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = home;
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
}

/** A program that leaves a marker when run: what the attacker hopes the victim executes. */
const planted = (name: string) => `#!/bin/sh\ntouch ${markers}/${name}-ran-as-$(id -un)\n`;

test('a second user\'s planted runtime, kernel object and lock are never used or run', { skip, timeout: 900_000 }, async () => {
  if (spawnSync('id', [ATTACKER]).status !== 0) sh('useradd', ['-M', '-s', '/bin/sh', ATTACKER]);
  const uid = Number(sh('id', ['-u', ATTACKER]).trim());
  chmodSync(base, 0o755);
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  mkdirSync(markers);
  chmodSync(markers, 0o1777);
  mkdirSync(project);
  for (const f of ['vector_add.cu', 'vector_add.spec.json']) cpSync(join(repo, 'examples', 'cuda', 'vector_add', f), join(project, f));

  // Where the victim's build lands is predictable (a content hash): learn the names from a reference build.
  const reference = victimBuild(join(base, 'reference'));
  assert.equal(reference.status, 0, reference.out);
  const builds = join(base, 'reference', 'kernelpilot', 'builds');
  const harnessDir = basename(dirname(reference.binary ?? ''));
  const runtimeDir = readdirSync(builds).find((d) => d.startsWith('gate-'));
  assert.ok(harnessDir && runtimeDir, reference.out);

  // 1. The old shared location: $TMPDIR/kernelpilot/{builds,locks}, planted by the other user.
  const old = join(shared, 'kernelpilot');
  const lockName = `gpu-${hostname()}-0.lock`;
  asAttacker([
    `mkdir -p ${old}/builds/${harnessDir} ${old}/builds/${runtimeDir} ${old}/locks`,
    `printf '%s' '${planted('runtime')}' > ${old}/builds/${runtimeDir}/kp_gate && chmod 755 ${old}/builds/${runtimeDir}/kp_gate`,
    `printf 'not an object' > ${old}/builds/${harnessDir}/version.so`,
    `(sleep 120 >/dev/null 2>&1 &  printf '%s\\n\\ntoken\\nbenchmarking a planted job\\n' $! > ${old}/locks/${lockName})`,
    `chmod -R a+rwX ${old}`,
  ].join(' && '));
  const victimCache = join(base, 'victim');
  const fresh = victimBuild(victimCache);
  assert.equal(fresh.status, 0, fresh.out);
  assert.ok(fresh.binary?.startsWith(join(victimCache, 'kernelpilot', 'builds')), `built in the private folder: ${fresh.binary}`);
  assert.match(fresh.out, /baseline: \S+ \(built in/, 'built, not taken from a cache');
  assert.doesNotMatch(fresh.out, new RegExp(old), 'the old shared location is not consulted');
  assert.match(fresh.out, /runtime: \S+ \(built in/, 'the runtime built, not taken from a cache');
  for (const built of [fresh.binary, fresh.runtime]) assert.equal(readFileSync(built ?? '').subarray(1, 4).toString(), 'ELF', `its own ${built}, not a planted file`);
  const runtimeRuns = spawnSync(fresh.runtime ?? '', [], { encoding: 'utf8' }); // run what the victim built
  assert.equal(runtimeRuns.error, undefined);
  say(`planted ${old}/builds/${runtimeDir}/kp_gate, ${harnessDir}/version.so and locks/${lockName} as uid ${uid}; the victim built ${fresh.binary} (${/built in [^)]*/.exec(fresh.out)?.[0]}) and ran it; markers: ${JSON.stringify(readdirSync(markers))}`);

  // The planted lock (a live process's pid) does not hold the victim's GPU: locks are per user now.
  const started = Date.now();
  const release = await withCacheHome(victimCache, () => new GpuGate().acquire(0, 'victim job', { signal: AbortSignal.timeout(10_000) }));
  await release();
  say(`the victim took GPU 0's lock in ${Date.now() - started} ms despite the planted ${old}/locks/${lockName}`);

  // 2. The new location, pointed at a folder the other user controls (an XDG_CACHE_HOME on a shared disk).
  const theirs = join(shared, 'shared-cache');
  asAttacker([
    `mkdir -p ${theirs}/kernelpilot/builds/${harnessDir} ${theirs}/kernelpilot/builds/${runtimeDir}`,
    `printf '%s' '${planted('runtime2')}' > ${theirs}/kernelpilot/builds/${runtimeDir}/kp_gate && chmod 755 ${theirs}/kernelpilot/builds/${runtimeDir}/kp_gate`,
    `printf 'not an object' > ${theirs}/kernelpilot/builds/${harnessDir}/version.so`,
    `chmod -R a+rwX ${theirs}`,
  ].join(' && '));
  await assert.rejects(withCacheHome(theirs, () => new GpuGate().acquire(0, 'victim job')), /belongs to another user/, 'nor its locks');
  const refused = victimBuild(theirs);
  assert.equal(refused.status, 1, refused.out);
  assert.match(refused.out, new RegExp(`the KernelPilot cache folder ${theirs}/kernelpilot belongs to another user \\(uid ${uid}, you are 0\\)`));
  say(`XDG_CACHE_HOME=${theirs} (the other user's): refused: ${refused.out.trim().split('\n').pop()}`);
  const emptyTheirs = join(shared, 'shared-cache-2');
  asAttacker(`mkdir -p ${emptyTheirs} && chmod 777 ${emptyTheirs}`);
  const refusedToo = victimBuild(emptyTheirs);
  assert.equal(refusedToo.status, 1, refusedToo.out);
  assert.match(refusedToo.out, /is not private: .* belongs to uid \d+, who could replace it/);
  assert.deepEqual(readdirSync(emptyTheirs), [], 'nothing was created inside their folder');
  say(`XDG_CACHE_HOME=${emptyTheirs} (empty, the other user's): refused: ${refusedToo.out.trim().split('\n').pop()}`);

  // 3. A file swapped inside the victim's own cache (by anyone who could): its hash is not the recorded one, so it
  // is rebuilt, never run.
  writeFileSync(fresh.runtime ?? '', planted('swapped'));
  chmodSync(fresh.runtime ?? '', 0o755);
  const rebuilt = victimBuild(victimCache);
  assert.equal(rebuilt.status, 0, rebuilt.out);
  assert.match(rebuilt.out, /runtime: \S+ \(built in/, `rebuilt, not reused:\n${rebuilt.out}`);
  assert.equal(readFileSync(rebuilt.runtime ?? '').subarray(1, 4).toString(), 'ELF', 'the swapped file was replaced by a real build');
  say(`a runtime swapped in the victim's own cache was rebuilt (${/built in [^)]*/.exec(rebuilt.out)?.[0]}), not run`);

  assert.deepEqual(readdirSync(markers), [], 'nothing planted ran');
  assert.equal(statSync(join(victimCache, 'kernelpilot')).mode & 0o777, 0o700);
  assert.ok(!existsSync(join(shared, 'kernelpilot', 'scratch')), 'no scratch folder in the shared temp dir');
  say(`markers after all steps: ${JSON.stringify(readdirSync(markers))}`);
  const sleeper = Number(readFileSync(join(old, 'locks', lockName), 'utf8').split('\n')[0]);
  if (sleeper > 0) process.kill(sleeper); // the other user's process that held the planted lock
});
