// ptxas resource reports recorded from real nvcc 13.0 runs (test/fixtures/ptxas/record.sh says how).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePtxasOutput } from '../../server/src/check/ptxas';

const fixture = (name: string) => parsePtxasOutput(readFileSync(join(__dirname, '../fixtures/ptxas', name), 'utf8'));
const byName = (name: string) => Object.fromEntries(fixture(name).entries.map((e) => [`${e.mangledName}@${e.arch}`, e]));

test('template instances, extern "C" and namespaces are separate entries with their own resources', () => {
  const report = fixture('templates.txt');
  assert.deepEqual(
    report.entries.map((e) => [e.mangledName, e.arch, e.registers, e.barriers, e.sharedMemBytes]),
    [
      ['_ZN2ns1kIdLi64EEEvPKT_PS1_i', 'sm_90', 12, 1, 512],
      ['_ZN2ns1kIfLi128EEEvPKT_PS1_i', 'sm_90', 10, 1, 512],
      ['saxpy', 'sm_90', 10, 0, 0],
    ],
  );
  // ns::helper was inlined: no device function block, and nothing that is not an entry became one.
  assert.deepEqual(report.deviceFunctions, []);
  for (const e of report.entries) assert.deepEqual([e.stackFrameBytes, e.spillStoreBytes, e.spillLoadBytes], [0, 0, 0]);
});

test('spills forced by -maxrregcount=16 and by __launch_bounds__(1024, 2)', () => {
  const e = byName('spills-maxrreg16.txt');
  assert.deepEqual(e['_Z6spillyPKfPfii@sm_90'], {
    mangledName: '_Z6spillyPKfPfii', arch: 'sm_90', registers: 24, barriers: 0, sharedMemBytes: 0,
    stackFrameBytes: 1424, spillStoreBytes: 1928, spillLoadBytes: 2000, cumulativeStackBytes: 1424,
  });
  assert.equal(e['_Z7boundedPKfPfi@sm_90'].registers, 32);
  assert.deepEqual([e['_Z7boundedPKfPfi@sm_90'].spillStoreBytes, e['_Z7boundedPKfPfi@sm_90'].spillLoadBytes], [1452, 2212]);
});

test('a run-time-indexed local array uses a stack frame without spilling', () => {
  const spilly = byName('local-array.txt')['_Z6spillyPKfPfii@sm_90'];
  assert.deepEqual([spilly.registers, spilly.stackFrameBytes, spilly.spillStoreBytes, spilly.spillLoadBytes], [80, 256, 0, 0]);
});

test('several archs: one entry per arch, device functions kept apart with their module arch', () => {
  const report = fixture('multi-arch.txt');
  assert.deepEqual(report.entries.map((e) => `${e.mangledName}@${e.arch}`), ['_Z3dynPf@sm_80', '_Z5applyI2OpEvT_Pf@sm_80', '_Z3dynPf@sm_90', '_Z5applyI2OpEvT_Pf@sm_90']);
  assert.deepEqual(report.deviceFunctions.map((f) => `${f.mangledName}@${f.arch}`), ['_Z3recfi@sm_80', '_Z4polyf@sm_80', '_Z3recfi@sm_90', '_Z4polyf@sm_90']);
  // sm_80 lists the parameter bank, sm_90 does not (CUDA 13): absent, not zero.
  assert.equal(report.entries[0].constantMemBytes, 360);
  assert.equal(report.entries[2].constantMemBytes, undefined);
  assert.equal(report.entries[1].stackFrameBytes, 128);
  assert.equal(report.entries[1].cumulativeStackBytes, 128);
});

test('static shared memory per template instance; launch bounds do not confuse the report', () => {
  const e = byName('launch-bounds-smem.txt');
  assert.equal(e['_Z5tiledILi128EEvPKfPfi@sm_90'].sharedMemBytes, 128 * 33 * 4);
  assert.equal(e['_Z5tiledILi64EEvPKfPfi@sm_90'].sharedMemBytes, 64 * 33 * 4);
});

test('a recursive device function: its properties block is not a kernel, even after the last entry', () => {
  const report = fixture('recursion.txt');
  assert.deepEqual(report.entries.map((e) => [e.mangledName, e.arch, e.registers]), [['_Z1kPi', 'sm_100', 30]]);
  assert.deepEqual(report.deviceFunctions, [{ mangledName: '_Z3fibi', arch: 'sm_100', stackFrameBytes: 56, spillStoreBytes: 52, spillLoadBytes: 52 }]);
});

test('a ptxas error line before the report does not hide the entry', () => {
  assert.deepEqual(fixture('smem-too-big.txt').entries.map((e) => [e.mangledName, e.sharedMemBytes]), [['_Z3bigPf', 262144]]);
});

test('anonymous namespaces and odd template arguments keep their mangled names intact', () => {
  assert.deepEqual(fixture('names.txt').entries.map((e) => e.mangledName), [
    '_ZN40_GLOBAL__N__e110b467_8_names_cu_34ed719f4anonEPi',
    '_ZN5outer5inner1kINS0_2OpIfEELin1ELb1ELj7ELl9EEEvT_Pf',
    '_Z2chILc97EEvPi',
    '_Z3varIJifcEEvDpT_',
    '_Z2fpIfEvPFT_S0_EPS0_',
  ]);
});

test('older report formats (synthetic: `a+b bytes smem`, several cmem banks, no barriers) and CRLF', () => {
  const text = [
    "ptxas info    : Compiling entry function '_Z1kv' for 'sm_52'",
    'ptxas info    : Function properties for _Z1kv',
    '    8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads',
    'ptxas info    : Used 4 registers, 4+16 bytes smem, 320 bytes cmem[0], 8 bytes cmem[2]',
  ].join('\r\n');
  assert.deepEqual(parsePtxasOutput(text).entries, [
    { mangledName: '_Z1kv', arch: 'sm_52', registers: 4, barriers: 0, sharedMemBytes: 20, stackFrameBytes: 8, spillStoreBytes: 4, spillLoadBytes: 4, constantMemBytes: 328 },
  ]);
});

test('no report at all (compile error before ptxas) gives nothing', () => {
  assert.deepEqual(parsePtxasOutput('broken.cu(4): error: identifier "x" is undefined\n'), { entries: [], deviceFunctions: [] });
});
