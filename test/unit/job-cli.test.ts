// The CLI's bench/spec commands against the real toolchain on this machine (nvcc, no GPU): `bench --dry-run`
// builds every example's harness; a real bench stops with the no-device message; `spec` shows roles and shapes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCommand } from '../../server/src/cli/bench';
import { CliError } from '../../server/src/cli/errors';
import { specCommand } from '../../server/src/cli/spec';
import { EXAMPLES, mapLimit, REPO, tempDir } from './harness-helpers';
import { localTarget } from './local-target';

const examples = readdirSync(EXAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const quiet = () => undefined;

function kernelOf(example: string): string {
  return (JSON.parse(readFileSync(join(EXAMPLES, example, `${example}.spec.json`), 'utf8')) as { kernel: string }).kernel;
}

test('bench --dry-run builds every example with the real nvcc (cached builds, 2 at a time)', { timeout: 600_000 }, async () => {
  const target = localTarget();
  const workspace = tempDir('job-dry');
  // The default build cache (os.tmpdir()/kernelpilot/builds), so reruns and the other suites share builds.
  const results = await mapLimit(examples, 2, async (example) => {
    const flags = { kernel: kernelOf(example), spec: join(EXAMPLES, example, `${example}.spec.json`), dryRun: true, json: true, workspace };
    const { output, exitCode } = await benchCommand([join(EXAMPLES, example, `${example}.cu`)], flags, { target, progress: quiet });
    return { example, exitCode, json: JSON.parse(output) as { kind: string; builds: Array<{ binary: string; cached: boolean; command?: string }> } };
  });
  for (const r of results) {
    assert.equal(r.exitCode, 0, r.example);
    assert.equal(r.json.kind, 'dry-run');
    assert.ok(existsSync(r.json.builds[0].binary), `${r.example}: ${r.json.builds[0].binary}`);
    if (!r.json.builds[0].cached) assert.match(r.json.builds[0].command ?? '', /nvcc .*-arch=sm_\d+/);
  }
  // Again: every build is a cache hit, nvcc does not run.
  const again = await benchCommand([join(EXAMPLES, 'vector_add/vector_add.cu')], { spec: join(EXAMPLES, 'vector_add/vector_add.spec.json'), dryRun: true, json: false, workspace }, { target, progress: quiet });
  assert.match(again.output, /\(cached build\)/);
});

test('a real bench without a GPU fails with the no-device message', async () => {
  const flags = { kernel: 'vector_add', spec: join(EXAMPLES, 'vector_add/vector_add.spec.json'), dryRun: false, json: false, workspace: tempDir('job-nodev') };
  await assert.rejects(benchCommand([join(EXAMPLES, 'vector_add/vector_add.cu')], flags, { target: localTarget(), progress: quiet }), (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.equal(error.exitCode, 1);
    assert.match(error.message, /^no CUDA device on target 'local' \(nvidia-smi found no GPU\): .*--dry-run/);
    return true;
  });
});

test('the bundled CLI: bench without a GPU exits 1 with one line on stderr, no stack trace', { skip: !existsSync(join(REPO, 'dist/cli.js')) && 'dist/cli.js not built (npm run build)' }, () => {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'bench', 'examples/cuda/vector_add/vector_add.cu', '--spec', 'examples/cuda/vector_add/vector_add.spec.json', '--workspace', tempDir('job-bundle')], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 1);
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('kernelpilot:'));
  assert.equal(errorLines.length, 1);
  assert.match(errorLines[0], /no CUDA device/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const usage = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'bench', '--bogus'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.doesNotMatch(usage.stderr, /\n\s+at /);
});

