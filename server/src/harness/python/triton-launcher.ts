// A Triton kernel as the Python gate sees a task: generated Python that builds the spec's inputs, allocates and
// launches, so kp_kernelbench.py checks and times it with the probes it gives KernelBench tasks. `task.py` holds the
// sizes, get_inputs() (the spec's inputs drawn after the gate's torch.manual_seed, on its device, per dtype: uniform_,
// normal_, randint, full), and Model (the user's kernel); each candidate file holds a ModelNew (the candidate's
// kernel, its own launch). A call allocates the outputs with torch.empty (the gate poisons what that returns),
// copies inout buffers (inputs must stay unchanged), launches, and returns the outputs and inout buffers.
//
// Nothing from a spec reaches the Python text as code: names and file names are JSON string literals (valid Python
// strings), numbers are numbers, expressions are re-printed from their parse tree with sizes read from a dict.

import { DTYPES } from '../../benchspec/defaults';
import { parseExpr, variablesOf, type ExprNode } from '../../benchspec/expr';
import type { BenchSpec, Distribution, LaunchConfig, SpecArg } from '../../benchspec/model';

export const TRITON_TASK_FILE = 'task.py';

const TORCH_DTYPE: Record<string, string> = {
  float32: 'torch.float32', float16: 'torch.float16', bfloat16: 'torch.bfloat16', float64: 'torch.float64', int8: 'torch.int8', uint8: 'torch.uint8',
  int16: 'torch.int16', int32: 'torch.int32', uint32: 'torch.uint32', int64: 'torch.int64', uint64: 'torch.uint64', bool: 'torch.bool',
};

const str = (text: string): string => JSON.stringify(text);

function finite(value: number, what: string): string {
  if (!Number.isFinite(value)) throw new Error(`${what}: ${value} is not a finite number`);
  return String(value);
}

/** A spec expression as Python: sizes from `S`, constexprs (grids only) from `META`; C's truncating `/` and `%`. */
export function pythonExpr(text: string, meta: ReadonlySet<string> = new Set()): string {
  const emit = (node: ExprNode): string => {
    switch (node.kind) {
      case 'number':
        return node.integer ? String(node.value) : finite(node.value, node.text);
      case 'variable':
        return meta.has(node.name) ? `META[${str(node.name)}]` : `S[${str(node.name)}]`;
      case 'unary':
        return `(${node.op}${emit(node.operand)})`;
      case 'binary':
        if (node.op === '/') return `_div(${emit(node.left)}, ${emit(node.right)})`;
        if (node.op === '%') return `_mod(${emit(node.left)}, ${emit(node.right)})`;
        return `(${emit(node.left)} ${node.op} ${emit(node.right)})`;
      case 'call':
        return `${node.fn === 'cdiv' ? '_cdiv' : node.fn}(${node.args.map(emit).join(', ')})`;
    }
  };
  return emit(parseExpr(text));
}

function shapeOf(arg: SpecArg): string {
  const extents = (arg.shape ?? ['1']).map((e) => `int(${pythonExpr(e)})`);
  return `(${extents.join(', ')}${extents.length === 1 ? ',' : ''})`;
}

function torchDtype(arg: SpecArg): string {
  const dtype = TORCH_DTYPE[arg.dtype];
  if (!dtype || !DTYPES.includes(arg.dtype)) throw new Error(`args ${arg.name}: dtype '${arg.dtype}' has no torch equivalent`);
  return dtype;
}

