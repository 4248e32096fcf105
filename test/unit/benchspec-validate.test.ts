import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import schema from '../../schemas/bench-spec.schema.json';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { validate, type SpecIssue } from '../../server/src/benchspec/validate';

function vectorAdd(): BenchSpec {
  return {
    version: 1,
    kernel: 'vector_add',
    file: 'kernels/vector_add.cu',
    sizes: { n: 1 << 20 },
    sweep: [{ n: 4096 }, { n: 1 << 24 }],
    args: [
      { name: 'a', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } },
      { name: 'b', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'normal', mean: 0, std: 1 } },
      { name: 'c', role: 'output', dtype: 'float32', shape: ['n'] },
      { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
    ],
    launch: { grid: ['cdiv(n, 256)'], block: ['256'], sharedMem: '0', from: 'kernels/vector_add.cu:40' },
    tolerance: { float32: { rtol: 1e-5, atol: 1e-5 } },
    roofline: { bytes: '12 * n', flops: 'n' },
    assumptions: ['n = 1048576'],
    unknowns: [],
  };
}

function matmul(): BenchSpec {
  return {
    version: 1,
    kernel: 'ns::matmul',
    templateArgs: ['float', '16'],
    sizes: { M: 512, N: 256, K: 128 },
    args: [
      { name: 'A', role: 'input', dtype: 'float32', shape: ['M', 'K'], init: { kind: 'uniform', low: -1, high: 1 } },
      { name: 'B', role: 'input', dtype: 'float32', shape: ['K * N'], init: { kind: 'const', value: 1 } },
      { name: 'C', role: 'inout', dtype: 'float32', shape: ['M * N'], init: { kind: 'int', low: 0, high: 3 } },
      { name: 'alpha', role: 'scalar', dtype: 'float32', value: '0.5' },
      { name: 'M', role: 'scalar', dtype: 'int64', value: 'M' },
      { name: 'N', role: 'scalar', dtype: 'int64', value: 'N' },
      { name: 'K', role: 'scalar', dtype: 'int64', value: 'K' },
    ],
    launch: { grid: ['cdiv(N, 16)', 'cdiv(M, 16)'], block: ['16', '16'] },
    roofline: { flops: '2 * M * N * K' },
  };
}

function issueAt(list: SpecIssue[], path: string, message?: RegExp): SpecIssue {
  const found = list.find((i) => i.path === path && (!message || message.test(i.message)));
  assert.ok(found, `no issue at ${path}${message ? ` matching ${message}` : ''}; got ${JSON.stringify(list, null, 1)}`);
  return found;
}

test('valid specs pass with nothing to report', () => {
  for (const spec of [vectorAdd(), matmul()]) {
    const result = validate(spec);
    assert.deepEqual(result, { ok: true, errors: [], warnings: [], unknowns: [] }, spec.kernel);
  }
});

test('numbers are accepted where expressions go (people write "block": [256])', () => {
  const spec = vectorAdd() as unknown as Record<string, unknown>;
  spec.launch = { grid: [4096], block: [256], sharedMem: 0 };
  assert.equal(validate(spec).ok, true, JSON.stringify(validate(spec).errors));
});

