import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { SCHEMA_ID, serializeSpec } from '../../server/src/benchspec/serialize';
import { editSpecText, findSpec, installedSchemaUri, loadSpec, loadSpecText, saveSpec, specFileName, specPath } from '../../server/src/benchspec/store';
import { DEFAULT_TOLERANCES, defaultBytesExpr, dtypeOfCType, elementSize, toleranceFor, vectorTypeOf } from '../../server/src/benchspec/defaults';

function spec(kernel = 'ns::inner::add'): BenchSpec {
  return {
    // Deliberately out of order: saving must not depend on how the object was built.
    unknowns: [],
    launch: { block: ['256'], grid: ['cdiv(n, 256)'] },
    args: [
      { shape: ['n'], dtype: 'float32', role: 'input', name: 'x', init: { high: 1, low: -1, kind: 'uniform' } },
      { name: 'y', role: 'output', dtype: 'float32', shape: ['n'] },
      { value: 'n', name: 'n', role: 'scalar', dtype: 'int32' },
    ],
    sizes: { n: 1024 },
    kernel,
    version: 1,
  };
}

test('spec file names: :: becomes __, unsafe characters become _', () => {
  assert.equal(specFileName('ns::inner::add'), 'ns__inner__add.json');
  assert.equal(specFileName('mod.Cls.kernel'), 'mod.Cls.kernel.json');
  assert.equal(specFileName('k<float, 4>'), 'k_float,_4_.json');
  assert.equal(specFileName('..'), '_.json');
  assert.equal(specPath('/ws', 'a::b'), join('/ws', '.kernelpilot', 'specs', 'a__b.json'));
});

test('serializeSpec: fixed key order, values that fit in 100 columns inline, stable across key orders', () => {
  const text = serializeSpec({ $schema: SCHEMA_ID, ...spec() });
  const expected = `{
  "$schema": "${SCHEMA_ID}",
  "version": 1,
  "kernel": "ns::inner::add",
  "sizes": { "n": 1024 },
  "args": [
    {
      "name": "x",
      "role": "input",
      "dtype": "float32",
      "shape": ["n"],
      "init": { "kind": "uniform", "low": -1, "high": 1 }
    },
    { "name": "y", "role": "output", "dtype": "float32", "shape": ["n"] },
    { "name": "n", "role": "scalar", "dtype": "int32", "value": "n" }
  ],
  "launch": { "grid": ["cdiv(n, 256)"], "block": ["256"] },
  "unknowns": []
}
`;
  assert.equal(text, expected);
  const reordered = JSON.parse(JSON.stringify(spec())) as Record<string, unknown>;
  const reversed = Object.fromEntries(Object.entries(reordered).reverse());
  assert.equal(serializeSpec({ $schema: SCHEMA_ID, ...reversed }), expected);
});

test('save then load round-trips, with $schema, atomically, and finds it again', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kp-spec-'));
  const path = specPath(root, 'ns::inner::add');
  await saveSpec(path, spec());
  const loaded = await loadSpec(path);
  assert.equal(loaded.validation.ok, true, JSON.stringify(loaded.validation));
  assert.equal(loaded.spec?.$schema, SCHEMA_ID);
  assert.deepEqual({ ...loaded.spec, $schema: undefined }, { ...JSON.parse(JSON.stringify(spec())), $schema: undefined });
  assert.deepEqual(readdirSync(join(root, '.kernelpilot', 'specs')), ['ns__inner__add.json'], 'no temp files left behind');
  assert.equal(await findSpec(root, { qualifiedName: 'ns::inner::add' }), path);
  await saveSpec(path, spec(), { schemaUri: 'file:///ext/schemas/bench-spec.schema.json' });
  assert.match(readFileSync(path, 'utf8'), /"\$schema": "file:\/\/\/ext\/schemas\/bench-spec\.schema\.json"/);
});

test('findSpec finds a renamed file by its kernel field, preferring the same source file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kp-spec-'));
  const dir = join(root, '.kernelpilot', 'specs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'a-first.json'), JSON.stringify({ ...spec('k'), file: 'other.cu' }));
  writeFileSync(join(dir, 'b-mine.json'), JSON.stringify({ ...spec('k'), file: 'src/k.cu' }));
  writeFileSync(join(dir, 'broken.json'), '{ not json');
  assert.equal(await findSpec(root, { qualifiedName: 'k', file: '/abs/src/k.cu' }), join(dir, 'b-mine.json'));
  assert.equal(await findSpec(root, { qualifiedName: 'k' }), join(dir, 'a-first.json'));
  assert.equal(await findSpec(root, { qualifiedName: 'missing' }), undefined);
  assert.equal(await findSpec(join(root, 'nowhere'), { qualifiedName: 'k' }), undefined);
});