function fill(arg: SpecArg, init: Distribution | undefined): string {
  const make = `torch.empty(${shapeOf(arg)}, dtype=${torchDtype(arg)})`;
  switch (init?.kind) {
    case undefined:
      return `${make}.uniform_(-1, 1)`;
    case 'uniform':
      return `${make}.uniform_(${finite(init.low, 'init.low')}, ${finite(init.high, 'init.high')})`;
    case 'normal':
      return `${make}.normal_(${finite(init.mean, 'init.mean')}, ${finite(init.std, 'init.std')})`;
    case 'int':
      return `torch.randint(${finite(init.low, 'init.low')}, ${finite(init.high, 'init.high')}, ${shapeOf(arg)}, dtype=${torchDtype(arg)})`;
    case 'const':
      return `torch.full(${shapeOf(arg)}, ${finite(init.value, 'init.value')}, dtype=${torchDtype(arg)})`;
  }
}

const inputsOf = (spec: BenchSpec) => spec.args.filter((a) => a.role === 'input' || a.role === 'inout');
const outputsOf = (spec: BenchSpec) => spec.args.filter((a) => a.role === 'output' || a.role === 'inout');

/** The body of `launch(kernel, *inputs)`: outputs allocated, inout copied, the kernel launched, outputs returned. */
function launchFunction(spec: BenchSpec, launch: LaunchConfig): string {
  // A grid name that is not a size is a constexpr (validate.ts allows only those): read from the launch's META, which
  // holds the passed constexprs and, for an autotuned kernel, the picked config's.
  const meta = new Set(launch.grid.flatMap((g) => variablesOf(g)).filter((name) => !(name in spec.sizes)));
  const inputs = inputsOf(spec);
  const lines = ['def launch(kernel, *inputs):', `    a = dict(zip(${JSON.stringify(inputs.map((i) => i.name))}, inputs))`, '    device = inputs[0].device if inputs else torch.device("cuda")'];
  for (const arg of spec.args) {
    const name = str(arg.name);
    if (arg.role === 'output') lines.push(`    a[${name}] = torch.empty(${shapeOf(arg)}, dtype=${torchDtype(arg)}, device=device)`);
    else if (arg.role === 'inout') lines.push(`    a[${name}] = a[${name}].clone()`);
    else if (arg.role === 'scalar') {
      const value = String(arg.value ?? '0');
      const isFloat = arg.dtype === 'float32' || arg.dtype === 'float64' || arg.dtype === 'float16' || arg.dtype === 'bfloat16';
      lines.push(`    a[${name}] = ${isFloat ? 'float' : arg.dtype === 'bool' ? 'bool' : 'int'}(${pythonExpr(value)})`);
    }
  }
  const kwargs = Object.entries(launch.constexprs ?? {}).map(([k, v]) => `${str(k)}: ${typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'number' ? finite(v, `constexpr ${k}`) : pythonExpr(v)}`);
  if (launch.numWarps !== undefined) kwargs.push(`"num_warps": ${finite(launch.numWarps, 'numWarps')}`);
  if (launch.numStages !== undefined) kwargs.push(`"num_stages": ${finite(launch.numStages, 'numStages')}`);
  const grid = launch.grid.map((g) => pythonExpr(g, meta));
  lines.push(`    grid = lambda META: (${grid.join(', ')}${grid.length === 1 ? ',' : ''})`);
  lines.push(`    kernel[grid](**a, **{${kwargs.join(', ')}})`);
  const outputs = outputsOf(spec).map((o) => `a[${str(o.name)}]`);
  lines.push(`    return ${outputs.length === 1 ? outputs[0] : `(${outputs.join(', ')})`}`);
  return lines.join('\n');
}

const HELPERS = `def _div(a, b):
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return a / b


def _mod(a, b):
    return a - b * _div(a, b) if isinstance(a, int) and isinstance(b, int) else a % b


def _cdiv(a, b):
    return _div(a + b - 1, b)`;

