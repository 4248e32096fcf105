// Spec validation decides whether a benchmark may run at all: the limits of a CUDA launch and of a spec's
// numbers, checked at their exact boundaries, at the default sizes and at every sweep point.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPlaceholders, joinPointer, splitPointer, validate } from '../../server/src/benchspec/validate';

type Spec = Record<string, unknown>;

function spec(patch: (s: Spec & { args: Spec[]; launch: Spec; sizes: Record<string, unknown> }) => void = () => undefined): Spec {
  const s = {
    version: 1,
    kernel: 'k',
    sizes: { n: 256 },
    args: [
      { name: 'x', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } },
      { name: 'y', role: 'output', dtype: 'float32', shape: ['n'] },
      { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
    ],
    launch: { grid: ['1'], block: ['256'] },
  };
  patch(s);
  return s;
}

const errorsOf = (s: Spec) => validate(s).errors.map((e) => `${e.path}: ${e.message}`);
const ok = (s: Spec) => assert.deepEqual(errorsOf(s), []);
const refused = (s: Spec, pattern: RegExp) => assert.ok(errorsOf(s).some((e) => pattern.test(e)), `${pattern} not in ${JSON.stringify(errorsOf(s))}`);

test('launch limits: block ≤ 1024 per dimension and in total, grid y/z ≤ 65535, grid x ≤ 2^31−1, all ≥ 1', { timeout: 10_000 }, () => {
  ok(spec((s) => (s.launch.block = ['1024'])));
  refused(spec((s) => (s.launch.block = ['1025'])), /^\/launch\/block\/0: a block dimension is at most 1024, got 1025 at the default sizes$/);
  ok(spec((s) => (s.launch.block = ['32', '32'])));
  refused(spec((s) => (s.launch.block = ['32', '33'])), /^\/launch\/block: the block has 1056 threads at the default sizes; CUDA allows at most 1024$/);
  ok(spec((s) => (s.launch.grid = ['1', '65535', '65535'])));
  refused(spec((s) => (s.launch.grid = ['1', '65536'])), /^\/launch\/grid\/1: grid y and z are limited to 65535, got 65536 at the default sizes$/);
  ok(spec((s) => (s.launch.grid = ['65536'])));
  ok(spec((s) => (s.launch.grid = ['2147483647'])));
  refused(spec((s) => (s.launch.grid = ['2147483648'])), /^\/launch\/grid\/0: grid x is limited to 2\^31-1/);
  refused(spec((s) => (s.launch.grid = ['0'])), /a launch dimension must be a positive integer, got 0/);
  refused(spec((s) => (s.launch.block = ['n * 0.3'])), /a launch dimension must be a positive integer, got 76\.8/);
  ok(spec((s) => (s.launch.sharedMem = '0')));
  refused(spec((s) => (s.launch.sharedMem = '0 - 1')), /shared memory must be a non-negative integer number of bytes, got -1/);
  refused(spec((s) => (s.launch.sharedMem = 'n * 0.3')), /shared memory must be a non-negative integer/);
});

test('extents and scalar values: integers where C needs them, never negative; checked at every sweep point', { timeout: 10_000 }, () => {
  ok(spec((s) => (s.args[0].shape = ['0'])));
  refused(spec((s) => (s.args[0].shape = ['n - 257'])), /^\/args\/0\/shape\/0: an extent must not be negative, got -1 at the default sizes$/);
  refused(spec((s) => (s.args[0].shape = ['n * 0.3'])), /an extent must be an integer, got 76\.8/);
  refused(spec((s) => (s.args[2].value = 'n * 0.3')), /^\/args\/2\/value: an integer scalar needs an integer value, got 76\.8/);
  ok(spec((s) => s.args.push({ name: 'alpha', role: 'scalar', dtype: 'float32', value: 'n * 0.3' })));
  refused(spec((s) => ((s.sweep = [{ n: 100 }, { n: 2048 }]), (s.launch.block = ['n']))), /^\/launch\/block\/0: a block dimension is at most 1024, got 2048 at sweep point 1 \(n=2048\)$/);
  // An error at one point is reported once, not once per later point.
  assert.equal(errorsOf(spec((s) => ((s.sweep = [{ n: 2048 }, { n: 4096 }]), (s.launch.block = ['n'])))).length, 1);
  refused(spec((s) => (s.launch.grid = ['n / (n - 256)'])), /^\/launch\/grid\/0: .* at the default sizes$/);
});

