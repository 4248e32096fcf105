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