/** task.py: the sizes, get_inputs(), the runner every side shares, and Model (the user's kernel from `userModule`). */
export function tritonTaskSource(spec: BenchSpec, userModule: string): string {
  const sizes = Object.entries(spec.sizes).map(([k, v]) => `${str(k)}: ${finite(v, `sizes.${k}`)}`);
  const inputs = inputsOf(spec);
  if (outputsOf(spec).length === 0) throw new Error(`the spec of ${spec.kernel} has no output or inout buffer: nothing to check`);
  return `# Generated by KernelPilot: the Triton kernel ${JSON.stringify(spec.kernel)} as a task of its Python gate
# (kp_kernelbench.py). Model launches the user's kernel; each candidate file's ModelNew launches a candidate's.
import importlib.util
import json
import os
import sys

import torch

if os.environ.get("TRITON_INTERPRET") != "1" and not torch.cuda.is_available():
    raise RuntimeError("no CUDA GPU is visible to torch here (torch.cuda.is_available() is False): Triton kernels run only on a GPU")
try:
    import triton  # noqa: F401
except Exception as e:  # noqa: BLE001
    raise RuntimeError(f"triton cannot be imported here ({type(e).__name__}: {e}): install triton beside torch") from None

S = {${sizes.join(', ')}}


${HELPERS}


def get_inputs():
    return [
${inputs.map((arg) => `        ${fill(arg, arg.init)},`).join('\n')}
    ]


def get_init_inputs():
    return []


def load_kernel(file, name):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), file)
    spec = importlib.util.spec_from_file_location("kp_kernel_" + os.path.splitext(file)[0], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    if not hasattr(module, name):
        raise RuntimeError(f"{file} defines no kernel {name!r}")
    return getattr(module, name)


class Runner(torch.nn.Module):
    """Launches one side's kernel; what the gate reads: input and output names, and the autotuner's pick."""

    kp_input_names = ${JSON.stringify(inputs.map((a) => a.name))}
    kp_output_names = ${JSON.stringify(outputsOf(spec).map((a) => a.name))}

    def __init__(self, file, launch):
        super().__init__()
        self.kernel = load_kernel(file, ${str(spec.kernel)})
        self.launch = launch
        self.pinned = None

    def forward(self, *inputs):
        return self.launch(self.kernel, *inputs)

    def kp_report(self):
        best = getattr(self.kernel, "best_config", None)
        if best is None:
            return {}
        said = {"autotune": str(best), "autotuneConfig": json.dumps({"kwargs": dict(getattr(best, "kwargs", {}) or {}), "num_warps": getattr(best, "num_warps", None), "num_stages": getattr(best, "num_stages", None)}, default=str)}
        if self.pinned is not None:
            return {**said, "autotuneIndex": self.pinned, "pinned": "the pick of this run's first autotune"}
        index = next((i for i, c in enumerate(getattr(self.kernel, "configs", None) or []) if c is best), None)
        return {**said, **({"autotuneIndex": index} if index is not None else {})}

    def kp_pin(self, pick):
        """Autotunes no more: keeps only the config the autotuner picked earlier in this run (its index and text)."""
        configs = getattr(self.kernel, "configs", None)
        index = pick.get("index")
        if not isinstance(configs, list) or not isinstance(index, int) or not 0 <= index < len(configs) or str(configs[index]) != pick.get("config"):
            raise RuntimeError(f"the kernel's autotune configs do not hold the pick {pick.get('config')!r} at {index!r}")
        self.kernel.configs = [configs[index]]
        self.pinned = index


${launchFunction(spec, spec.launch)}


class Model(Runner):
    def __init__(self):
        super().__init__(${str(userModule)}, launch)
`;
}

/** A candidate's ModelNew: its kernel from `candidateModule`, launched with its own launch (or the spec's). */
export function tritonCandidateSource(spec: BenchSpec, candidateModule: string, launch: LaunchConfig): string {
  return `# Generated by KernelPilot: ModelNew launches the candidate's ${JSON.stringify(spec.kernel)}.
import torch
from kp_task import Runner, S, _cdiv, _div, _mod  # noqa: F401


${launchFunction(spec, launch)}


class ModelNew(Runner):
    def __init__(self):
        super().__init__(${str(candidateModule)}, launch)
`;
}