test('buffers and scalars need what the harness needs; names are unique; ranges are not empty', { timeout: 10_000 }, () => {
  refused(spec((s) => delete s.args[0].shape), /^\/args\/0: buffer 'x' needs a "shape"/);
  refused(spec((s) => delete s.args[0].init), /^\/args\/0: input 'x' needs "init"/);
  refused(spec((s) => ((s.args[1].role = 'inout'), delete s.args[1].init)), /^\/args\/1: inout 'y' needs "init"/);
  refused(spec((s) => delete s.args[2].value), /^\/args\/2: scalar 'n' needs a "value"/);
  refused(spec((s) => (s.args[1].name = 'x')), /^\/args\/1\/name: duplicate argument name 'x' \(also \/args\/0\)$/);
  refused(spec((s) => (s.args[0].init = { kind: 'uniform', low: 1, high: 1 })), /^\/args\/0\/init: empty range: low \(1\) must be below high \(1\)$/);
  refused(spec((s) => (s.args[0].init = { kind: 'int', low: 5, high: 2 })), /empty range: low \(5\) must be below high \(2\)/);
  ok(spec((s) => (s.args[0].init = { kind: 'int', low: 1, high: 2 })));
  ok(spec((s) => (s.args[0].init = { kind: 'normal', mean: 5, std: 1 })));
  const warned = validate(spec((s) => ((s.args[1].init = { kind: 'const', value: 0 }), (s.args[0].value = '1'), (s.args[2].shape = ['n']))));
  assert.deepEqual(warned.warnings.map((w) => [w.path, w.key]), [['/args/0/value', true], ['/args/1/init', true], ['/args/2/shape', true]]);
  assert.equal(warned.ok, true);
});

test('sizes: sweep points override only declared sizes; huge buffers are warned about at the default sizes', { timeout: 10_000 }, () => {
  refused(spec((s) => (s.sweep = [{ m: 1 }])), /^\/sweep\/0\/m: 'm' is not in "sizes"/);
  const huge = validate(spec((s) => ((s.sizes = { n: 2 ** 34 + 1 }), (s.args[2].dtype = 'int64'))));
  assert.deepEqual(huge.warnings.map((w) => w.path), ['/args/0/shape', '/args/1/shape']);
  assert.match(huge.warnings[0].message, /^'x' needs 64 GiB at the default sizes$/);
  const limit = validate(spec((s) => ((s.sizes = { n: 2 ** 34 }), (s.args[2].dtype = 'int64'))));
  assert.deepEqual(limit.warnings, [], 'exactly 64 GiB is not warned about');
  const half = validate(spec((s) => ((s.sizes = { n: 2 ** 34 + 1 }), (s.args[0].dtype = 'float16'), (s.args[2].dtype = 'int64'))));
  assert.deepEqual(half.warnings.map((w) => w.path), ['/args/1/shape'], 'element sizes count');
});

test('placeholders make a spec not runnable; stale unknowns entries are warned about; pointers round-trip', { timeout: 10_000 }, () => {
  const open = validate(spec((s) => ((s.sizes.n = '?'), (s.unknowns = [{ path: '/sizes/n', message: 'how big?' }, { path: '/launch/grid/0', message: 'x' }, { path: '/nope', message: 'y' }]))));
  assert.equal(open.ok, false);
  assert.deepEqual(open.unknowns, [{ path: '/sizes/n', message: 'how big?' }]);
  assert.deepEqual(open.warnings.map((w) => w.message), ['/launch/grid/0 is filled in; delete this entry', '/nope no longer exists; delete this entry']);
  assert.deepEqual(findPlaceholders({ a: ['?', { b: '?' }], unknowns: ['?'], assumptions: ['?'], $schema: '?' }), ['/a/0', '/a/1/b']);
  assert.equal(joinPointer('/args', 0, 'a/b~c'), '/args/0/a~1b~0c');
  assert.deepEqual(splitPointer('/args/0/a~1b~0c'), ['args', '0', 'a/b~c']);
  assert.deepEqual(splitPointer(''), []);
});

