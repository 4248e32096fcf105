// runStaticCheck end to end with the real nvcc (CUDA 13.0 here) and c++filt. No GPU needed.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { resolveCompileFlags } from '../../server/src/check/compile-flags';
import { runStaticCheck } from '../../server/src/check/run';
import { localTarget } from './local-target';

const fixtures = join(__dirname, '../fixtures/check');
const target = localTarget();
const scratchRoot = mkdtempSync(join(tmpdir(), 'kp-check-test-'));
after(() => rmSync(scratchRoot, { recursive: true, force: true }));

/** What `nvcc -Xptxas -v` itself prints, per entry, to compare against. */
async function nvccRegisters(file: string, extra: string[] = []): Promise<Record<string, number>> {
  const out = join(scratchRoot, 'direct.cubin');
  const run = await target.exec('nvcc', ['-arch=sm_90', '-cubin', '-Xptxas', '-v', '-o', out, ...extra, file]);
  assert.equal(run.exitCode, 0, run.stderr);
  const registers: Record<string, number> = {};
  let entry = '';
  for (const line of run.stderr.split('\n')) {
    const e = /Compiling entry function '([^']+)'/.exec(line);
    if (e) entry = e[1];
    const r = /Used (\d+) registers/.exec(line);
    if (r && entry) registers[entry] = Number(r[1]);
  }
  return registers;
}

test('templates, extern "C", a host main: registers equal what nvcc -Xptxas -v prints, names demangled', async () => {
  const file = join(fixtures, 'kernels.cu');
  const result = await runStaticCheck(target, { file, arch: 'sm_90', scratchRoot });
  assert.equal(result.error, undefined);
  assert.equal(result.ok, true);
  assert.equal(result.arch, 'sm_90');
  assert.equal(result.demangler, 'c++filt');
  assert.match(result.nvccVersion ?? '', /^\d+\.\d+\.\d+$/);
  assert.deepEqual(result.diagnostics, []);
  // The copy under a fixed name, the file's folder through a link: nothing of the user's names reaches nvcc's shell.
  assert.match(result.command, /^nvcc -arch=sm_90 -cubin -Xptxas -v -lineinfo -o \S+\/out\.cubin -I \S+\/kp_inc0 -x cu \S+\/kp_source\.cu$/);
  const direct = await nvccRegisters(file);
  assert.deepEqual(Object.fromEntries(result.resources.map((r) => [r.mangledName, r.registers])), direct);
  assert.deepEqual(
    result.resources.map((r) => [r.qualifiedName, r.templateArgs, r.sharedMemBytes]).sort(),
    [['ns::k', ['double', '64'], 512], ['ns::k', ['float', '128'], 512], ['saxpy', [], 0]],
  );
  // ns::never_instantiated has no instance, so no entry.
  assert.ok(!result.resources.some((r) => r.qualifiedName.includes('never')));
});

test('spills with -maxrregcount=16 through the flags', async () => {
  const file = join(fixtures, 'spills.cu');
  const result = await runStaticCheck(target, { file, flags: { args: ['-maxrregcount=16'] }, scratchRoot });
  assert.equal(result.ok, true);
  const spilly = result.resources.find((r) => r.name === 'spilly');
  assert.equal(spilly?.registers, (await nvccRegisters(file, ['-maxrregcount=16']))._Z6spillyPKfPfii);
  assert.ok((spilly?.spillStoreBytes ?? 0) > 0 && (spilly?.spillLoadBytes ?? 0) > 0, 'spills reported');
  // ptxas warns that 16 is below the minimum; that warning reaches the diagnostics.
  assert.ok(result.diagnostics.some((d) => d.source === 'ptxas' && d.severity === 'warning' && /register count of 16/.test(d.message)));
});

test('a file with errors: diagnostics on the right lines and columns, no tool error', async () => {
  const file = join(fixtures, 'broken.cu');
  const result = await runStaticCheck(target, { file, scratchRoot });
  assert.equal(result.ok, false);
  assert.equal(result.error, undefined);
  assert.deepEqual(result.diagnostics.map((d) => [d.file, d.line, d.column, d.severity]), [
    [file, 3, 11, 'error'],
    [file, 5, 21, 'error'],
    [file, 2, 6, 'warning'],
  ]);
});

test('unsaved text: lines map to the original path, includes beside it resolve, nothing is written beside it', async () => {
  const file = join(fixtures, 'unsaved_view.cu'); // does not exist on disk: only the editor has it
  const text = ['#include "helper.cuh"', '__global__ void k(float* p) {', '  p[0] = twice(p[0]);', '  p[1] = not_declared;', '}', ''].join('\n');
  const before = readdirSync(fixtures);
  const result = await runStaticCheck(target, { file, text, scratchRoot });
  assert.deepEqual(result.diagnostics.map((d) => [d.file, d.line, d.column, d.message]), [[file, 3, 9, 'identifier "not_declared" is undefined']]);
  assert.deepEqual(readdirSync(fixtures), before);
  assert.deepEqual(readdirSync(scratchRoot).filter((f) => f.startsWith('check-')), [], 'scratch folder removed');

  const fixed = await runStaticCheck(target, { file, text: text.replace('not_declared', '3.0f'), scratchRoot });
  assert.equal(fixed.ok, true);
  assert.deepEqual(fixed.resources.map((r) => r.qualifiedName), ['k']);
});