test('the bundled CLI: compare takes several candidates, each --candidate-launch belonging to the candidate before it', { skip: !existsSync(join(REPO, 'dist/cli.js')) && 'dist/cli.js not built (npm run build)', timeout: 600_000 }, () => {
  const va = 'examples/cuda/vector_add';
  const common = ['dist/cli.js', 'compare', `${va}/vector_add.cu`, '--spec', `${va}/vector_add.spec.json`, '--workspace', tempDir('job-multi'), '--dry-run', '--json'];
  const r = spawnSync(process.execPath, [...common, '--candidate', `${va}/candidates/fast_float4.cu`, '--candidate-launch', `${va}/candidates/fast_float4.launch.json`, '--candidate', `${va}/candidates/zeros_output.cu`], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const builds = (JSON.parse(r.stdout) as { builds: Array<{ role: string; file: string; harnessFile: string }> }).builds;
  assert.deepEqual(builds.map((b) => [b.role, b.file.split('/').pop()]), [['runtime', 'kp_gate'], ['baseline', 'vector_add.cu'], ['candidate', 'fast_float4.cu'], ['candidate', 'zeros_output.cu']]);
  const grid = (shim: string) => /kp_p->grid\[0\] = (.*);/.exec(readFileSync(shim, 'utf8'))?.[1];
  assert.equal(grid(builds[2].harnessFile), '(((n)+(1024LL)-1)/(1024LL))', 'fast_float4 got its own launch');
  assert.equal(grid(builds[3].harnessFile), '((n + 255LL) / 256LL)', "zeros_output kept the spec's");
  const misplaced = spawnSync(process.execPath, [...common, '--candidate-launch', `${va}/candidates/fast_float4.launch.json`, '--candidate', `${va}/candidates/fast_float4.cu`, '--candidate', `${va}/candidates/zeros_output.cu`], { cwd: REPO, encoding: 'utf8' });
  assert.equal(misplaced.status, 2);
  assert.match(misplaced.stderr, /--candidate-launch must follow the --candidate it belongs to/);
});

test('spec prints roles and shapes for every example; --json is a spec; --write saves it', async () => {
  for (const example of examples) {
    const file = join(EXAMPLES, example, `${example}.cu`);
    const text = await specCommand([file], { kernel: kernelOf(example), json: false, write: false, force: false, workspace: EXAMPLES });
    assert.match(text, new RegExp(`^kernel\\s+${kernelOf(example)}`), example);
    assert.match(text, /\b(input|inout)\s+\w+\s+\w+\s+\[/, `${example}: an input with a shape`);
    assert.match(text, /\b(output|inout)\s+\w+\s+\w+\s+\[/, `${example}: an output with a shape`);
  }
  const workspace = tempDir('job-spec');
  const file = join(EXAMPLES, 'saxpy/saxpy.cu');
  const json = JSON.parse(await specCommand([file], { json: true, write: false, force: false, workspace })) as { kernel: string; args: Array<{ role: string }> };
  assert.equal(json.kernel, 'saxpy');
  assert.deepEqual(json.args.map((a) => a.role), ['scalar', 'scalar', 'input', 'inout']);
  const written = await specCommand([file], { json: false, write: true, force: false, workspace });
  assert.ok(existsSync(join(workspace, '.kernelpilot/specs/saxpy.json')), written);
  await assert.rejects(specCommand([file], { json: false, write: true, force: false, workspace }), /already exists/);
  await assert.rejects(specCommand([file], { kernel: 'nope', json: false, write: false, force: false, workspace }), /has no kernel 'nope'; it has: saxpy/);
});

test('bench on a kernel whose spec cannot be inferred lists the unknown fields and how to fix them', async () => {
  const workspace = tempDir('job-unknown');
  const file = join(workspace, 'mix.cu');
  writeFileSync(file, '__global__ void mix(float* p, const float* q, int a, int b) {\n  p[a * b] = q[a];\n}\n');
  await assert.rejects(benchCommand([file], { dryRun: true, json: false, workspace }, { target: localTarget(), progress: quiet }), (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.match(error.message, /^no spec for mix, and inference left \d+ fields unknown:/);
    assert.match(error.message, /\/args\/0\/shape\/0: /);
    assert.match(error.message, /run 'kernelpilot spec mix\.cu --kernel mix --write', then edit \.kernelpilot\/specs\/mix\.json/);
    return true;
  });
});