test('the block\'s total threads are checked at every sweep point, not only at the default sizes', { timeout: 10_000 }, () => {
  const swept = (sweep: Spec[]) => errorsOf(spec((s) => ((s.sizes.b = 16), (s.sweep = sweep), (s.launch.block = ['b', 'b']))));
  assert.deepEqual(swept([{ b: 32 }]), []);
  assert.deepEqual(swept([{ b: 32 }, { b: 33 }, { b: 64 }]), ['/launch/block: the block has 1089 threads at sweep point 1 (b=33); CUDA allows at most 1024']);
  assert.deepEqual(errorsOf(spec((s) => (s.launch.block = [64, 32]))), ['/launch/block: the block has 2048 threads at the default sizes; CUDA allows at most 1024'], 'numbers count as expressions');
  refused(spec((s) => (s.launch.block = [2048])), /^\/launch\/block\/0: a block dimension is at most 1024, got 2048/);
});

test('every schema problem is reported at once, each with what the field must be', { timeout: 10_000 }, () => {
  assert.deepEqual(errorsOf(spec((s) => ((s.version = 2), (s.sizes.n = true)))), ['/version: must be 1', '/sizes/n: must be an integer or a string']);
  assert.deepEqual(errorsOf(spec((s) => (s.sizes.n = 'many'))), ['/sizes/n: must be an integer, or "?" while unknown']);
  // A bad size name is said once, as a name (not also as the schema's propertyNames rule or an unknown property).
  assert.deepEqual(validate(spec((s) => (s.sizes = { '1n': 3, n: 256 }))).errors, [{ path: '/sizes/1n', key: true, message: "'1n' is not a valid name (letters, digits and _, not starting with a digit)" }]);
  const badArgName = errorsOf(spec((s) => (s.args[1].name = '1y')));
  assert.equal(badArgName.length, 1);
  assert.match(badArgName[0], /^\/args\/1\/name: /);
  assert.doesNotMatch(badArgName[0], /"\?"/, 'only the placeholder pattern is about "?"');
  // An unknown role is the schema's error only: the scalar and buffer rules do not guess what was meant.
  assert.deepEqual(errorsOf(spec((s) => (s.args[0].role = 'weights'))), ['/args/0/role: must be one of "input", "output", "inout", "scalar"']);
});

test('expressions: numbers count; unknown variables are underlined; only scalars have a value expression; each place is named', { timeout: 10_000 }, () => {
  assert.deepEqual(validate(spec((s) => (s.args[0].shape = ['2*width']))).errors.map((e) => [e.path, e.span]), [['/args/0/shape/0', { start: 2, end: 7 }]]);
  refused(spec((s) => delete (s as Spec).sizes), /^\/args\/0\/shape\/0: 'n' is not a size variable \(sizes: none\)/);
  refused(spec((s) => (delete (s as Spec).sizes, (s.launch.block = ['2048']))), /^\/launch\/block\/0: a block dimension is at most 1024, got 2048 at the default sizes$/);
  const bufferValue = validate(spec((s) => (s.args[0].value = 'm')));
  assert.deepEqual(bufferValue.errors, [], 'a buffer\'s ignored "value" is not read as an expression');
  assert.deepEqual(bufferValue.warnings.map((w) => w.path), ['/args/0/value']);
  refused(spec((s) => (s.launch.sharedMem = '0 - 1')), /^\/launch\/sharedMem: shared memory must be a non-negative integer/);
  refused(spec((s) => ((s as Spec).roofline = { bytes: '4 * n', flops: '2 * q' })), /^\/roofline\/flops: 'q' is not a size variable/);
  refused(spec((s) => ((s as Spec).roofline = { bytes: '4 * q', flops: '2 * n' })), /^\/roofline\/bytes: 'q' is not a size variable/);
  // A size variable may be named like the spec's free-text lists; its "?" still needs filling in.
  assert.deepEqual(validate(spec((s) => (s.sizes.assumptions = '?'))).unknowns.map((u) => u.path), ['/sizes/assumptions']);
});

test('a scalar of every integer dtype needs an integer value; a block dimension over its limit is named as a block\'s', { timeout: 10_000 }, () => {
  for (const dtype of ['int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool']) {
    refused(spec((s) => s.args.push({ name: 'k', role: 'scalar', dtype, value: '2.5' })), /^\/args\/3\/value: an integer scalar needs an integer value, got 2\.5/);
  }
  for (const dtype of ['float16', 'bfloat16', 'float32', 'float64']) ok(spec((s) => s.args.push({ name: 'k', role: 'scalar', dtype, value: '2.5' })));
  assert.deepEqual(errorsOf(spec((s) => (s.launch.block = ['3000000000', '70000']))), [
    '/launch/block/0: a block dimension is at most 1024, got 3000000000 at the default sizes',
    '/launch/block/1: a block dimension is at most 1024, got 70000 at the default sizes',
  ]);
});

