// Demangling through the real c++filt (binutils), and the fallback when it is missing.
import { onThisMachine } from '../../server/src/targets/this-machine';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demangleNames, heuristicDemangle, parseDemangled } from '../../server/src/check/demangle';
import { parsePtxasOutput } from '../../server/src/check/ptxas';
import type { ExecOptions, Target } from '../../server/src/targets/target';
import { localTarget } from './local-target';

/** Every entry name in the recorded ptxas fixtures. */
const fixtureNames = ['templates.txt', 'names.txt', 'multi-arch.txt', 'spills-maxrreg16.txt', 'launch-bounds-smem.txt'].flatMap((f) =>
  parsePtxasOutput(readFileSync(join(__dirname, '../fixtures/ptxas', f), 'utf8')).entries.map((e) => e.mangledName),
);

/** Wraps a target to record the commands run through it. */
function recording(inner: Target): Target & { calls: { file: string; args: readonly string[]; options?: ExecOptions }[] } {
  const calls: { file: string; args: readonly string[]; options?: ExecOptions }[] = [];
  return Object.assign(onThisMachine({ name: inner.name, exec: (file, args, options) => (calls.push({ file, args, options }), inner.exec(file, args, options)) }), { calls });
}

test('one c++filt call demangles the whole batch into name, template arguments and parameters', async () => {
  const target = recording(localTarget());
  const result = await demangleNames(target, fixtureNames);
  assert.equal(result.tool, 'c++filt');
  assert.equal(result.warning, undefined);
  assert.equal(target.calls.length, 1);
  assert.equal(target.calls[0].file, 'c++filt');
  const get = (n: string) => result.names.get(n);
  assert.deepEqual(get('_ZN2ns1kIfLi128EEEvPKT_PS1_i'), {
    mangledName: '_ZN2ns1kIfLi128EEEvPKT_PS1_i',
    demangled: 'void ns::k<float, 128>(float const*, float*, int)',
    qualifiedName: 'ns::k',
    name: 'k',
    templateArgs: ['float', '128'],
    params: ['float const*', 'float*', 'int'],
    exact: true,
  });
  assert.deepEqual(get('_ZN5outer5inner1kINS0_2OpIfEELin1ELb1ELj7ELl9EEEvT_Pf')?.templateArgs, ['outer::inner::Op<float>', '-1', 'true', '7u', '9l']);
  assert.equal(get('_ZN40_GLOBAL__N__e110b467_8_names_cu_34ed719f4anonEPi')?.qualifiedName, '(anonymous namespace)::anon');
  assert.deepEqual(get('_Z2chILc97EEvPi')?.templateArgs, ['(char)97']);
  assert.deepEqual(get('_Z3varIJifcEEvDpT_')?.templateArgs, ['int', 'float', 'char']);
  assert.deepEqual(get('_Z2fpIfEvPFT_S0_EPS0_')?.params, ['float (*)(float)', 'float*']);
  assert.deepEqual(get('_Z5tiledILi64EEvPKfPfi')?.templateArgs, ['64']);
  // extern "C" passes through untouched.
  assert.deepEqual(get('saxpy'), { mangledName: 'saxpy', demangled: 'saxpy', qualifiedName: 'saxpy', name: 'saxpy', templateArgs: [], exact: true });
});

test('only extern "C" names: c++filt is not run at all', async () => {
  const target = recording(localTarget());
  const result = await demangleNames(target, ['saxpy', 'my_kernel']);
  assert.equal(result.tool, 'none');
  assert.equal(target.calls.length, 0);
  assert.equal(result.names.get('my_kernel')?.qualifiedName, 'my_kernel');
});

test('c++filt missing: names come from the heuristic, and the result says so', async () => {
  const result = await demangleNames(localTarget(), ['_ZN2ns1kIfLi128EEEvPKT_PS1_i', 'saxpy'], { cxxfiltPath: '/nonexistent/c++filt' });
  assert.equal(result.tool, 'heuristic');
  assert.match(result.warning ?? '', /c\+\+filt not found at '\/nonexistent\/c\+\+filt'/);
  assert.deepEqual(result.names.get('_ZN2ns1kIfLi128EEEvPKT_PS1_i'), {
    mangledName: '_ZN2ns1kIfLi128EEEvPKT_PS1_i',
    demangled: '_ZN2ns1kIfLi128EEEvPKT_PS1_i',
    qualifiedName: 'ns::k',
    name: 'k',
    templateArgs: ['float', '128'],
    exact: false,
  });
  assert.equal(result.names.get('saxpy')?.exact, true);
});

test('the heuristic agrees with c++filt on every fixture name (qualified name; template arguments when it decodes them)', async () => {
  const real = await demangleNames(localTarget(), fixtureNames);
  for (const name of fixtureNames.filter((n) => n.startsWith('_Z'))) {
    const guess = heuristicDemangle(name);
    const truth = real.names.get(name);
    assert.equal(guess.qualifiedName, truth?.qualifiedName, name);
    if (guess.templateArgs.length > 0) assert.deepEqual(guess.templateArgs, truth?.templateArgs, name);
  }
  // Hand-mangled names covering the literal kinds and class arguments, with c++filt as the oracle.
  const extra = ['_Z1kILj7ELl9ELin1ELb0ELm3ELy4EEvv', '_Z1kIPKfN2ns2OpIdEEEvv', '_Z1kIJcsEEvv', '_ZL6staticv'];
  const oracle = await demangleNames(localTarget(), extra);
  for (const name of extra) {
    const truth = oracle.names.get(name);
    assert.deepEqual([heuristicDemangle(name).qualifiedName, heuristicDemangle(name).templateArgs], [truth?.qualifiedName, truth?.templateArgs], name);
  }
  // Substitutions (S0_) are beyond it: the name survives, the arguments are dropped rather than guessed.
  assert.deepEqual(heuristicDemangle('_ZN5outer5inner1kINS0_2OpIfEELin1ELb1ELj7ELl9EEEvT_Pf').templateArgs, []);
});

test('parseDemangled: non-template functions have no return type; c++filt echoes what it cannot read', () => {
  assert.deepEqual(parseDemangled('_Z6spillyPKfPfii', 'spilly(float const*, float*, int, int)'), {
    mangledName: '_Z6spillyPKfPfii', demangled: 'spilly(float const*, float*, int, int)', qualifiedName: 'spilly', name: 'spilly',
    templateArgs: [], params: ['float const*', 'float*', 'int', 'int'], exact: true,
  });
  assert.deepEqual(parseDemangled('_Z1kv', 'k()').params, []);
  // Not a function signature: fall back to the heuristic rather than inventing a name.
  assert.equal(parseDemangled('_Z1kv', '_Z1kv').exact, false);
  assert.equal(parseDemangled('_Z1kv', '_Z1kv').qualifiedName, 'k');
});
