import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specDiagnostics, type SpecDiagnostic } from '../../server/src/benchspec/diagnostics';
import { inferSpec } from '../../server/src/benchspec/infer';
import { serializeSpec } from '../../server/src/benchspec/serialize';
import type { Kernel } from '../../server/src/kernels/model';

/** The text a diagnostic underlines. */
function covered(text: string, d: SpecDiagnostic): string {
  const lines = text.split('\n');
  if (d.range.start.line === d.range.end.line) return lines[d.range.start.line].slice(d.range.start.character, d.range.end.character);
  return `${lines[d.range.start.line].slice(d.range.start.character)}…`;
}

function find(list: SpecDiagnostic[], pattern: RegExp): SpecDiagnostic {
  const found = list.find((d) => pattern.test(d.message));
  assert.ok(found, `no diagnostic matching ${pattern}: ${JSON.stringify(list.map((d) => d.message))}`);
  return found;
}

const text = `{
  // a comment is fine
  "version": 1,
  "kernel": "k",
  "sizes": { "n": 1024, "stride": "?" },
  "args": [
    { "name": "x", "role": "input", "dtype": "float32", "shape": ["n * rows"], "init": { "kind": "uniform", "low": -1, "high": 1 } },
    { "name": "y", "role": "output", "dtype": "float32", "shap": ["n"] },
    { "name": "n", "role": "scalar", "dtype": "int32", "value": "cdiv(n)" },
    { "name": "s", "role": "scalar", "dtype": "int32", "value": "stride" }
  ],
  "launch": { "grid": ["?"], "block": ["2048"] },
  "unknowns": [{ "path": "/launch/grid/0", "message": "write the grid over sizes" }]
}
`;

test('each problem sits on its own node: keys, values, characters inside expressions', () => {
  const list = specDiagnostics(text);
  const lineOf = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle));

  const undefinedVar = find(list, /'rows' is not a size variable/);
  assert.equal(undefinedVar.severity, 'error');
  assert.equal(undefinedVar.range.start.line, lineOf('n * rows'));
  assert.equal(covered(text, undefinedVar), 'rows', 'underlines the variable inside the string');

  const typo = find(list, /unknown property 'shap'; did you mean 'shape'/);
  assert.equal(typo.range.start.line, lineOf('"shap"'));
  assert.equal(covered(text, typo), '"shap"', 'underlines the key, not the value');

  const missingShape = find(list, /buffer 'y' needs a "shape"/);
  assert.equal(missingShape.range.start.line, lineOf('"shap"'));
  assert.equal(covered(text, missingShape), '{', 'a multi-key object in an array: only its brace');

  const badCall = find(list, /cdiv takes 2 arguments/);
  assert.equal(badCall.range.start.line, lineOf('cdiv(n)'));
  assert.equal(covered(text, badCall), 'cdiv(n)');

  const block = find(list, /a block dimension is at most 1024/);
  assert.equal(covered(text, block), '"2048"');
  assert.equal(block.path, '/launch/block/0');

  const gridUnknown = find(list, /to fill in: write the grid over sizes/);
  assert.equal(gridUnknown.severity, 'warning');
  assert.equal(gridUnknown.range.start.line, lineOf('"grid"'));
  assert.equal(covered(text, gridUnknown), '"?"');

  const strideUnknown = find(list, /to fill in: not decided yet/);
  assert.equal(strideUnknown.path, '/sizes/stride');
  assert.equal(covered(text, strideUnknown), '"?"');

  // Sorted by position, so the editor's problem list reads top to bottom.
  const starts = list.map((d) => d.range.start.line * 1000 + d.range.start.character);
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
});

test('syntax errors are reported where they are, and hide schema noise', () => {
  const broken = '{\n  "version": 1,\n  "kernel": "k"\n  "sizes": {}\n}\n';
  const list = specDiagnostics(broken);
  assert.ok(list.length >= 1);
  assert.ok(list.every((d) => d.severity === 'error' && /JSON syntax/.test(d.message)));
  assert.equal(list[0].range.start.line, 3, 'the missing comma is noticed at the next property');
  assert.match(list[0].message, /CommaExpected/);
  assert.deepEqual(specDiagnostics('').map((d) => d.message), ['JSON syntax: ValueExpected']);
});

test('missing required properties land on the key of the object that lacks them', () => {
  const t = '{\n  "version": 1,\n  "kernel": "k",\n  "sizes": {},\n  "args": [],\n  "launch": {\n    "grid": ["1"]\n  }\n}\n';
  const d = find(specDiagnostics(t), /missing required property 'block'/);
  assert.equal(covered(t, d), '"launch"');
  assert.equal(d.range.start.line, 5);
});

test('duplicate keys are flagged on the one that wins', () => {
  const t = '{ "version": 1, "kernel": "k", "sizes": { "n": 1, "n": 2 }, "args": [], "launch": { "grid": ["1"], "block": ["1"] } }';
  const d = find(specDiagnostics(t), /duplicate property 'n'/);
  assert.equal(d.range.start.character, t.lastIndexOf('"n"'));
});

test('an inferred spec, saved, shows exactly its unknowns as warnings', () => {
  const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const kernel: Kernel = {
    id: 'cuda:k', name: 'k', qualifiedName: 'k', language: 'cuda', file: 'k.cu', range: zero, nameRange: zero,
    params: [
      { name: 'x', type: 'const float*', baseType: 'float', pointer: true, const: true, restrict: false, range: zero },
      { name: 'y', type: 'float*', baseType: 'float', pointer: true, const: false, restrict: false, range: zero },
      { name: 'n', type: 'int', baseType: 'int', pointer: false, const: false, restrict: false, range: zero },
      { name: 'ld', type: 'int', baseType: 'int', pointer: false, const: false, restrict: false, range: zero },
    ],
    templateParams: [], attributes: ['__global__'], signature: '', launchSites: [],
  };
  const { spec, unknowns } = inferSpec(kernel, { bodyText: '{ y[i] = x[i]; }' });
  const saved = serializeSpec(spec);
  const list = specDiagnostics(saved);
  assert.deepEqual(list.filter((d) => d.severity === 'error'), []);
  assert.deepEqual(list.map((d) => d.path).sort(), unknowns.map((u) => u.path).sort());
  const ld = list.find((d) => d.path === '/sizes/ld');
  assert.ok(ld);
  assert.equal(covered(saved, ld), '"?"');
  assert.match(saved.split('\n')[ld.range.start.line], /"sizes"/);
});
