// compile_commands.json lookup and flag extraction, on throwaway project trees.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compileFlagsFor, extractFlags, findCompileCommands, pickEntry, splitCommand } from '../../server/src/check/compileCommands';

const root = mkdtempSync(join(tmpdir(), 'kp-ccdb-'));
after(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

test('a CMake-style `command` string: quoting, relative -I, response files, and only front-end flags kept', async () => {
  const dir = project('cmake', {
    'src/a.cu': '',
    'build/CMakeFiles/app.dir/includes_CUDA.rsp': '-I/abs/inc -isystem ../third_party/cutlass/include "-I../dir with space"',
  });
  const build = join(dir, 'build');
  const flags = await extractFlags({
    directory: build,
    file: join(dir, 'src/a.cu'),
    command: `/usr/local/cuda/bin/nvcc -forward-unknown-to-host-compiler -DUSE_FAST=1 -D "NAME=\\"x y\\"" -UNDEBUG --options-file CMakeFiles/app.dir/includes_CUDA.rsp -O3 -std=c++17 "--generate-code=arch=compute_90,code=[compute_90,sm_90]" --expt-relaxed-constexpr -expt-extended-lambda -Xcompiler=-fPIC -x cu -c ${dir}/src/a.cu -o CMakeFiles/app.dir/src/a.cu.o`,
  });
  assert.deepEqual(flags, {
    includePaths: ['/abs/inc', join(dir, 'dir with space')],
    systemIncludePaths: [join(dir, 'third_party/cutlass/include')],
    defines: ['USE_FAST=1', 'NAME="x y"'],
    undefines: ['NDEBUG'],
    std: 'c++17',
    switches: ['--expt-relaxed-constexpr', '--expt-extended-lambda'],
    warnings: [],
  });
});

test('an `arguments` array with every spelling of the options', async () => {
  const flags = await extractFlags({
    directory: '/proj/build',
    file: 'k.cu',
    arguments: ['nvcc', '-I', 'inc', '--include-path=gen', '--include-path', '/x', '-isystem/sys', '--define-macro', 'A', '--define-macro=B=2', '--std', 'c++20', '--extended-lambda', '-c', 'k.cu'],
  });
  assert.deepEqual([flags.includePaths, flags.systemIncludePaths, flags.defines, flags.std, flags.switches], [
    ['/proj/build/inc', '/proj/build/gen', '/x'], ['/sys'], ['A', 'B=2'], 'c++20', ['--extended-lambda'],
  ]);
});

test('a missing response file is a warning, not a failure', async () => {
  const flags = await extractFlags({ directory: '/nonexistent', file: 'a.cu', command: 'nvcc --options-file inc.rsp -DX a.cu' });
  assert.deepEqual(flags.defines, ['X']);
  assert.match(flags.warnings[0], /Cannot read response file \/nonexistent\/inc\.rsp/);
});

test('shell words: operators end the command, variables stay literal', () => {
  assert.deepEqual(splitCommand('nvcc -I$HOME/inc a.cu && echo done'), ['nvcc', '-I$HOME/inc', 'a.cu']);
});

test('lookup: beside the file, in build/, up to the workspace root, and an explicit path', async () => {
  const dir = project('lookup', {
    'build/compile_commands.json': '[]',
    'sub/deep/k.cu': '',
    'other/compile_commands.json': '[]',
    'elsewhere/x/k.cu': '',
  });
  assert.equal(await findCompileCommands({ file: join(dir, 'sub/deep/k.cu'), roots: [dir] }), join(dir, 'build/compile_commands.json'));
  assert.equal(await findCompileCommands({ file: join(dir, 'other/k.cu'), roots: [dir] }), join(dir, 'other/compile_commands.json'));
  assert.equal(await findCompileCommands({ file: join(dir, 'sub/k.cu'), roots: [dir], explicitPath: 'other' }), join(dir, 'other/compile_commands.json'));
  assert.equal(await findCompileCommands({ file: join(dir, 'sub/k.cu'), roots: [dir], explicitPath: 'nope' }), undefined);
  // The walk stops at the root: a database above it is not this workspace's.
  assert.equal(await findCompileCommands({ file: join(dir, 'elsewhere/x/k.cu'), roots: [join(dir, 'elsewhere')] }), undefined);
  // A file outside every workspace folder searches nothing (it used to walk up to /).
  assert.equal(await findCompileCommands({ file: join(dir, 'sub/deep/k.cu'), roots: [join(dir, 'elsewhere')] }), undefined);
  assert.equal(await findCompileCommands({ file: join(dir, 'sub/deep/k.cu'), roots: [] }), undefined);
});

test('picking the entry: exact, else a same-folder CUDA neighbour (headers), else nothing unrelated', () => {
  const entries = [
    { directory: '/p/build', file: '../src/a.cpp', arguments: ['c++', '-DCPP'] },
    { directory: '/p/build', file: '../src/b.cu', arguments: ['nvcc', '-DCU'] },
    { directory: '/p/build', file: '/p/tools/t.cu', arguments: ['nvcc', '-DTOOLS'] },
  ];
  assert.deepEqual(pickEntry(entries, '/p/src/a.cpp'), { entry: entries[0], exact: true });
  assert.deepEqual(pickEntry(entries, '/p/src/kernels.cuh'), { entry: entries[1], exact: false });
  assert.deepEqual(pickEntry(entries, '/p/src/nested/x.cuh'), { entry: entries[1], exact: false });
  assert.equal(pickEntry(entries, '/q/z.cu'), undefined);
});

test('compileFlagsFor end to end on a project tree', async () => {
  const dir = project('e2e', { 'src/k.cu': '' });
  const entry = { directory: join(dir, 'build'), file: '../src/k.cu', arguments: ['nvcc', '-I../include', '-DTILE=64', '-c', '../src/k.cu'] };
  mkdirSync(join(dir, 'build'));
  writeFileSync(join(dir, 'build/compile_commands.json'), JSON.stringify([entry, { bogus: true }]));
  const found = await compileFlagsFor({ file: join(dir, 'src/k.cu'), roots: [dir] });
  assert.deepEqual(found && { ...found, flags: [found.flags.includePaths, found.flags.defines] }, {
    database: join(dir, 'build/compile_commands.json'),
    entryFile: join(dir, 'src/k.cu'),
    exact: true,
    flags: [[join(dir, 'include')], ['TILE=64']],
  });
  assert.equal(await compileFlagsFor({ file: join(root, 'nowhere.cu'), roots: [join(root, 'empty')] }), undefined);
});
