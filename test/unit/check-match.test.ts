// Resource records onto discovered kernels. Records are built the way runStaticCheck builds them:
// the recorded ptxas report plus c++filt's text for each name (as printed by c++filt from binutils 2.40).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { heuristicDemangle, parseDemangled } from '../../server/src/check/demangle';
import { matchResources, unmatchedResources } from '../../server/src/check/match';
import { parsePtxasOutput } from '../../server/src/check/ptxas';
import type { DemangledName, PtxasEntry, ResourceRecord } from '../../server/src/check/types';
import type { Kernel, KernelParam } from '../../server/src/kernels/model';

const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function param(type: string, baseType: string): KernelParam {
  return { name: 'p', type, baseType, pointer: type.includes('*'), const: type.includes('const'), restrict: false, range: zero };
}

function kernel(id: string, qualifiedName: string, extra: Partial<Kernel> = {}): Kernel {
  const name = qualifiedName.split('::').at(-1) ?? qualifiedName;
  return {
    id, name, qualifiedName, language: 'cuda', file: '/x.cu', range: zero, nameRange: zero, params: [], templateParams: [],
    attributes: ['__global__'], signature: '', launchSites: [], ...extra,
  };
}

function record(entry: PtxasEntry, d: DemangledName): ResourceRecord {
  return { ...entry, qualifiedName: d.qualifiedName, name: d.name, templateArgs: d.templateArgs, ...(d.params ? { params: d.params } : {}), demangled: d.demangled, demangledExactly: d.exact };
}

const cxxfilt: Record<string, string> = {
  _ZN2ns1kIdLi64EEEvPKT_PS1_i: 'void ns::k<double, 64>(double const*, double*, int)',
  _ZN2ns1kIfLi128EEEvPKT_PS1_i: 'void ns::k<float, 128>(float const*, float*, int)',
  saxpy: 'saxpy',
};
const entries = parsePtxasOutput(readFileSync(join(__dirname, '../fixtures/ptxas/templates.txt'), 'utf8')).entries;
const records = entries.map((e) => record(e, e.mangledName.startsWith('_Z') ? parseDemangled(e.mangledName, cxxfilt[e.mangledName]) : heuristicDemangle(e.mangledName)));
const plain = records.map((r) => (r.mangledName === 'saxpy' ? { ...r, qualifiedName: 'saxpy', name: 'saxpy', demangledExactly: true } : r));

const T = [{ kind: 'typename', name: 'T' }, { kind: 'int', name: 'N' }];

test('a template kernel gets all its instances; extern "C" matches by name; an uninstantiated template gets none', () => {
  const kernels = [
    kernel('cuda:ns::k', 'ns::k', { templateParams: T, params: [param('const T*', 'T'), param('T*', 'T'), param('int', 'int')] }),
    // extern "C" inside a namespace: the symbol is still the bare name.
    kernel('cuda:api::saxpy', 'api::saxpy', { attributes: ['extern "C"', '__global__'] }),
    kernel('cuda:never_instantiated', 'never_instantiated', { templateParams: [{ kind: 'typename', name: 'T' }] }),
    kernel('triton:k', 'k', { language: 'triton' }),
  ];
  const byKernel = matchResources(kernels, plain);
  assert.deepEqual([...byKernel.keys()], ['cuda:ns::k', 'cuda:api::saxpy', 'cuda:never_instantiated']);
  assert.deepEqual(byKernel.get('cuda:ns::k')?.map((r) => r.templateArgs), [['double', '64'], ['float', '128']]);
  assert.deepEqual(byKernel.get('cuda:api::saxpy')?.map((r) => r.registers), [10]);
  assert.deepEqual(byKernel.get('cuda:never_instantiated'), []);
  assert.deepEqual(unmatchedResources(plain, byKernel), []);
});

test('kernels from an included header stay unmatched', () => {
  const byKernel = matchResources([kernel('cuda:saxpy', 'saxpy')], plain);
  assert.deepEqual(byKernel.get('cuda:saxpy')?.length, 1);
  assert.deepEqual(unmatchedResources(plain, byKernel).map((r) => r.qualifiedName), ['ns::k', 'ns::k']);
});

test('overloads are told apart by parameter types', () => {
  const a = parseDemangled('_Z5scalePfi', 'scale(float*, int)');
  const b = parseDemangled('_Z5scalePdi', 'scale(double*, int)');
  const base = { arch: 'sm_90', barriers: 0, sharedMemBytes: 0, stackFrameBytes: 0, spillStoreBytes: 0, spillLoadBytes: 0 };
  const rs = [record({ ...base, mangledName: a.mangledName, registers: 8 }, a), record({ ...base, mangledName: b.mangledName, registers: 12 }, b)];
  const kernels = [
    kernel('cuda:scale', 'scale', { params: [param('double* __restrict__', 'double'), param('int', 'int')] }),
    kernel('cuda:scale#2', 'scale', { params: [param('float*', 'float'), param('int', 'int')] }),
  ];
  const byKernel = matchResources(kernels, rs);
  assert.deepEqual(byKernel.get('cuda:scale')?.map((r) => r.registers), [12]);
  assert.deepEqual(byKernel.get('cuda:scale#2')?.map((r) => r.registers), [8]);
  // Equally good candidates (all template parameters): the first declared wins, deterministically.
  const generic = [kernel('cuda:scale', 'scale', { templateParams: T, params: [param('T*', 'T'), param('int', 'int')] }), kernel('cuda:scale#2', 'scale', { templateParams: T, params: [param('T*', 'T'), param('int', 'int')] })];
  assert.deepEqual(matchResources(generic, rs).get('cuda:scale')?.length, 2);
});

test('anonymous namespaces and heuristic (no c++filt) names still match', () => {
  const anon = parseDemangled('_ZN40_GLOBAL__N__e110b467_8_names_cu_34ed719f4anonEPi', '(anonymous namespace)::anon(int*)');
  const guessed = heuristicDemangle('_ZN2ns1kIfLi128EEEvPKT_PS1_i');
  const base = { arch: 'sm_90', registers: 8, barriers: 0, sharedMemBytes: 0, stackFrameBytes: 0, spillStoreBytes: 0, spillLoadBytes: 0 };
  const rs = [record({ ...base, mangledName: anon.mangledName }, anon), record({ ...base, mangledName: guessed.mangledName }, guessed)];
  const byKernel = matchResources([kernel('cuda:anon', 'anon'), kernel('cuda:ns::k', 'ns::k', { templateParams: T })], rs);
  assert.equal(byKernel.get('cuda:anon')?.length, 1);
  assert.equal(byKernel.get('cuda:ns::k')?.length, 1);
});
