// What the Python function around a Triton launch says about the launch's arguments: which names are tensors and
// their shapes (`n_rows, n_cols = x.shape`, `y = torch.empty_like(x)`, `c = torch.empty((M, N), dtype=…)`,
// `n = out.numel()`), dtypes where it allocates, and its locals (`grid = lambda meta: …`, `BLOCK = 1024`).
// A lexical reading of one function body, in order, last assignment winning; nothing is executed.

import type { Dtype } from './model';
import { splitPython } from './triton-access';

/** Shared between tensors that have the same shape (`empty_like`): learning one extent list sets both. */
export interface ShapeRef {
  extents?: string[];
  /** How the extents were learned, for assumptions. */
  from?: string;
}

export interface WrapperTensor {
  shape: ShapeRef;
  dtype?: Dtype;
  dtypeFrom?: string;
  /** Allocated by the wrapper (an output the caller did not pass). */
  allocated: boolean;
}

export interface Wrapper {
  name: string;
  /** 1-based line of its `def`. */
  line: number;
  params: string[];
  tensors: Map<string, WrapperTensor>;
  /** Local name → the Python text last assigned to it before the launch. */
  locals: Map<string, string>;
}

const TORCH_DTYPES: Record<string, Dtype> = {
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16', float64: 'float64', double: 'float64',
  int8: 'int8', uint8: 'uint8', int16: 'int16', int32: 'int32', int: 'int32', int64: 'int64', long: 'int64', bool: 'bool',
};

function dtypeIn(text: string): Dtype | undefined {
  const match = /\bdtype\s*=\s*torch\.(\w+)/.exec(text);
  return match ? TORCH_DTYPES[match[1]] : undefined;
}

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)?.[0].length ?? 0;
}

/** The `def` enclosing the line `siteLine` (0-based) of `fileText`, read up to that line. */
export function wrapperAt(fileText: string, siteLine: number): Wrapper | undefined {
  const lines = fileText.split('\n');
  const siteIndent = indentOf(lines[siteLine] ?? '');
  let defLine = -1;
  for (let i = siteLine - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (indentOf(line) < siteIndent && /^\s*def\s+\w+\s*\(/.test(line)) {
      defLine = i;
      break;
    }
    if (indentOf(line) === 0 && !/^\s*(def|@)/.test(line)) return undefined;
  }
  if (defLine < 0) return undefined;
  const text = lines.slice(defLine, siteLine).join('\n');
  const header = /def\s+(\w+)\s*\(([\s\S]*?)\)\s*(?:->[^:]*)?:/.exec(text);
  if (!header) return undefined;
  const params = splitPython(header[2])
    .map((p) => /^\s*\**([A-Za-z_]\w*)/.exec(p)?.[1])
    .filter((p): p is string => p !== undefined && p !== 'self');
  const wrapper: Wrapper = { name: header[1], line: defLine + 1, params, tensors: new Map(), locals: new Map() };
  const body = text.slice(header.index + header[0].length);
  for (const statement of body.split('\n')) readStatement(wrapper, statement.replace(/#.*$/, '').trim());
  return wrapper;
}

function tensor(wrapper: Wrapper, name: string): WrapperTensor {
  let found = wrapper.tensors.get(name);
  if (!found) {
    found = { shape: {}, allocated: false };
    wrapper.tensors.set(name, found);
  }
  return found;
}

function readStatement(wrapper: Wrapper, statement: string): void {
  const unpack = /^\(?\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*,?\s*\)?\s*=\s*([A-Za-z_]\w*)\s*\.\s*(?:shape|size\(\s*\))\s*$/.exec(statement);
  if (unpack) {
    const ref = tensor(wrapper, unpack[2]).shape;
    ref.extents = unpack[1].split(',').map((s) => s.trim());
    ref.from = `${unpack[1].replace(/\s+/g, '')} = ${unpack[2]}.shape`;
    return;
  }
  const assign = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]+)$/.exec(statement);
  if (!assign) return;
  const [, name, value] = assign;
  // `n = x.numel()` on a tensor of unknown shape: x is read as n elements, flat, and n is a size itself.
  const numel = /^([A-Za-z_]\w*)\s*\.\s*numel\s*\(\s*\)$/.exec(value);
  const counted = numel ? tensor(wrapper, numel[1]).shape : undefined;
  if (numel && counted && !counted.extents) {
    counted.extents = [name];
    counted.from = `${name} = ${numel[1]}.numel()`;
    return;
  }
  wrapper.locals.set(name, value);
  const like = /^torch\s*\.\s*(?:empty|zeros|ones|rand|randn|full)_like\s*\(\s*([A-Za-z_]\w*)/.exec(value);
  if (like) {
    const source = tensor(wrapper, like[1]);
    const dtype = dtypeIn(value);
    wrapper.tensors.set(name, { shape: source.shape, allocated: true, ...(dtype ? { dtype, dtypeFrom: `dtype=torch.${dtype}` } : source.dtype ? { dtype: source.dtype, dtypeFrom: `like ${like[1]}` } : {}) });
    return;
  }
  const alloc = /^torch\s*\.\s*(?:empty|zeros|ones|rand|randn)\s*\(([\s\S]*)\)\s*$/.exec(value);
  if (alloc) {
    const args = splitPython(alloc[1]);
    const positional = args.filter((a) => !/^[A-Za-z_]\w*\s*=(?!=)/.test(a));
    const sizeArg = args.find((a) => /^size\s*=/.test(a))?.replace(/^size\s*=\s*/, '');
    const first = sizeArg ?? positional[0];
    const tuple = first !== undefined ? /^[([]([\s\S]*)[)\]]$/.exec(first.trim()) : null;
    const extents = tuple ? splitPython(tuple[1]) : positional;
    const dtype = dtypeIn(value);
    wrapper.tensors.set(name, {
      shape: extents.length ? { extents, from: `${name} = torch.${/torch\s*\.\s*(\w+)/.exec(value)?.[1] ?? 'empty'}(…)` } : {},
      allocated: true,
      ...(dtype ? { dtype, dtypeFrom: `dtype=torch.${dtype}` } : {}),
    });
    return;
  }
}
