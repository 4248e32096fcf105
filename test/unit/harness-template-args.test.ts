// Spec template arguments become C++ in the harness: a grammar admits types and constants and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTemplateArg } from '../../server/src/harness/cuda/template-args';

test('types and constants the grammar admits', () => {
  for (const arg of [
    'float', '__nv_bfloat16', 'unsigned long long', 'const float*', 'float const * const', 'int&', 'int&&',
    'ns::Vec<float, 4>', '::cute::Shape<cute::Int<64>, cute::Int<128>>', 'Op<Op<Op<int>>>', '256', '-1', '0x10u', '1\'000\'000ll',
    '1.5f', '.5', '1e-3', 'true', 'nullptr', 'kBlock', 'Tile::kSize', '  float  ', 'A<>',
  ]) assert.equal(checkTemplateArg(arg), arg.trim(), arg);
});

test('anything else is refused, saying where it stopped', () => {
  const refused: Array<[string, RegExp]> = [
    ['float>(0), system("id"), k<float', /"\(" \(U\+0028\) at column 7/],
    ['float>0, k<int', /expected the end of the argument at column 6, found '>'/],
    ['float<%x;%>', /"%" \(U\+0025\) at column 7/],
    ['float\r#define x', /"\\r" \(U\+000D\) at column 6/],
    ['float\n;', /U\+000A/],
    ['decltype(x)', /"\(" \(U\+0028\) at column 9/],
    ['typename T::type', /found 'typename'/],
    ['sizeof x', /found 'sizeof'/],
    ['[]{ return 0; }', /"\[" \(U\+005B\)/],
    ['a b', /expected the end of the argument at column 3, found 'b'/],
    ['N / 2', /"\/"/],
    ['Op<int', /expected '>' or ','/],
    ['', /expected a type or constant at the end/],
    ['"str"', /"\\"" \(U\+0022\)/],
    ['x <: y :>', /":" \(U\+003A\)/],
    [`${'A<'.repeat(20)}int${'>'.repeat(20)}`, /nested deeper than 16/],
  ];
  for (const [arg, message] of refused) assert.throws(() => checkTemplateArg(arg), message, JSON.stringify(arg));
});