test('every example in the schema is valid against its own sub-schema', () => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, strictRequired: false });
  ajv.addSchema(schema);
  let checked = 0;
  const walk = (node: unknown, pointer: string): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.examples) && pointer !== '') {
      const check = ajv.getSchema(`${schema.$id}#${pointer}`);
      assert.ok(check, `cannot compile the sub-schema at ${pointer}`);
      for (const example of record.examples) {
        assert.ok(check(example), `example ${JSON.stringify(example)} at ${pointer}: ${JSON.stringify(check.errors)}`);
        checked++;
      }
    }
    for (const [key, value] of Object.entries(record)) {
      if (key === 'examples' || key === 'enum' || key === 'const') continue;
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${pointer}/${key}/${i}`));
      else walk(value, `${pointer}/${key}`);
    }
  };
  walk(schema, '');
  assert.ok(checked > 40, `only ${checked} examples checked`);
});

test('every property in the schema has a description and examples (for editor completion)', () => {
  const missing: string[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const properties = record.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [name, sub] of Object.entries(properties ?? {})) {
      if (typeof sub.description !== 'string') missing.push(`${pointer}/properties/${name}: description`);
      if (!Array.isArray(sub.examples)) missing.push(`${pointer}/properties/${name}: examples`);
      walk(sub, `${pointer}/properties/${name}`);
    }
    for (const key of ['items', 'additionalProperties']) if (record[key] && typeof record[key] === 'object') walk(record[key], `${pointer}/${key}`);
    for (const [name, sub] of Object.entries((record.definitions as Record<string, unknown>) ?? {})) walk(sub, `${pointer}/definitions/${name}`);
  };
  walk(schema, '');
  assert.deepEqual(missing, []);
});

test('schema errors point at the offending key or value, with actionable messages', () => {
  const spec = vectorAdd() as unknown as Record<string, unknown>;
  const args = spec.args as Record<string, unknown>[];
  delete spec.version;
  args[0].role = 'in';
  args[1].dtype = 'float33';
  args[2].shap = ['n'];
  (spec.sizes as Record<string, unknown>).m = 'lots';
  (spec.tolerance as Record<string, unknown>).fp32 = { rtol: 1, atol: 1 };
  spec.launch = { grid: ['cdiv(n, 256)', '1', '1', '1'], block: ['256'] };
  const result = validate(spec);
  assert.equal(result.ok, false);
  issueAt(result.errors, '', /missing required property 'version'/);
  issueAt(result.errors, '/args/0/role', /must be one of "input", "output", "inout", "scalar"/);
  issueAt(result.errors, '/args/1/dtype', /must be one of/);
  const typo = issueAt(result.errors, '/args/2/shap', /unknown property 'shap'; did you mean 'shape'\?/);
  assert.equal(typo.key, true);
  issueAt(result.errors, '/sizes/m', /must be an integer, or "\?" while unknown/);
  const tol = issueAt(result.errors, '/tolerance/fp32', /not allowed here/);
  assert.equal(tol.key, true);
  issueAt(result.errors, '/launch/grid', /must NOT have more than 3 items/);
});

test('init distributions need their parameters', () => {
  const spec = vectorAdd();
  spec.args[0].init = { kind: 'uniform', low: -1 } as never;
  spec.args[1].init = { kind: 'uniform', low: 1, high: -1 };
  const result = validate(spec);
  issueAt(result.errors, '/args/0/init', /missing required property 'high'/);
  issueAt(result.errors, '/args/1/init', /empty range/);
  assert.ok(!result.errors.some((e) => /then/.test(e.message)), 'if/then noise is filtered');
});

test('semantic checks: size variables, names, buffers, scalars', () => {
  const spec = vectorAdd();
  spec.args[0].shape = ['rows * n'];
  spec.args.push({ name: 'a', role: 'output', dtype: 'float32', shape: ['n'] });
  spec.args[1] = { name: 'b', role: 'input', dtype: 'float32' };
  spec.args[2] = { name: 'c', role: 'inout', dtype: 'float32', shape: ['n'] };
  spec.args[3] = { name: 'n', role: 'scalar', dtype: 'int32' };
  const result = validate(spec);
  const undefinedVar = issueAt(result.errors, '/args/0/shape/0', /'rows' is not a size variable.*sizes: n/);
  assert.deepEqual(undefinedVar.span, { start: 0, end: 4 }, 'the span covers `rows` inside the string');
  issueAt(result.errors, '/args/4/name', /duplicate argument name 'a' \(also \/args\/0\)/);
  issueAt(result.errors, '/args/1', /buffer 'b' needs a "shape"/);
  issueAt(result.errors, '/args/2', /inout 'c' needs "init"/);
  issueAt(result.errors, '/args/3', /scalar 'n' needs a "value"/);
});

test('expressions: parse errors with columns, evaluation at every sweep point, launch limits', () => {
  const spec = vectorAdd();
  spec.args[0].shape = ['cdiv(n)'];
  spec.args[1].shape = ['n - 8192'];
  spec.args[3].value = 'n / 2.5';
  spec.launch = { grid: ['cdiv(n, 0)'], block: ['64', '32'] };
  spec.roofline = { bytes: '12 * * n' };
  const result = validate(spec);
  const parse = issueAt(result.errors, '/args/0/shape/0', /cdiv takes 2 arguments.*column 1/);
  assert.deepEqual(parse.span, { start: 0, end: 7 });
  issueAt(result.errors, '/args/1/shape/0', /must not be negative, got -4096 at sweep point 0 \(n=4096\)/);
  issueAt(result.errors, '/args/3/value', /integer scalar needs an integer value/);
  issueAt(result.errors, '/launch/grid/0', /cdiv by zero/);
  issueAt(result.errors, '/launch/block', /2048 threads.*at most 1024/);
  issueAt(result.errors, '/roofline/bytes', /unexpected '\*'.*column 6/);
});

test('sweep points may only override existing sizes', () => {
  const spec = vectorAdd();
  spec.sweep = [{ n: 10, m: 3 }];
  const issue = issueAt(validate(spec).errors, '/sweep/0/m', /'m' is not in "sizes"/);
  assert.equal(issue.key, true);
});

test('placeholders are unknowns: reported with the spec\'s own message, and the spec is not runnable', () => {
  const spec = vectorAdd() as unknown as Record<string, unknown>;
  const args = spec.args as Record<string, unknown>[];
  args[0].shape = ['?'];
  args[1].dtype = '?';
  (spec.sizes as Record<string, unknown>).n = '?';
  spec.launch = { grid: ['?'], block: ['256'] };
  spec.unknowns = [
    { path: '/args/0/shape/0', message: 'how many elements does a hold?' },
    { path: '/roofline/bytes', message: 'stale: this was filled in' },
  ];
  const result = validate(spec);
  assert.equal(result.ok, false);
  assert.deepEqual(result.errors, [], 'placeholders are not errors');
  assert.deepEqual(
    result.unknowns.map((u) => u.path).sort(),
    ['/args/0/shape/0', '/args/1/dtype', '/launch/grid/0', '/sizes/n'],
  );
  assert.equal(result.unknowns.find((u) => u.path === '/args/0/shape/0')?.message, 'how many elements does a hold?');
  assert.match(result.unknowns.find((u) => u.path === '/sizes/n')?.message ?? '', /replace "\?"/);
  issueAt(result.warnings, '/unknowns/1', /\/roofline\/bytes is filled in; delete this entry/);
});

test('warnings for fields that are ignored', () => {
  const spec = vectorAdd();
  spec.args[2].init = { kind: 'const', value: 0 };
  spec.args[3].shape = ['n'];
  const result = validate(spec);
  assert.equal(result.ok, true, 'warnings do not block a run');
  issueAt(result.warnings, '/args/2/init', /ignored for outputs.*poisoned/);
  issueAt(result.warnings, '/args/3/shape', /ignored for scalars/);
});

test('anything that is not an object is rejected without throwing', () => {
  for (const value of [null, 42, 'spec', [1, 2]]) {
    const result = validate(value);
    assert.equal(result.ok, false);
    assert.ok(result.errors.length > 0);
  }
});

test('a size variable may not be called like a function', () => {
  const spec = vectorAdd();
  spec.sizes = { n: 10, min: 3 };
  const issue = issueAt(validate(spec).errors, '/sizes/min', /function name/);
  assert.equal(issue.key, true);
});
