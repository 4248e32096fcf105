// Bad input as a new user gives it, through the bundled CLI: a clear one-line answer before anything is compiled
// or built. Python or binary files to `check`, Triton and KernelBench files to `spec`/`bench` (with and without
// --kernel), a file over the size limit, a kernel name that is not UTF-8, a parameter with a macro in front of its
// name, a scalar that overflows its `int` parameter or buffers larger than the GPU, and help and version flags.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCommand } from '../../server/src/cli/bench';
import { CliError } from '../../server/src/cli/errors';
import { EXAMPLES, REPO, tempDir } from './harness-helpers';
import { FakeGpuTarget } from './job-fake-gpu';

const cli = join(REPO, 'dist/cli.js');
const skip = !existsSync(cli) && 'dist/cli.js not built (npm run build)';
const dir = tempDir('cli-bad-input');
const kernelBench = join(dir, 'relu.py');
const triton = join(dir, 'tri.py');
copyFileSync(join(REPO, 'test/fixtures/discovery/kernelbench/level1_19_ReLU.py'), kernelBench);
copyFileSync(join(REPO, 'test/fixtures/discovery/triton_basic.py'), triton);

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One `kernelpilot: …` line on stderr, no stack trace, exit 1. */
function refused(r: ReturnType<typeof run>, pattern: RegExp): string {
  assert.equal(r.status, 1, r.stderr + r.stdout);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('· '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  return lines[0];
}

test('check refuses Python, binary and oversized files before nvcc, in one line', { skip, timeout: 60_000 }, () => {
  refused(run('check', kernelBench), /relu\.py is not a CUDA file \(\.cu, \.cuh, or C\/C\+\+ with a __global__ function\) — nothing to check$/);
  const binary = join(dir, 'blob.cu');
  const bytes = Buffer.alloc(20_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
  writeFileSync(binary, bytes);
  refused(run('check', binary), /blob\.cu is not checked: binary content/);
  const huge = join(dir, 'huge.cu');
  writeFileSync(huge, '__global__ void k(float* p) {}\n' + `// ${'x'.repeat(120)}\n`.repeat(140_000));
  refused(run('check', huge), /huge\.cu is not checked: file too large \(17\.\d MB > 16 MB\)/);
  refused(run('spec', huge), /huge\.cu: file too large/);
  refused(run('bench', huge, '--dry-run'), /huge\.cu: file too large/);
  refused(run('compare', huge, '--candidate', huge, '--dry-run'), /huge\.cu: file too large/);
  const listed = run('kernels', huge);
  assert.match(listed.stderr, /file too large/);
});

test('spec, bench and optimize on KernelBench files: the same refusal with and without --kernel; a Triton file needs --kernel when it has several', { skip, timeout: 60_000 }, () => {
  const kb = refused(run('spec', kernelBench), /^kernelpilot: Model is a KernelBench model: gate a task's ModelNew solutions with 'kernelpilot kernelbench TASK\.py --solutions DIR'$/);
  assert.equal(refused(run('spec', kernelBench, '--kernel', 'Model'), /kernelbench/), kb);
  assert.equal(refused(run('bench', kernelBench, '--dry-run'), /kernelbench/), kb);
  assert.equal(refused(run('bench', kernelBench, '--kernel', 'Model', '--dry-run'), /kernelbench/), kb);
  // optimize on a KernelBench Model needs a model (no built-in search for a task), refused before any work.
  refused(run('optimize', kernelBench, '--no-model'), /^kernelpilot: a KernelBench task has no built-in search \(there is no kernel of its own to tune\): its ModelNew candidates come from a model; set KERNELPILOT_API_KEY/);
  refused(run('spec', triton), /^kernelpilot: .*tri\.py has 2 Triton kernels \(_square, add_kernel\): name one with --kernel$/);
});

test('a kernel name that is not UTF-8 is reported, not renamed; a macro before a parameter name keeps the name', { skip, timeout: 60_000 }, () => {
  const garbled = join(dir, 'garbled.cu');
  writeFileSync(garbled, Buffer.from('__global__ void k\xff\xfeq(float* p, int n) { p[0] = n; }\n', 'latin1'));
  const listed = run('kernels', garbled);
  assert.match(listed.stderr, /the kernel declared as '__global__ void k\uFFFD\uFFFDq\(float\* p, int n\)' has bytes that are not valid UTF-8/);
  assert.doesNotMatch(listed.stdout, /\bq\b/);
  refused(run('spec', garbled), /no GPU kernels found .*not valid UTF-8/);
  const macro = join(dir, 'macro.cu');
  writeFileSync(macro, '#define KP_RESTRICT __restrict__\n__global__ void add(const float* KP_RESTRICT in, float* KP_RESTRICT out, int n) { int i = threadIdx.x; if (i < n) out[i] = in[i]; }\n');
  const spec = run('spec', macro);
  assert.equal(spec.status, 0, spec.stderr);
  assert.match(spec.stdout, /^ {3}0 {2}input {3}in +float32 +\[n\]/m);
  assert.match(spec.stdout, /^ {3}1 {2}output {2}out +float32/m);
});

test('spec without --write says nothing was written; --help per command; --version', { skip, timeout: 60_000 }, () => {
  const spec = run('spec', join(EXAMPLES, 'vector_add/vector_add.cu'), '--kernel', 'vector_add', '--workspace', dir);
  assert.equal(spec.status, 0, spec.stderr);
  assert.match(spec.stdout, /spec file: .*vector_add\.json \(not written: --write saves it there\)$/m);
  assert.ok(!existsSync(join(dir, '.kernelpilot', 'specs', 'vector_add.json')));
  for (const command of ['kernels', 'check', 'spec', 'bench', 'compare', 'lsp']) {
    const help = run(command, '--help');
    assert.equal(help.status, 0, `${command} --help`);
    assert.match(help.stdout, new RegExp(`^usage: kernelpilot ${command} `), `${command} --help prints its own usage`);
    assert.doesNotMatch(help.stdout, /^commands:/m, `${command} --help is not the overview`);
  }
  assert.match(run('help', 'bench').stdout, /^usage: kernelpilot bench FILE/);
  assert.match(run('--help').stdout, /^commands:/m);
  const version = run('--version');
  assert.equal(version.status, 0);
  assert.equal(version.stdout, `kernelpilot ${(JSON.parse(spawnSync('cat', [join(REPO, 'package.json')], { encoding: 'utf8' }).stdout) as { version: string }).version}\n`);
  assert.equal(run('-V').stdout, version.stdout);
  const unknown = run('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});

test('sizes that cannot run are refused before any build, naming the spec field', { timeout: 60_000 }, async () => {
  const spec = (n: number, shape = 'n') =>
    JSON.stringify({
      version: 1,
      kernel: 'vector_add',
      sizes: { n },
      args: [
        { name: 'a', role: 'input', dtype: 'float32', shape: [shape], init: { kind: 'uniform', low: -1, high: 1 } },
        { name: 'b', role: 'input', dtype: 'float32', shape: [shape], init: { kind: 'uniform', low: -1, high: 1 } },
        { name: 'c', role: 'output', dtype: 'float32', shape: [shape] },
        { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
      ],
      launch: { grid: ['cdiv(n, 256)'], block: ['256'] },
    });
  const attempt = async (text: string, dryRun: boolean) => {
    const specPath = join(dir, `sizes-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(specPath, text);
    const target = new FakeGpuTarget(4096);
    const error = await benchCommand([join(EXAMPLES, 'vector_add/vector_add.cu')], { spec: specPath, dryRun, json: false, workspace: dir }, { target, progress: () => undefined, buildCacheDir: join(dir, 'builds') }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CliError, String(error));
    assert.equal(target.runs.length, 0, 'nothing ran');
    assert.ok(!existsSync(join(dir, 'builds')), 'nothing was built');
    return error.message;
  };
  // `int n` = 3 000 000 000 arrives as a negative number: refused even for a dry run.
  assert.match(await attempt(spec(3_000_000_000, '1'), true), /args\[3\] \(n\) is 3000000000 \(from 'n'\), which does not fit the kernel's int parameter \(-2147483648 … 2147483647\)/);
  // 3 × 8e9 floats = 96 GB on an 80 GB H100.
  assert.match(await attempt(spec(8_000_000_000, 'n').replace('"dtype":"int32","value":"n"', '"dtype":"int32","value":"1024"'), false), /the buffers need 96\.0 GB but GPU 0 \(NVIDIA H100 80GB HBM3\) has 85\.5 GB; the largest is args\[0\] \(a, shape \[n\]\)/);
});
