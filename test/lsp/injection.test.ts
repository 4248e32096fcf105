// The injection corpus: file and folder names, compile_commands.json entries (both forms, also one above the
// workspace), workspace settings and bench spec fields that try to make nvcc's shell (or the generated harness) run a
// command, through the real language server over stdio and the built CLI, with the real nvcc. Every payload creates
// a marker file if any shell runs it; none may appear, and every refused value must be named with its reason.
// A control first shows the payloads do run when handed to nvcc the old way. Needs `npm run build` and nvcc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { cliPath, LspClient, uriOf, withLspClient } from './client';
import { tempDir } from './fixtures';

const root = tempDir('kp-inject-');
const markers = join(root, 'markers');
mkdirSync(markers);
after(() => rmSync(root, { recursive: true, force: true }));
/** `${KPM}` keeps slashes out of payloads that must fit in a file name. */
const env = { KPM: `${markers}/` };

/** One shape of each attack, creating marker `id` if a shell runs it. */
function payloads(id: string): Record<string, string> {
  const touch = `touch \${KPM}${id}`;
  return {
    dollar: `$(${touch}_dollar)`,
    backtick: `\`${touch}_backtick\``,
    dquote: `"; ${touch}_dquote; "`,
    squote: `'; ${touch}_squote; '`,
    semicolon: `;${touch}_semicolon;`,
    newline: `\n${touch}_newline\n`,
    cr: `\r${touch}_cr\r`,
  };
}

const KERNEL = '__global__ void k(float* x, int n) { int i = threadIdx.x; if (i < n) x[i] = 2.0f * x[i]; }\n';
let cases = 0;
const refusalsSeen: string[] = [];

function markersLeft(): string[] {
  return readdirSync(markers);
}

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function script(path: string): string {
  write(path, `#!/bin/sh\ntouch "${markers}/ran_$(basename "$0")"\nexec nvcc "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

function cli(args: string[], cwd: string): { status: number | null; out: string } {
  cases++;
  const run = spawnSync(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

function assertNoMarkers(where: string): void {
  assert.deepEqual(markersLeft(), [], `${where}: a payload ran`);
}

test('control: the payloads do run when nvcc gets them as flags (what the server used to do)', { timeout: 60_000 }, () => {
  const file = write(join(root, 'control', 'k.cu'), KERNEL);
  const run = spawnSync('nvcc', ['-arch=sm_90', '-cubin', '-o', join(root, 'control', 'k.cubin'), `-DKP=${payloads('control').dollar}`, file], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(markersLeft(), ['control_dollar'], 'the marker mechanism works');
  unlinkSync(join(markers, 'control_dollar'));
});

test('CLI: file and folder names with shell syntax are checked and built, and nothing runs', { timeout: 900_000 }, (t) => {
  const names = Object.entries(payloads('name'));
  for (const [shape, payload] of names) {
    const dir = join(root, 'names');
    const file = write(join(dir, `k${payload.replace('name_', 'file_')}.cu`), KERNEL);
    const checked = cli(['check', file, '--workspace', dir], dir);
    assert.equal(checked.status, 0, `check of a file named with ${shape}:\n${checked.out}`);
    assert.match(checked.out, /k\(float\*, int\)/, `the kernel was compiled (${shape})`);
    const folder = write(join(root, `folder${payload}`, 'k.cu'), KERNEL);
    const inFolder = cli(['check', folder], join(folder, '..'));
    assert.equal(inFolder.status, 0, `check in a folder named with ${shape}:\n${inFolder.out}`);
    assertNoMarkers(`check, ${shape} in a name`);
  }
  // The benchmark build includes the file from the generated harness: every name either builds or is refused
  // with the reason (a quote or line break cannot be named by #include).
  for (const [shape, payload] of names) {
    const folder = join(root, `folder${payload}`);
    const built = cli(['bench', join(folder, 'k.cu'), '--dry-run', '--workspace', folder], folder);
    if (built.status === 0) assert.match(built.out, /built \(dry run/, `bench --dry-run, ${shape}:\n${built.out}`);
    else {
      assert.match(built.out, /which an #include cannot name; rename the file or folder/, `bench --dry-run, ${shape}:\n${built.out}`);
      refusalsSeen.push(`${shape} folder name (harness #include)`);
    }
    const spec = cli(['spec', join(folder, 'k.cu'), '--workspace', folder], folder);
    assert.equal(spec.status, 0, spec.out);
    assertNoMarkers(`bench --dry-run / spec, ${shape} in a folder name`);
  }
  t.diagnostic(`${names.length} payload shapes × (file name, folder name) × (check, bench --dry-run, spec)`);
});

