// How nvcc is called for a file: settings by origin (a workspace may not choose the program or flags outside the
// allow-list; the user may), macros and include folders in a form the shell never sees, compile_commands.json only
// from inside the workspace. Real files, no nvcc (check-run.test.ts compiles with the result).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { classifyExtraArgs } from '../../server/src/check/allowed-flags';
import { parseDefine, resolveCompileFlags, type FlagRequest } from '../../server/src/check/compile-flags';
import { DEFINES_HEADER, stageFlags } from '../../server/src/check/stage-flags';
import { defaultSettings, originsOf, type SettingOrigin } from '../../server/src/settings';

const root = mkdtempSync(join(tmpdir(), 'kp-flags-'));
after(() => rmSync(root, { recursive: true, force: true }));
const ws = join(root, 'ws');
mkdirSync(join(ws, 'src'), { recursive: true });
const file = join(ws, 'src', 'k.cu');
writeFileSync(file, '');

function request(cuda: Partial<FlagRequest['cuda']>, origin: SettingOrigin): FlagRequest {
  const all = { nvccPath: origin, includePaths: origin, defines: origin, extraArgs: origin, compileCommands: origin };
  return { file, roots: [ws], cuda: { ...defaultSettings.cuda, ...cuda }, origins: all };
}

test('workspace extra args: allow-listed flags pass, others are refused with the setting and the reason', async () => {
  const extraArgs = ['--expt-relaxed-constexpr', '-Xptxas', '-O3,-v', '-maxrregcount=64', '-std=c++20', '--use_fast_math', '-Xcudafe', '--diag_suppress=177',
    '-ccbin', '/opt/gcc/bin', '-Xcompiler', '-wrapper,/tmp/x.sh', '--options-file', 'f.txt', '-o', 'out', '--run', '-dryrun', '-arch=sm_80', '-std=c++17;id', '$(id)', '-fancy'];
  const flags = await resolveCompileFlags(request({ extraArgs }, 'workspace'));
  assert.deepEqual(flags.args, ['--expt-relaxed-constexpr', '-Xptxas', '-O3,-v', '-maxrregcount=64', '-std=c++20', '--use_fast_math', '-Xcudafe', '--diag_suppress=177']);
  assert.deepEqual(flags.refused.map((r) => [r.value, r.reason]), [
    ['-ccbin /opt/gcc/bin', 'it chooses the host compiler program nvcc runs'],
    ['-Xcompiler -wrapper,/tmp/x.sh', 'it passes options to the host compiler (e.g. -wrapper runs any program)'],
    ['--options-file f.txt', 'it reads more options from a file'],
    ['-o out', 'it writes files where it says'],
    ['--run', 'it runs the compiled program'],
    ['-dryrun', 'it prints the commands instead of compiling'],
    ['-arch=sm_80', 'the architecture comes from "kernelpilot.cuda.arch" (or --arch)'],
    ['-std=c++17;id', 'its value has ";", which nvcc\'s shell would interpret'],
    ['$(id)', 'it has "$", which nvcc\'s shell would interpret'],
    ['-fancy', 'it is not on the list of flags a workspace may set (README: "Settings")'],
  ]);
  assert.ok(flags.refused.every((r) => r.from === 'kernelpilot.cuda.extraArgs (workspace settings)'));
});

test('the same flags from the user or the command line are the user\'s choice and pass as they are', async () => {
  const extraArgs = ['-ccbin', '/opt/gcc/bin', '-Xcompiler', '-fPIC'];
  for (const origin of ['user', 'cli'] as const) {
    const flags = await resolveCompileFlags(request({ extraArgs }, origin));
    assert.deepEqual([flags.args, flags.refused], [extraArgs, []], origin);
  }
});

test('-I/-D/-U inside extra args travel in their channels, whoever set them', async () => {
  const flags = await resolveCompileFlags(request({ extraArgs: ['-Iinc', '-I', '/abs/$(x)', '-DA=1', '-D', 'B', '-UC', '--define-macro=D=$(id)', '-isystem', 'sys'] }, 'workspace'));
  assert.deepEqual(flags.includeDirs, [join(ws, 'inc'), '/abs/$(x)']);
  assert.deepEqual(flags.systemIncludeDirs, [join(ws, 'sys')]);
  assert.deepEqual(flags.macros, [{ op: 'define', name: 'A', value: '1' }, { op: 'define', name: 'B' }, { op: 'undef', name: 'C' }, { op: 'define', name: 'D', value: '$(id)' }]);
  assert.deepEqual([flags.args, flags.refused], [[], []]);
});

test('defines: object- and function-like heads; values that would escape their #define line are refused', () => {
  assert.deepEqual(parseDefine('N'), { op: 'define', name: 'N' });
  assert.deepEqual(parseDefine('N='), { op: 'define', name: 'N', value: '' });
  assert.deepEqual(parseDefine('SQ(x)=((x)*(x))'), { op: 'define', name: 'SQ(x)', value: '((x)*(x))' });
  assert.deepEqual(parseDefine('LOG(fmt, ...)=printf(fmt, __VA_ARGS__)'), { op: 'define', name: 'LOG(fmt, ...)', value: 'printf(fmt, __VA_ARGS__)' });
  assert.deepEqual(parseDefine('V="a b" // c'), { op: 'define', name: 'V', value: '"a b" // c' });
  for (const [text, reason] of [
    ['1N=2', /is not a macro name/], ['N M=2', /is not a macro name/], ['F(x=1', /is not a macro name/], ['$(id)=1', /is not a macro name/],
    ['N=a\nb', /line break/], ['N=a\rb', /line break/], ['N=a\\', /backslash/], ['N=a??/', /backslash/], ['N=/* x', /comment/],
  ] as const) {
    const parsed = parseDefine(text);
    assert.equal(typeof parsed, 'string', JSON.stringify(text));
    assert.match(parsed as string, reason, JSON.stringify(text));
  }
});