test('unsaved text with an error inside an included header points at the header', async () => {
  const dir = mkdtempSync(join(scratchRoot, 'proj-'));
  writeFileSync(join(dir, 'bad.cuh'), '#pragma once\n__device__ int f() { return missing_in_header; }\n');
  const result = await runStaticCheck(target, { file: join(dir, 'main.cu'), text: '#include "bad.cuh"\n__global__ void k(int* p) { p[0] = f(); }\n', scratchRoot });
  assert.deepEqual(result.diagnostics.map((d) => [d.file, d.line, d.column]), [[join(dir, 'bad.cuh'), 1, 28]]);
});

test('flags from compile_commands.json make a file compile that does not without them', async () => {
  const project = mkdtempSync(join(scratchRoot, 'ccdb-'));
  cpSync(join(fixtures, 'needs_flags'), project, { recursive: true });
  const file = join(project, 'src/tiled.cu');
  const entry = { directory: join(project, 'build'), file: '../src/tiled.cu', command: 'nvcc -I../include -DTILE=64 -O3 -c ../src/tiled.cu -o tiled.o' };
  writeFileSync(join(project, 'compile_commands.json'), JSON.stringify([entry]));

  const without = await runStaticCheck(target, { file, scratchRoot });
  assert.equal(without.ok, false);
  assert.equal(without.diagnostics[0]?.file, file);
  assert.equal(without.diagnostics[0]?.line, 1, 'the #include line');

  const flags = await resolveCompileFlags({ file, roots: [project], cuda: { nvccPath: 'nvcc', includePaths: [], defines: [], extraArgs: [], compileCommands: '' }, origins: {} });
  assert.deepEqual([flags.includeDirs, flags.macros, flags.refused], [[join(project, 'include')], [{ op: 'define', name: 'TILE', value: '64' }], []]);
  const withFlags = await runStaticCheck(target, { file, flags, scratchRoot });
  assert.equal(withFlags.ok, true, JSON.stringify(withFlags.diagnostics));
  assert.deepEqual(withFlags.resources.map((r) => [r.name, r.sharedMemBytes]), [['tiled', 64 * 4]]);
});

test('nvcc missing: the clear message', async () => {
  const result = await runStaticCheck(target, { file: join(fixtures, 'kernels.cu'), flags: { nvcc: '/opt/no-cuda/bin/nvcc' }, scratchRoot });
  assert.equal(result.ok, false);
  assert.deepEqual(result.error, { kind: 'notFound', message: `nvcc not found at '/opt/no-cuda/bin/nvcc'. Install the CUDA toolkit or set "kernelpilot.cuda.nvccPath".` });
});

test('arch: spellings are normalised; nonsense and unsupported archs are explained', async () => {
  const normalised = await runStaticCheck(target, { file: join(fixtures, 'broken.cu'), arch: '9.0', scratchRoot });
  assert.equal(normalised.arch, 'sm_90');
  const nonsense = await runStaticCheck(target, { file: join(fixtures, 'kernels.cu'), arch: 'banana', scratchRoot });
  assert.equal(nonsense.error?.kind, 'invalidArch');
  assert.equal(nonsense.command, '', 'nothing was run');
  const old = await runStaticCheck(target, { file: join(fixtures, 'kernels.cu'), arch: 'sm_70', scratchRoot });
  assert.equal(old.error?.kind, 'invalidArch');
  assert.match(old.error?.message ?? '', /cannot compile for sm_70/);
});

/** Processes whose command line mentions `needle` (Linux /proc). */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle) && Number(pid) !== process.pid) found.push(`${pid}: ${cmdline}`);
    } catch {
      // Gone already.
    }
  }
  return found;
}

test('timeout: reported as such, quickly, and the whole nvcc tree is gone', async () => {
  const dir = mkdtempSync(join(scratchRoot, 'slow-'));
  const file = join(dir, 'slow_timeout.cu'); // a unique name to find stray processes by
  cpSync(join(fixtures, 'slow.cu'), file);
  const started = Date.now();
  const result = await runStaticCheck(target, { file, timeoutMs: 500, scratchRoot });
  assert.equal(result.error?.kind, 'timeout');
  assert.match(result.error?.message ?? '', /did not finish within 500 ms/);
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(processesMentioning('slow_timeout'), []);
});

test('cancel: reported distinctly from a timeout', async () => {
  const dir = mkdtempSync(join(scratchRoot, 'cancel-'));
  const file = join(dir, 'slow_cancel.cu');
  cpSync(join(fixtures, 'slow.cu'), file);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const result = await runStaticCheck(target, { file, signal: controller.signal, scratchRoot });
  assert.deepEqual(result.error, { kind: 'cancelled', message: 'The check was cancelled.' });
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(processesMentioning('slow_cancel'), []);
  assert.ok(existsSync(dirname(file)));
});