/** compile_commands.json entries carrying every payload in one kind of flag, in `form`. */
function poisonedDatabase(dir: string, form: 'arguments' | 'command', id: string, kind: 'define' | 'include' | 'std'): void {
  const values = Object.values(payloads(`${id}_${kind}`));
  const flags = kind === 'define' ? values.map((v, i) => `-DKP_${i}=${v}`) : kind === 'include' ? values.map((v) => `-I${join(dir, 'inc')}${v}`) : [`-std=c++17${values[0]}`];
  const args = ['nvcc', ...flags, '-c', 'k.cu'];
  const entry = form === 'arguments' ? { directory: dir, file: 'k.cu', arguments: args } : { directory: dir, file: 'k.cu', command: args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ') };
  write(join(dir, 'compile_commands.json'), JSON.stringify([entry]));
}

test('CLI: compile_commands.json with payloads in both forms, and one above the workspace that must not be used', { timeout: 300_000 }, () => {
  for (const form of ['arguments', 'command'] as const) {
    for (const kind of ['define', 'include', 'std'] as const) {
      const dir = join(root, `ccdb-${form}-${kind}`);
      write(join(dir, 'k.cu'), KERNEL);
      poisonedDatabase(dir, form, `ccdb_${form}`, kind);
      const run = cli(['check', join(dir, 'k.cu'), '--workspace', dir], dir);
      assert.equal(run.status, 0, run.out);
      // Macros and include folders are used (through the header and links); a bad -std is refused by name.
      if (kind === 'std') {
        assert.match(run.out, /did not use "-std=c\+\+17\$\(touch \$\{KPM\}ccdb_\w+_dollar\)" from .*compile_commands\.json: its value has "\$", which nvcc's shell would interpret/, run.out);
        refusalsSeen.push(`compile_commands ${form}: -std`);
      }
      assertNoMarkers(`compile_commands.json (${form}, ${kind})`);
    }
  }
  const parent = join(root, 'ccdb-parent');
  poisonedDatabase(parent, 'command', 'ccdb_parent', 'define');
  const ws = join(parent, 'ws');
  write(join(ws, 'k.cu'), `#ifdef KP_0\n#error the database above the workspace was used\n#endif\n${KERNEL}`);
  const run = cli(['check', join(ws, 'k.cu'), '--workspace', ws], ws);
  assert.equal(run.status, 0, `the database in the parent folder is not this workspace's:\n${run.out}`);
  // Run from elsewhere with no workspace containing the file: nothing is searched at all (it used to walk up to /).
  const outside = cli(['check', join(ws, 'k.cu'), '--workspace', join(root, 'control')], root);
  assert.equal(outside.status, 0, outside.out);
  assertNoMarkers('compile_commands.json above the workspace');
});

test('CLI: -D and -I payloads given on the command line travel in the header and links, so even they run nothing', { timeout: 120_000 }, () => {
  const dir = join(root, 'cli-flags');
  write(join(dir, 'k.cu'), KERNEL);
  const p = Object.values(payloads('cliflag')).filter((v) => !/[\r\n]/.test(v));
  const run = cli(['check', join(dir, 'k.cu'), ...p.flatMap((v, i) => [`-DKP_${i}=${v}`, `-I${join(dir, v)}`])], dir);
  assert.equal(run.status, 0, run.out);
  assertNoMarkers('command-line -D/-I');
});

test('CLI: bench spec fields that would become C++ are refused by a grammar, naming the field', { timeout: 300_000 }, () => {
  const dir = join(root, 'spec');
  write(join(dir, 'k.cu'), `template <typename T>\n__global__ void k(T* x, int n) { int i = threadIdx.x; if (i < n) x[i] = x[i] * 2; }\n`);
  const touch = `system("touch ${markers}/spec_FIELD")`;
  const base = {
    version: 1, kernel: 'k', file: 'k.cu', templateArgs: ['float'], sizes: { n: 1024 },
    args: [{ name: 'x', role: 'inout', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } }, { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' }],
    launch: { grid: ['cdiv(n, 256)'], block: ['256'] },
  };
  const variants: Array<[string, object, RegExp]> = [
    ['templateArgs: a template-id breakout', { templateArgs: [`float>(0), ${touch.replace('FIELD', 't1')}, k<float`] }, /templateArgs\[0\]: template argument .* is not a C\+\+ type or constant/],
    ['templateArgs: digraph braces', { templateArgs: [`float<%${touch.replace('FIELD', 't2')};%>`] }, /templateArgs\[0\].*"%"/],
    ['templateArgs: a lone CR', { templateArgs: ['float\r#define x'] }, /templateArgs\[0\].*U\+000D/],
    ['templateArgs: a newline', { templateArgs: [`float\n;int kp_x = ${touch.replace('FIELD', 't3')};`] }, /templateArgs\[0\].*U\+000A/],
    ['templateArgs: a lambda', { templateArgs: [`decltype([]{ return ${touch.replace('FIELD', 't4')}; }())`] }, /templateArgs\[0\]/],
    ['sizes: a name with code', { sizes: { [`n; int kp_y = ${touch.replace('FIELD', 's1')}`]: 4 } }, /\/sizes/],
    ['args: a name with code', { args: [{ ...base.args[0], name: `x */ ${touch.replace('FIELD', 'a1')}; /*` }, base.args[1]] }, /\/args\/0\/name: must match pattern/],
    ['args: a scalar value with code', { args: [base.args[0], { ...base.args[1], value: `n); ${touch.replace('FIELD', 'v1')}; (0` }] }, /\/args\/1\/value: cannot read expression/],
  ];
  for (const [what, change, message] of variants) {
    const spec = write(join(dir, 'k.spec.json'), JSON.stringify({ ...base, ...change }));
    const run = cli(['bench', join(dir, 'k.cu'), '--spec', spec, '--dry-run', '--workspace', dir], dir);
    assert.notEqual(run.status, 0, `${what}: refused\n${run.out}`);
    assert.match(run.out, message, `${what}: the message names the field\n${run.out}`);
    refusalsSeen.push(`spec ${what}`);
    assertNoMarkers(`spec: ${what}`);
  }
  // The same spec with a plain template argument builds: the grammar refuses the attack, not the feature.
  const plain = write(join(dir, 'k.spec.json'), JSON.stringify({ ...base, templateArgs: ['::std::conditional<true, float, double>::type'] }));
  const built = cli(['bench', join(dir, 'k.cu'), '--spec', plain, '--dry-run', '--workspace', dir], dir);
  assert.equal(built.status, 0, built.out);
});

/** The check's diagnostics on `uri` once its lens shows an outcome. */
async function checked(client: LspClient, uri: string): Promise<Diagnostic[]> {
  await client.waitForLenses(uri, (titles) => titles.length > 0 && titles.every((x) => /regs|compile errors/.test(x)), `the check of ${uri}`, 60_000);
  return client.lastDiagnostics(uri) ?? [];
}

test('LSP: didOpen of files and folders named with shell syntax compiles them and runs nothing', { timeout: 300_000 }, async (t) => {
  const dir = join(root, 'lsp-names');
  const uris = Object.values(payloads('lsp')).flatMap((payload) => [
    uriOf(write(join(dir, `k${payload}.cu`), KERNEL)),
    uriOf(write(join(dir, `d${payload}`, 'k.cu'), KERNEL)),
  ]);
  await withLspClient(t, { root: dir, settings: { check: { debounceMs: 0 } }, env }, async (client) => {
    for (const uri of uris) {
      cases++;
      await client.open(uri, 'cuda-cpp', KERNEL);
      const lenses = await client.waitForLenses(uri, (x) => x.length === 1 && /regs/.test(x[0]), `registers for ${uri}`, 60_000);
      assert.match(lenses[0].command?.title ?? '', /regs/);
    }
  });
  assertNoMarkers('LSP didOpen of shell-named files');
});

test('LSP: workspace settings cannot pick the compiler or pass flags outside the allow-list; each refusal says what and why', { timeout: 600_000 }, async (t) => {
  const ws = join(root, 'lsp-settings');
  const uri = uriOf(write(join(ws, 'k.cu'), KERNEL));
  script(join(ws, 'tools', 'nvcc'));
  const wrapper = script(join(ws, 'tools', 'wrap.sh'));
  for (const name of ['gcc', 'g++', 'c++', 'cc']) script(join(ws, 'evilbin', name));
  write(join(ws, 'opts.txt'), `-Xcompiler -wrapper,${wrapper}`);
  const outside = write(join(root, 'outside', 'compile_commands.json'), JSON.stringify([{ directory: ws, file: 'k.cu', arguments: ['nvcc', `-DKP=${payloads('outside').dollar}`, 'k.cu'] }]));
  const p = payloads('setting');
  // Each vector alone (one would mask another by failing the compile first), as a repository's settings.
  const vectors: Array<[setting: string, cuda: Record<string, unknown>, value: string, reason: RegExp]> = [
    ['nvccPath', { nvccPath: './tools/nvcc' }, './tools/nvcc', /absolute path outside the workspace; using nvcc from PATH instead/],
    ['nvccPath', { nvccPath: join(ws, 'tools', 'nvcc') }, join(ws, 'tools', 'nvcc'), /it is inside the workspace, so the repository would choose the program that runs/],
    ['extraArgs', { extraArgs: ['-ccbin', join(ws, 'evilbin')] }, `-ccbin ${join(ws, 'evilbin')}`, /it chooses the host compiler program nvcc runs/],
    ['extraArgs', { extraArgs: ['-Xcompiler', `-wrapper,${wrapper}`] }, `-Xcompiler -wrapper,${wrapper}`, /it passes options to the host compiler/],
    ['extraArgs', { extraArgs: [`--compiler-options=-wrapper,${wrapper}`] }, `--compiler-options=-wrapper,${wrapper}`, /it passes options to the host compiler/],
    ['extraArgs', { extraArgs: ['--options-file', join(ws, 'opts.txt')] }, `--options-file ${join(ws, 'opts.txt')}`, /it reads more options from a file/],
    ['extraArgs', { extraArgs: [`--diag-suppress=1${p.dollar}`] }, `--diag-suppress=1${p.dollar}`, /its value has "\$", which nvcc's shell would interpret/],
    ['defines', { defines: [`KP=${p.newline}`] }, `KP=${p.newline}`, /line break/],
    ['defines', { defines: [`KP=${p.cr}`] }, `KP=${p.cr}`, /line break/],
    ['compileCommands', { compileCommands: outside }, outside, /outside the workspace/],
  ];
  for (const [setting, cuda, value, reason] of vectors) {
    cases++;
    await withLspClient(t, { root: ws, userSettings: { check: { debounceMs: 0 } }, settings: { check: { debounceMs: 0 }, cuda }, env }, async (client) => {
      await client.open(uri, 'cuda-cpp', KERNEL);
      const messages = (await checked(client, uri)).map((d) => d.message);
      const said = messages.find((m) => m.includes(`did not use ${JSON.stringify(value)} from kernelpilot.cuda.${setting} (workspace settings)`));
      assert.ok(said, `a message names ${JSON.stringify(value)} from ${setting}; got:\n${messages.join('\n')}`);
      assert.match(said, reason);
      refusalsSeen.push(`${setting}: ${JSON.stringify(value).slice(0, 50)}`);
    });
    assertNoMarkers(`workspace ${setting} ${JSON.stringify(value)}`);
  }
  // Macros and include folders with shell syntax, and allow-listed flags, are used: the kernel compiles with them.
  const usable = {
    extraArgs: ['--use_fast_math', '-Xptxas', '-O3', `-DKP_X=${p.backtick}`],
    defines: Object.entries(p).filter(([shape]) => shape !== 'newline' && shape !== 'cr').map(([, v], i) => `KP_${i}=${v}`),
    includePaths: Object.values(p).map((v) => join(ws, `inc${v}`)),
  };
  await withLspClient(t, { root: ws, userSettings: { check: { debounceMs: 0 } }, settings: { check: { debounceMs: 0 }, cuda: usable }, env }, async (client) => {
    cases += usable.extraArgs.length + usable.defines.length + usable.includePaths.length;
    await client.open(uri, 'cuda-cpp', KERNEL);
    assert.deepEqual((await checked(client, uri)).map((d) => d.message), [], 'nothing refused');
    assert.match((await client.lenses(uri))?.[0]?.command?.title ?? '', /regs/);
  });
  assertNoMarkers('workspace settings');
});

test('corpus summary', () => {
  assertNoMarkers('the whole corpus');
  console.log(`# injection corpus: ${cases} cases run through the CLI and the LSP, 0 markers, ${refusalsSeen.length} refusals named with their reason`);
});