test('nvccPath: a workspace may not choose the program; the user may', async () => {
  const inside = join(ws, 'tools', 'nvcc');
  for (const nvccPath of ['./tools/nvcc', 'tools/nvcc', inside, '/usr/bin/python3']) {
    const flags = await resolveCompileFlags(request({ nvccPath }, 'workspace'));
    assert.equal(flags.nvcc, 'nvcc', nvccPath);
    assert.equal(flags.refused[0]?.value, nvccPath);
    assert.match(flags.refused[0]?.reason ?? '', /using nvcc from PATH instead/);
  }
  assert.equal((await resolveCompileFlags(request({ nvccPath: '/usr/local/cuda-13.0/bin/nvcc' }, 'workspace'))).nvcc, '/usr/local/cuda-13.0/bin/nvcc');
  assert.equal((await resolveCompileFlags(request({ nvccPath: inside }, 'user'))).nvcc, inside);
});

test('compile_commands.json: found only inside the workspace; an explicit one outside it only from the user', async () => {
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'compile_commands.json'), JSON.stringify([{ directory: ws, file: 'src/k.cu', arguments: ['nvcc', '-DOUTSIDE', '-std=c++17', '--expt-relaxed-constexpr', '-ccbin', '/x', '-c', 'src/k.cu'] }]));
  writeFileSync(join(root, 'compile_commands.json'), JSON.stringify([{ directory: ws, file: 'src/k.cu', arguments: ['nvcc', '-DABOVE', '-c', 'src/k.cu'] }]));
  const found = await resolveCompileFlags(request({}, 'workspace'));
  assert.deepEqual([found.macros, found.compileCommands], [[], undefined], 'the database above the workspace is not searched');
  const refused = await resolveCompileFlags(request({ compileCommands: outside }, 'workspace'));
  assert.deepEqual(refused.refused.map((r) => [r.value, r.from, r.reason]), [[outside, 'kernelpilot.cuda.compileCommands (workspace settings)', 'it is outside the workspace; a workspace may only use its own compile_commands.json']]);
  const user = await resolveCompileFlags(request({ compileCommands: outside }, 'user'));
  // Its content is still the project's: front-end flags only (-ccbin is not one), validated.
  assert.deepEqual([user.macros, user.args, user.refused], [[{ op: 'define', name: 'OUTSIDE' }], ['-std=c++17', '--expt-relaxed-constexpr'], []]);
});

test('staged flags: include folders as plainly named links, macros as a header, in order', async () => {
  const stage = mkdtempSync(join(root, 'stage-'));
  const odd = join(root, 'inc $(id) `x` "q"');
  const staged = await stageFlags({ includeDirs: [odd, '/usr/include'], systemIncludeDirs: ['/opt/sys'], macros: [{ op: 'define', name: 'A', value: '$(id) "q"' }, { op: 'undef', name: 'B' }, { op: 'define', name: 'C' }], args: ['-O3'] }, stage);
  assert.deepEqual(staged.args, ['-I', join(stage, 'kp_inc0'), '-I', join(stage, 'kp_inc1'), '-isystem', join(stage, 'kp_inc2'), '-include', join(stage, DEFINES_HEADER), '-O3']);
  assert.equal(readlinkSync(join(stage, 'kp_inc0')), odd);
  assert.equal(readFileSync(join(stage, DEFINES_HEADER), 'utf8').split('\n').slice(1).join('\n'), '#define A $(id) "q"\n#undef B\n#define C 1\n');
  assert.equal(staged.realPath(join(stage, 'kp_inc0', 'sub', 'h.cuh')), join(odd, 'sub', 'h.cuh'));
  assert.equal(staged.realPath('/elsewhere/h.cuh'), '/elsewhere/h.cuh');
});

test('origins: an editor answer equal to the user\'s own settings is the user\'s, anything else the workspace\'s', () => {
  const user = { ...defaultSettings, cuda: { ...defaultSettings.cuda, extraArgs: ['-ccbin', '/opt/gcc'] } };
  const effective = { ...defaultSettings, cuda: { ...user.cuda, nvccPath: './nvcc' } };
  const origins = originsOf(effective, user);
  assert.equal(origins.extraArgs, 'user');
  assert.equal(origins.nvccPath, 'workspace');
});

test('the allow-list reads every spelling of a flag as one flag', () => {
  assert.deepEqual(classifyExtraArgs(['-std', 'c++17', '--std=c++20', '-maxrregcount', '32', '-Xptxas=-v']).map((a) => [a.kind, a.words.join(' ')]), [
    ['allowed', '-std c++17'], ['allowed', '--std=c++20'], ['allowed', '-maxrregcount 32'], ['allowed', '-Xptxas=-v'],
  ]);
  assert.deepEqual(classifyExtraArgs(['-Xptxas', '-O3,--dump-callgraph']).map((a) => a.kind), ['refused']);
  assert.deepEqual(classifyExtraArgs(['-lineinfo', '-lcublas']).map((a) => a.kind), ['allowed', 'refused']);
});
