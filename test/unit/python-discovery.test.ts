// Python discovery on its own (no dispatch through discover()): the .py fixtures against expected.json, then
// one feature per test on small inline sources.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import type { Kernel } from '../../server/src/kernels/model';
import { createParser } from '../../server/src/kernels/parsers';
import { findKernelBenchModels, findTritonKernels } from '../../server/src/kernels/python';
import { compareKernels, failureMessage, fixtureFiles, fixturesDir, loadExpectations } from './discovery-expectations';

let parser: Parser;
before(async () => {
  parser = await createParser('python');
});

/** Parses, runs both finders, and frees the tree (trees live in wasm memory). */
function find(source: string, file = 'inline.py'): Kernel[] {
  const tree = parser.parse(source);
  assert.ok(tree, 'tree-sitter returned no tree');
  try {
    return [...findTritonKernels(tree.rootNode, file), ...findKernelBenchModels(tree.rootNode, file)];
  } finally {
    tree.delete();
  }
}

function only(kernels: Kernel[], qualifiedName: string): Kernel {
  const matches = kernels.filter((k) => k.qualifiedName === qualifiedName);
  assert.equal(matches.length, 1, `expected one ${qualifiedName}, found ${kernels.map((k) => k.id).join(', ') || 'none'}`);
  return matches[0];
}

/** Joins lines so inline Python keeps its indentation readable in this file. */
const py = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('python fixtures match expected.json', () => {
  const expectations = loadExpectations();
  for (const file of fixtureFiles().filter((f) => f.endsWith('.py'))) {
    test(file, () => {
      const path = join(fixturesDir, file);
      const kernels = find(readFileSync(path, 'utf8'), path);
      const comparison = compareKernels(kernels, expectations[file] ?? []);
      assert.ok(comparison.problems.length === 0, failureMessage(file, comparison, kernels));
    });
  }
});