test('buffer rules: an unnamed buffer is called by its place; low/high bound only uniform and int fills; a scalar\'s shape is ignored', { timeout: 10_000 }, () => {
  refused(spec((s) => ((s.args[0].name = undefined), delete s.args[0].shape)), /^\/args\/0: buffer '#0' needs a "shape"/);
  ok(spec((s) => (s.args[0].init = { kind: 'normal', mean: 0, std: 1, low: 5, high: 1 })));
  const scalarExtras = validate(spec((s) => ((s.args[2].shape = ['n']), (s.args[2].init = { kind: 'const', value: 1 }))));
  assert.deepEqual(scalarExtras.warnings.map((w) => `${w.path}: ${w.message}`), ['/args/2/shape: "shape" is ignored for scalars', '/args/2/init: "init" is ignored for scalars']);
});

test('Triton: grid and block may read the launch\'s constexprs (number, boolean, size expression) or the first autotune config\'s, at their values; nothing else may', { timeout: 10_000 }, () => {
  const triton = (patch: (s: Spec & { args: Spec[]; launch: Spec; sizes: Record<string, unknown> }) => void) => spec((s) => {
    s.launch.grid = ['(n + BLOCK - 1) / BLOCK'];
    s.launch.block = ['128'];
    patch(s);
  });
  ok(triton((s) => (s.launch.constexprs = { BLOCK: 64 })));
  ok(triton((s) => (s.launch.constexprs = { BLOCK: 'n / 4' })));
  ok(triton((s) => ((s.launch.constexprs = { BLOCK: 64, EVEN: true }), (s.launch.block = ['32 * (EVEN + 1)']))));
  ok(triton((s) => (s.triton = { autotune: { configs: [{ kwargs: { BLOCK: 64 } }, { kwargs: { BLOCK: 128 } }], key: ['n'] } })));
  // The values count: n / BLOCK with BLOCK 512 > n is a grid of 0 blocks; EVEN false halves the block.
  refused(triton((s) => ((s.launch.grid = ['n / BLOCK']), (s.launch.constexprs = { BLOCK: 512 }))), /^\/launch\/grid\/0: a launch dimension must be a positive integer, got 0/);
  refused(triton((s) => ((s.launch.grid = ['n / BLOCK']), (s.launch.constexprs = { BLOCK: 'n * 2' }))), /^\/launch\/grid\/0: a launch dimension must be a positive integer, got 0/);
  refused(triton((s) => ((s.launch.constexprs = { BLOCK: 64, BIG: true }), (s.launch.block = ['1024 * (BIG + 1)']))), /^\/launch\/block\/0: a block dimension is at most 1024, got 2048/);
  refused(triton((s) => ((s.launch.grid = ['n / BLOCK']), (s.triton = { autotune: { configs: [{ kwargs: { BLOCK: 1024 } }, { kwargs: { BLOCK: 64 } }], key: ['n'] } }))), /^\/launch\/grid\/0: a launch dimension must be a positive integer, got 0/);
  // Without a constexpr of that name, or outside the launch's dimensions, it is no size variable.
  refused(triton(() => undefined), /^\/launch\/grid\/0: 'BLOCK' is not a size variable/);
  refused(triton((s) => ((s.launch.constexprs = { BLOCK: 64 }), (s.args[0].shape = ['BLOCK']))), /^\/args\/0\/shape\/0: 'BLOCK' is not a size variable/);
  ok(triton((s) => ((s.launch.constexprs = { BLOCK: 64 }), (s.launch.block = ['BLOCK']))));
  // A constexpr the launch gives as a bad expression replaces the autotune config's value: reported where it is,
  // and the grid that reads it is not evaluated with the config's value instead.
  const bad = errorsOf(triton((s) => ((s.launch.grid = ['n / BLOCK']), (s.launch.constexprs = { BLOCK: 'n /' }), (s.triton = { autotune: { configs: [{ kwargs: { BLOCK: 1024 } }], key: ['n'] } }))));
  assert.ok(bad.some((e) => e.startsWith('/launch/constexprs/BLOCK: cannot read expression')), JSON.stringify(bad));
  assert.ok(!bad.some((e) => e.startsWith('/launch/grid/0')), JSON.stringify(bad));
});
