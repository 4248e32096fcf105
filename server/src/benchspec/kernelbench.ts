// KernelBench tasks say how to run themselves: `get_inputs()` builds the tensors `forward` takes, from
// module-level constants (`batch_size = 4096`). A spec for one records those shapes and distributions so the
// user sees the same table as for a CUDA kernel; the output is forward's return value, not an argument, and
// there is no launch to describe (the Python harness calls the model).

import type { Kernel } from '../kernels/model';
import { offsetAt, splitTopLevel } from './cexpr';
import { evaluate, isIdentifier } from './expr';
import { PLACEHOLDER, type BenchSpec, type Distribution, type SpecArg, type SpecUnknown } from './model';

export interface KernelBenchInference {
  spec: BenchSpec;
  assumptions: string[];
  unknowns: SpecUnknown[];
}

/** Module-level integer constants: `batch_size = 4096`, `dim = 1 << 10`. */
export function moduleConstants(fileText: string): Map<string, number> {
  const constants = new Map<string, number>();
  for (const m of fileText.matchAll(/^([A-Za-z_]\w*)[ \t]*=[ \t]*([0-9_ \t*+\-/()<>]+?)[ \t]*(?:#.*)?$/gm)) {
    try {
      const value = evaluate(m[2].replace(/_/g, '').replace(/\/\//g, '/'), Object.fromEntries(constants));
      if (Number.isSafeInteger(value)) constants.set(m[1], value);
    } catch {
      // `x = 2 ** 10` and friends: not a size we can read; the user fills it in.
    }
  }
  return constants;
}

const tensorFactories: Record<string, Distribution> = {
  rand: { kind: 'uniform', low: 0, high: 1 },
  randn: { kind: 'normal', mean: 0, std: 1 },
  ones: { kind: 'const', value: 1 },
  zeros: { kind: 'const', value: 0 },
};

export function inferKernelBench(kernel: Kernel, fileText: string | undefined, file: string): KernelBenchInference {
  const assumptions: string[] = ['KernelBench model: inputs follow get_inputs(), the output is what forward() returns; the launch does not apply'];
  const unknowns: SpecUnknown[] = [];
  const constants = fileText !== undefined ? moduleConstants(fileText) : new Map<string, number>();
  const range = kernel.kernelbench?.getInputs;
  const body = fileText !== undefined && range ? fileText.slice(offsetAt(fileText, range.start.line, range.start.character), offsetAt(fileText, range.end.line, range.end.character)) : '';
  const tensors = [...body.matchAll(/\btorch\.(rand|randn|ones|zeros)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)].map((m) => ({
    init: tensorFactories[m[1]],
    factory: m[1],
    dims: splitTopLevel(m[2]).filter((d) => !/=/.test(d)),
  }));
  const sizes: Record<string, number> = {};
  const args: SpecArg[] = kernel.params.map((param, i) => {
    const tensor = tensors[i];
    if (!tensor) {
      unknowns.push({ path: `/args/${i}/shape/0`, message: `get_inputs() does not show how ${param.name} is built; give its shape` });
      return { name: param.name, role: 'input', dtype: 'float32', shape: [PLACEHOLDER], init: { kind: 'uniform', low: -1, high: 1 } };
    }
    const shape = tensor.dims.map((dim, j) => {
      if (/^\d+$/.test(dim)) return dim;
      if (isIdentifier(dim) && constants.has(dim)) {
        sizes[dim] = constants.get(dim) as number;
        return dim;
      }
      unknowns.push({ path: `/args/${i}/shape/${j}`, message: `${param.name} dimension \`${dim}\` in get_inputs() is not a module-level integer; give it over sizes` });
      return PLACEHOLDER;
    });
    if (tensor.factory === 'rand') assumptions.push(`${param.name} is drawn like torch.rand: uniform[0, 1) (the task's choice; an all-zero output can pass loose tolerances on such inputs)`);
    return { name: param.name, role: 'input', dtype: 'float32', shape: shape.length ? shape : ['1'], init: tensor.init };
  });
  for (const [name, value] of Object.entries(sizes)) assumptions.push(`${name} = ${value}, from the task file`);
  assumptions.push('inputs are float32 (torch defaults)');
  const spec: BenchSpec = { version: 1, kernel: kernel.qualifiedName, file, sizes, args, launch: { grid: ['1'], block: ['1'] }, assumptions, unknowns };
  return { spec, assumptions, unknowns };
}