describe('triton', () => {
  test('constexpr marking follows the annotation, through aliases and string annotations', () => {
    const kernels = find(
      py(
        'import triton',
        'import triton.language as tl',
        'from triton.language import constexpr',
        '@triton.jit',
        'def k(a, b: int, C: tl.constexpr, D: triton.language.constexpr = 4, E: constexpr = 1, F: "tl.constexpr" = 2, G: tl.tensor = None):',
        '    pass',
      ),
    );
    const params = only(kernels, 'k').params;
    assert.deepEqual(
      params.map((p) => [p.name, p.constexpr, p.default]),
      [
        ['a', false, undefined],
        ['b', false, undefined],
        ['C', true, undefined],
        ['D', true, '4'],
        ['E', true, '1'],
        ['F', true, '2'],
        ['G', false, 'None'],
      ],
    );
    assert.equal(params[2].type, 'tl.constexpr');
  });

  test('inline autotune configs: kwargs, num_warps, num_stages, positional forms and dict()', () => {
    const [kernel] = find(
      py(
        'import triton',
        'from triton import Config',
        '@triton.autotune(',
        '    configs=[',
        '        triton.Config({"BLOCK_M": 128, \'BLOCK_N\': 2 * 32}, num_warps=4, num_stages=2),',
        '        Config(dict(BLOCK_M=64, BLOCK_N=64), 8, 3),',
        '        triton.Config(kwargs={"BLOCK_M": 32}),',
        '    ],',
        '    key=["M", "N"],',
        ')',
        '@triton.jit',
        'def mm(a, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):',
        '    pass',
      ),
    );
    assert.deepEqual(kernel.attributes, ['@triton.autotune', '@triton.jit']);
    assert.deepEqual(
      kernel.autotuneConfigs?.map(({ kwargs, numWarps, numStages }) => ({ kwargs, numWarps, numStages })),
      [
        { kwargs: { BLOCK_M: '128', BLOCK_N: '2 * 32' }, numWarps: '4', numStages: '2' },
        { kwargs: { BLOCK_M: '64', BLOCK_N: '64' }, numWarps: '8', numStages: '3' },
        { kwargs: { BLOCK_M: '32' }, numWarps: undefined, numStages: undefined },
      ],
    );
    assert.equal(kernel.autotuneConfigs?.[0].text, 'triton.Config({"BLOCK_M": 128, \'BLOCK_N\': 2 * 32}, num_warps=4, num_stages=2)');
  });

  test('autotune configs from module-level lists, concatenation and splats; comprehensions are not guessed', () => {
    const kernels = find(
      py(
        'import triton',
        'BASE = [triton.Config({"B": 1}, num_warps=1)]',
        'MORE = BASE + [triton.Config({"B": 2}, num_warps=2)]',
        'ALL = [*MORE, triton.Config({"B": 3}, num_warps=4)]',
        'GEN = [triton.Config({"B": b}) for b in (1, 2, 4)]',
        '@triton.autotune(configs=ALL, key=[])',
        '@triton.jit',
        'def from_list(x):',
        '    pass',
        '@triton.autotune(configs=GEN, key=[])',
        '@triton.jit',
        'def from_comprehension(x):',
        '    pass',
        '@triton.jit',
        'def not_tuned(x):',
        '    pass',
      ),
    );
    assert.deepEqual(only(kernels, 'from_list').autotuneConfigs?.map((c) => c.kwargs.B), ['1', '2', '3']);
    assert.deepEqual(only(kernels, 'from_comprehension').autotuneConfigs, []);
    assert.equal(only(kernels, 'not_tuned').autotuneConfigs, undefined, 'no autotune decorator, no configs field');
  });

  test('methods and nested classes get dotted qualified names; if/else variants get #2 ids', () => {
    const kernels = find(
      py(
        'import triton',
        'class Ops:',
        '    @staticmethod',
        '    @triton.jit',
        '    def k(x):',
        '        pass',
        '    class Inner:',
        '        @triton.jit',
        '        def k(x):',
        '            pass',
        'if FAST:',
        '    @triton.jit',
        '    def k(x):',
        '        pass',
        'else:',
        '    @triton.jit',
        '    def k(x):',
        '        pass',
      ),
    );
    assert.deepEqual(
      kernels.map((k) => [k.id, k.name, k.qualifiedName]),
      [
        ['triton:Ops.k', 'k', 'Ops.k'],
        ['triton:Ops.Inner.k', 'k', 'Ops.Inner.k'],
        ['triton:k', 'k', 'k'],
        ['triton:k#2', 'k', 'k'],
      ],
    );
    assert.deepEqual(kernels[0].attributes, ['@staticmethod', '@triton.jit']);
  });

  test('jit is recognised by origin: triton aliases count, numba jit and plain defs do not', () => {
    const kernels = find(
      py(
        'import triton as tr',
        'from triton import jit as tjit',
        'from numba import jit',
        '@tr.jit(do_not_specialize=["n"])',
        'def a(x, n):',
        '    pass',
        '@tjit',
        'def b(x):',
        '    pass',
        '@jit(nopython=True)',
        'def c(x):',
        '    pass',
        'def d(x):',
        '    pass',
      ),
    );
    assert.deepEqual(
      kernels.map((k) => [k.name, k.attributes]),
      [
        ['a', ['@tr.jit']],
        ['b', ['@tjit']],
      ],
    );
  });

  test('range covers the decorators, nameRange the name; the signature is one line', () => {
    const [kernel] = find(
      py(
        'import triton',
        '',
        '@triton.heuristics({"EVEN": lambda a: True})',
        '@triton.jit',
        'def add_kernel(',
        '    x_ptr,  # input',
        '    out_ptr,',
        '    n,',
        '    BLOCK: tl.constexpr,',
        ') -> None:',
        '    pass',
      ),
    );
    assert.deepEqual(kernel.range.start, { line: 2, character: 0 });
    assert.deepEqual(kernel.range.end, { line: 10, character: 8 });
    assert.deepEqual(kernel.nameRange, { start: { line: 4, character: 4 }, end: { line: 4, character: 14 } });
    assert.equal(kernel.signature, 'def add_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr) -> None');
    assert.equal(kernel.language, 'triton');
    assert.equal(kernel.file, 'inline.py');
  });

  test('launch sites record callee, grid and args, and link self./Class. calls to methods', () => {
    const kernels = find(
      py(
        'import triton',
        '@triton.jit',
        'def k(x, n, BLOCK: tl.constexpr):',
        '    pass',
        'class Ops:',
        '    @staticmethod',
        '    @triton.jit',
        '    def m(x):',
        '        pass',
        '    def run(self, x):',
        '        self.m[(1,)](x)',
        'def run(x, n):',
        '    k[(triton.cdiv(n, 128),)](x, n, BLOCK=128)',
        '    k[grid](',
        '        x,  # the input',
        '        n,',
        '    )',
        '    Ops.m[4, 1](x)',
        '    other[grid](x)',
      ),
    );
    const k = only(kernels, 'k');
    assert.deepEqual(
      k.launchSites.map(({ callee, grid, block, args }) => ({ callee, grid, block, args })),
      [
        { callee: 'k', grid: '(triton.cdiv(n, 128),)', block: '', args: ['x', 'n', 'BLOCK=128'] },
        { callee: 'k', grid: 'grid', block: '', args: ['x', 'n'] },
      ],
    );
    assert.deepEqual(k.launchSites[1].range, { start: { line: 13, character: 4 }, end: { line: 16, character: 5 } });
    assert.deepEqual(
      only(kernels, 'Ops.m').launchSites.map((l) => [l.callee, l.grid]),
      [
        ['self.m', '(1,)'],
        ['Ops.m', '4, 1'],
      ],
    );
  });

  test('text in strings, docstrings and comments is never a kernel', () => {
    const kernels = find(
      py(
        '"""',
        '@triton.jit',
        'def in_docstring(x):',
        '    pass',
        '"""',
        '# @triton.jit',
        '# def in_comment(x): pass',
        'SRC = "@triton.jit\\ndef in_string(x):\\n    pass"',
      ),
    );
    assert.deepEqual(kernels, []);
  });

  test('a syntax error mid-file hides neither the kernels before it nor those after it', () => {
    const kernels = find(
      py(
        'import triton',
        '@triton.jit',
        'def before(x):',
        '    pass',
        'def broken(x:',
        '    return (x +',
        '@triton.jit',
        'def after(x):',
        '    pass',
        'def broken_again(',
        '@triton.jit',
        'def last(x):',
        '    pass',
      ),
    );
    assert.deepEqual(
      kernels.map((k) => [k.name, k.nameRange.start.line]),
      [
        ['before', 2],
        ['after', 7],
        ['last', 11],
      ],
    );
  });

  test('recovery keeps positions exact in CRLF files', () => {
    const source = ['import triton', 'def broken(x:', '@triton.jit', 'def after(x):', '    pass', ''].join('\r\n');
    const [kernel] = find(source);
    assert.equal(kernel?.name, 'after');
    assert.deepEqual(kernel.range.start, { line: 2, character: 0 });
    assert.deepEqual(kernel.nameRange, { start: { line: 3, character: 4 }, end: { line: 3, character: 9 } });
  });
});

