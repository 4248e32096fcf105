// Our folders on this machine (cache, scratch, locks, manifest) are ours alone, and a cached file is used only when
// its content is what we recorded. The second-user attack itself is in cache-attack.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isOwned, recordOwned } from '../../server/src/targets/owned-files';
import { ensurePrivateDir, privateDir, privateRoot } from '../../server/src/targets/private-dir';
import { createScratch, withScratch } from '../../server/src/targets/scratch';

const root = mkdtempSync(join(tmpdir(), 'kp-private-'));
const saved = process.env.XDG_CACHE_HOME;
process.env.XDG_CACHE_HOME = join(root, 'cache');
after(() => {
  if (saved === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved;
  rmSync(root, { recursive: true, force: true });
});
const isRoot = process.getuid?.() === 0;

test('the private root follows XDG_CACHE_HOME (absolute only) and is created 0700', async () => {
  assert.equal(privateRoot({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/kernelpilot');
  assert.match(privateRoot({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/kernelpilot$/);
  const builds = await privateDir('builds');
  assert.equal(builds, join(root, 'cache', 'kernelpilot', 'builds'));
  assert.equal(statSync(builds).mode & 0o777, 0o700);
  assert.equal(statSync(join(root, 'cache', 'kernelpilot')).mode & 0o777, 0o700);
});

test('a folder writable by others, a link, shell characters or an unsafe parent are refused with what to do', async () => {
  const open = join(root, 'open');
  mkdirSync(open, { mode: 0o700 });
  chmodSync(open, 0o777);
  await assert.rejects(ensurePrivateDir(open, 'build cache'), /is writable by other users \(mode 777\); run 'chmod go-w/);
  const link = join(root, 'link');
  symlinkSync(join(root, 'cache'), link);
  await assert.rejects(ensurePrivateDir(link, 'build cache'), /is a symbolic link/);
  await assert.rejects(ensurePrivateDir(join(root, 'x $(id)'), 'build cache'), /has characters nvcc's shell would interpret/);
  // A world-writable parent without the sticky bit lets anyone rename our folder away and put theirs there.
  const shared = join(root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  await assert.rejects(ensurePrivateDir(join(shared, 'mine'), 'build cache'), /is not private: .*shared is writable by other users/);
  chmodSync(shared, 0o1777); // /tmp's mode: only an entry's owner can rename it
  assert.equal(await ensurePrivateDir(join(shared, 'mine'), 'build cache'), join(shared, 'mine'));
});

test('a folder another user owns is refused', { skip: isRoot ? false : 'needs root to give a folder to another uid' }, async () => {
  const theirs = join(root, 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  chownSync(theirs, 65534, 65534);
  await assert.rejects(ensurePrivateDir(theirs, 'build cache'), /belongs to another user \(uid 65534, you are 0\)/);
});

test('a recorded file is ours only while its content is unchanged', async () => {
  const dir = await ensurePrivateDir(join(root, 'owned'), 'test');
  const file = join(dir, 'harness');
  writeFileSync(file, 'built by us');
  assert.equal(await isOwned(file), false, 'never recorded');
  await recordOwned(file);
  assert.equal(await isOwned(file), true);
  writeFileSync(file, 'planted');
  assert.equal(await isOwned(file), false, 'changed after recording');
  assert.equal(await isOwned(join(dir, 'missing')), false);
});

test('scratch folders go when their work ends, also when it throws, and at process exit', async () => {
  const scratchRoot = await ensurePrivateDir(join(root, 'scratch'), 'scratch');
  let seen = '';
  await assert.rejects(withScratch('check', async (dir) => {
    seen = dir;
    writeFileSync(join(dir, 'kp_source.cu'), 'x');
    throw new Error('nvcc failed');
  }, scratchRoot), /nvcc failed/);
  assert.equal(existsSync(seen), false);
  const kept = await createScratch('check', scratchRoot);
  assert.ok(existsSync(kept.dir));
  await kept.remove();

  // A process that ends with its scratch folder still in use removes it in its `exit` listener.
  const program = `require(${JSON.stringify(join(__dirname, '../../server/src/targets/scratch.ts'))}).createScratch('job', ${JSON.stringify(scratchRoot)}).then(() => process.exit(0));`;
  const child = spawnSync(process.execPath, ['--import', './scripts/ts.mjs', '-e', program], { cwd: join(__dirname, '../..'), encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(readdirSync(scratchRoot), []);

  // One left by a process killed outright (no exit listener) is removed by the next process that makes one.
  const orphan = join(scratchRoot, 'check-999999999-abcdef');
  mkdirSync(orphan);
  const next = await createScratch('check', join(root, 'scratch'));
  await next.remove();
  assert.equal(existsSync(orphan), false);
});
