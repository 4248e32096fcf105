// The same build everywhere: a kernel that needs -I and -D checks and builds with the same flags, whether they
// come from the command line or from compile_commands.json, and the run record keeps them. Real nvcc through the
// built CLI; the record through the job on the stand-in GPU.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchKernel, type JobResult } from '../../server/src/bench/job';
import { compileRequest } from '../../server/src/cli/compile-options';
import { readRunRecord } from '../../server/src/runs/record';
import { EXAMPLES, REPO, tempDir } from './harness-helpers';
import { FakeGpuTarget } from './job-fake-gpu';

const cli = join(REPO, 'dist', 'cli.js');

function run(args: string[], cwd: string): { status: number | null; out: string; stdout: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

function project(): { dir: string; file: string; spec: string } {
  const dir = tempDir('same-build');
  cpSync(join(REPO, 'test', 'fixtures', 'check', 'needs_flags'), dir, { recursive: true });
  const spec = join(dir, 'tiled.spec.json');
  writeFileSync(spec, JSON.stringify({
    version: 1, kernel: 'tiled', file: 'src/tiled.cu', sizes: { n: 64 },
    args: [{ name: 'p', role: 'inout', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } }],
    launch: { grid: ['1'], block: ['64'] },
  }));
  return { dir, file: join(dir, 'src', 'tiled.cu'), spec };
}

test('a kernel that needs -I and -D: refused by both without them, checked and built with them (CLI flags, then compile_commands.json)', { timeout: 600_000 }, () => {
  const { dir, file, spec } = project();
  const bench = (extra: string[]) => run(['bench', file, '--spec', spec, '--dry-run', '--json', '--workspace', dir, ...extra], dir);
  const check = (extra: string[]) => run(['check', file, '--workspace', dir, ...extra], dir);

  assert.equal(check([]).status, 1);
  const unbuilt = bench([]);
  assert.equal(unbuilt.status, 1);
  assert.match(unbuilt.out, /tile_config\.h/, unbuilt.out);

  const flags = ['-I', join(dir, 'include'), '-D', 'TILE=64'];
  const checked = check(flags);
  assert.equal(checked.status, 0, checked.out);
  assert.match(checked.out, /tiled\(float\*\)/);
  const built = bench(flags);
  assert.equal(built.status, 0, built.out);
  const dry = JSON.parse(built.stdout) as { builds: Array<{ flags: { includeDirs: string[]; macros: string[] } }> };
  assert.deepEqual([dry.builds[0].flags.includeDirs, dry.builds[0].flags.macros], [[join(dir, 'include')], ['-DTILE=64']]);

  writeFileSync(join(dir, 'compile_commands.json'), JSON.stringify([{ directory: join(dir, 'build'), file: '../src/tiled.cu', command: 'nvcc -I../include -DTILE=64 -O3 -c ../src/tiled.cu -o tiled.o' }]));
  assert.equal(check([]).status, 0, 'compile_commands.json reaches the check');
  const fromDatabase = bench([]);
  assert.equal(fromDatabase.status, 0, `compile_commands.json reaches the benchmark build:\n${fromDatabase.out}`);
  assert.match(fromDatabase.out, /"database": ".*compile_commands\.json"/);
});

test('the run record keeps the flags both sides were built with', { timeout: 120_000 }, async () => {
  const workspace = tempDir('same-build-record');
  const spec = join(workspace, 'small.spec.json');
  const example = JSON.parse(readFileSync(join(EXAMPLES, 'vector_add', 'vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(spec, JSON.stringify({ ...example, sizes: { n: 4096 }, sweep: [] }));
  const result = (await benchKernel({
    file: join(EXAMPLES, 'vector_add', 'vector_add.cu'),
    specPath: spec,
    workspace,
    target: new FakeGpuTarget(4096),
    ceilingsPath: join(workspace, 'ceilings.json'),
    buildCacheDir: join(workspace, 'builds'),
    compile: compileRequest({ includePaths: [join(REPO, 'test', 'fixtures', 'check', 'needs_flags', 'include')], defines: ['TILE=64'], extraArgs: ['--use_fast_math'] }, workspace),
    iters: 5,
  })) as JobResult;
  const record = await readRunRecord(result.runDir);
  assert.deepEqual(record.buildFlags, {
    nvcc: 'nvcc',
    includeDirs: [join(REPO, 'test', 'fixtures', 'check', 'needs_flags', 'include')],
    systemIncludeDirs: [],
    macros: ['-DTILE=64'],
    args: ['--use_fast_math'],
  });
});