describe('kernelbench', () => {
  test('a task: forward params without self, init params, get_inputs/get_init_inputs ranges', () => {
    const [model] = find(
      py(
        'import torch',
        'import torch.nn as nn',
        'class Model(nn.Module):',
        '    def __init__(self, dim: int, eps: float = 1e-5):',
        '        super().__init__()',
        '    def forward(self, x: torch.Tensor, y=None) -> torch.Tensor:',
        '        return x',
        'def get_inputs():',
        '    return [torch.rand(4)]',
        'def get_init_inputs():',
        '    return [4]',
      ),
    );
    assert.equal(model.id, 'kernelbench:Model');
    assert.equal(model.language, 'kernelbench');
    assert.deepEqual(model.params.map((p) => [p.name, p.type, p.default]), [
      ['x', 'torch.Tensor', undefined],
      ['y', '', 'None'],
    ]);
    assert.deepEqual(model.kernelbench?.initParams.map((p) => [p.name, p.default]), [
      ['dim', undefined],
      ['eps', '1e-5'],
    ]);
    assert.deepEqual(model.kernelbench?.getInputs, { start: { line: 7, character: 0 }, end: { line: 8, character: 26 } });
    assert.deepEqual(model.kernelbench?.getInitInputs?.start, { line: 9, character: 0 });
    assert.deepEqual(model.range.start, { line: 2, character: 0 });
    assert.deepEqual(model.nameRange, { start: { line: 2, character: 6 }, end: { line: 2, character: 11 } });
    assert.equal(model.signature, 'Model.forward(x: torch.Tensor, y = None) -> torch.Tensor');
    assert.deepEqual(model.launchSites, []);
  });

  test('Model needs forward and get_inputs; ModelNew needs only forward', () => {
    const modelWithoutInputs = py('import torch', 'class Model(torch.nn.Module):', '    def forward(self, x):', '        return x');
    assert.deepEqual(find(modelWithoutInputs), []);
    const modelWithoutForward = py('import torch', 'class Model(torch.nn.Module):', '    pass', 'def get_inputs():', '    return []');
    assert.deepEqual(find(modelWithoutForward), []);
    const solution = py('import torch.nn as nn', 'class ModelNew(nn.Module):', '    def forward(self, a, b):', '        return a + b');
    const [modelNew] = find(solution);
    assert.equal(modelNew.qualifiedName, 'ModelNew');
    assert.deepEqual(modelNew.params.map((p) => p.name), ['a', 'b']);
    assert.equal(modelNew.kernelbench?.getInputs, undefined);
  });

  test('only module-level torch modules named Model/ModelNew count', () => {
    const kernels = find(
      py(
        'import torch.nn as nn',
        'class Model:',
        '    def forward(self, x):',
        '        return x',
        'class Wrapper:',
        '    class ModelNew(nn.Module):',
        '        def forward(self, x):',
        '            return x',
        'class Net(nn.Module):',
        '    def forward(self, x):',
        '        return x',
        'def get_inputs():',
        '    return []',
      ),
    );
    assert.deepEqual(kernels, []);
  });
});