test('loading tolerates comments and trailing commas, and turns numeric expressions into strings', () => {
  const text = `// hand-written
{
  "version": 1, "kernel": "k",
  "sizes": { "n": 64 }, /* small for debugging */
  "args": [
    { "name": "x", "role": "input", "dtype": "float32", "shape": [64], "init": { "kind": "const", "value": 2 } },
    { "name": "n", "role": "scalar", "dtype": "int32", "value": 64 },
  ],
  "launch": { "grid": [1], "block": [64], "sharedMem": 0 },
}`;
  const loaded = loadSpecText('k.json', text);
  assert.deepEqual(loaded.parseErrors, []);
  assert.equal(loaded.validation.ok, true, JSON.stringify(loaded.validation));
  assert.deepEqual(loaded.spec?.args[0].shape, ['64']);
  assert.deepEqual(loaded.spec?.args[0].init, { kind: 'const', value: 2 }, 'a distribution constant stays a number');
  assert.equal(loaded.spec?.args[1].value, '64');
  assert.deepEqual(loaded.spec?.launch, { grid: ['1'], block: ['64'], sharedMem: '0' });
});

test('loadSpec reports unreadable files with their path', async () => {
  await assert.rejects(loadSpec('/nonexistent/spec.json'), /cannot read bench spec \/nonexistent\/spec\.json/);
});

test('editSpecText fills in a placeholder and keeps comments', () => {
  const text = '{\n  // keep me\n  "sizes": { "n": "?" },\n  "launch": { "grid": ["?"], "block": ["256"] }\n}\n';
  const edited = editSpecText(editSpecText(text, '/sizes/n', 4096), '/launch/grid/0', 'cdiv(n, 256)');
  assert.match(edited, /\/\/ keep me/);
  assert.match(edited, /"n": 4096/);
  assert.match(edited, /"grid": \["cdiv\(n, 256\)"\]/);
});

test('tolerance defaults per dtype and spec overrides', () => {
  assert.deepEqual(DEFAULT_TOLERANCES.float32, { rtol: 1e-4, atol: 1e-4 });
  assert.deepEqual(DEFAULT_TOLERANCES.float16, { rtol: 1e-2, atol: 1e-2 });
  assert.deepEqual(DEFAULT_TOLERANCES.bfloat16, { rtol: 1e-2, atol: 1e-2 });
  assert.ok(DEFAULT_TOLERANCES.float64.rtol <= 1e-8);
  assert.deepEqual(DEFAULT_TOLERANCES.int32, { rtol: 0, atol: 0 });
  assert.deepEqual(toleranceFor({}, 'float16'), { rtol: 1e-2, atol: 1e-2 });
  assert.deepEqual(toleranceFor({ tolerance: { float32: { rtol: 1e-3, atol: 1e-6 } } }, 'float32'), { rtol: 1e-3, atol: 1e-6 });
  assert.deepEqual(toleranceFor({ tolerance: { float32: { rtol: 1e-3, atol: 1e-6 } } }, 'float16'), { rtol: 1e-2, atol: 1e-2 });
});

test('C/C++ type names map to dtypes and element sizes', () => {
  const cases: [string, string | undefined][] = [
    ['float', 'float32'], ['const float', 'float32'], ['double', 'float64'], ['__half', 'float16'], ['half', 'float16'],
    ['__nv_bfloat16', 'bfloat16'], ['int', 'int32'], ['int32_t', 'int32'], ['std::int32_t', 'int32'], ['unsigned', 'uint32'],
    ['unsigned int', 'uint32'], ['long long', 'int64'], ['int64_t', 'int64'], ['char', 'int8'], ['int8_t', 'int8'],
    ['uint8_t', 'uint8'], ['unsigned char', 'uint8'], ['bool', 'bool'], ['size_t', 'uint64'], ['unsigned long long', 'uint64'],
    ['float4', undefined], ['MyStruct', undefined], ['T', undefined],
  ];
  for (const [ctype, dtype] of cases) assert.equal(dtypeOfCType(ctype), dtype, ctype);
  assert.deepEqual(vectorTypeOf('float4'), { dtype: 'float32', lanes: 4 });
  assert.deepEqual(vectorTypeOf('__half2'), { dtype: 'float16', lanes: 2 });
  assert.equal(vectorTypeOf('float'), undefined);
  assert.equal(elementSize('bfloat16'), 2);
  assert.equal(elementSize('float64'), 8);
  assert.equal(elementSize('bool'), 1);
});

test('default bytes: inputs once, outputs once, inout twice, like extents merged', () => {
  assert.equal(
    defaultBytesExpr([
      { name: 'a', role: 'input', dtype: 'float32', shape: ['n'] },
      { name: 'b', role: 'inout', dtype: 'float16', shape: ['n'] },
      { name: 'c', role: 'output', dtype: 'float64', shape: ['rows', 'cols'] },
      { name: 'd', role: 'output', dtype: 'int8', shape: ['n / 2'] },
      { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
    ]),
    '8 * n + 8 * rows * cols + (n / 2)',
  );
  assert.equal(defaultBytesExpr([{ name: 'a', role: 'input', dtype: 'float32', shape: ['?'] }]), undefined);
});

test('installedSchemaUri finds the schema shipped with the sources', () => {
  const uri = installedSchemaUri();
  assert.ok(uri !== undefined && uri.startsWith('file://'), String(uri));
  assert.ok(uri.endsWith('/schemas/bench-spec.schema.json'));
  assert.equal((JSON.parse(readFileSync(new URL(uri), 'utf8')) as { $id: string }).$id, SCHEMA_ID);
});
