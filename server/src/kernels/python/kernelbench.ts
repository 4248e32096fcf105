// Finds KernelBench models: a task file defines `class Model(nn.Module)` with `forward`, plus module-level
// `get_inputs()` / `get_init_inputs()`; a solution file defines `class ModelNew(nn.Module)` with `forward`.
import type { Node } from 'web-tree-sitter';
import type { Kernel, KernelParam } from '../model';
import { rangeOf } from '../ranges';
import { inSegment, segmentsOf } from './recovery';
import { asDefinition, assignIds, pythonParams, returnAnnotation, shortDecorator, type Definition } from './syntax';

/**
 * What counts, and why:
 * - `Model` needs `forward` AND a module-level `get_inputs`: `class Model(nn.Module)` is the most common name in
 *   all of PyTorch, and `get_inputs` is what makes a file a runnable KernelBench task. Without `forward` there
 *   is nothing to run either way.
 * - `ModelNew` needs only `forward`: solutions conventionally borrow the task's inputs, and the name is
 *   distinctive enough on its own.
 * - `get_init_inputs` is optional for both: KernelBench treats a model without init arguments as `[]`.
 * Only module-level classes count (KernelBench imports `Model` / `ModelNew` from the module).
 */
const modelNames = new Set(['Model', 'ModelNew']);

/** `nn.Module`, `torch.nn.Module`, an imported `Module`: any base named `Module` marks a torch module. */
function isTorchModule(cls: Node): boolean {
  const bases = cls.childForFieldName('superclasses')?.namedChildren ?? [];
  return bases.some((base) => (base.type === 'identifier' || base.type === 'attribute') && /(^|\.)Module$/.test(base.text.replace(/\s+/g, '')));
}

/** A method defined directly in the class body (decorated or not). */
function method(cls: Node, name: string): Definition | undefined {
  for (const statement of cls.childForFieldName('body')?.namedChildren ?? []) {
    const definition = asDefinition(statement);
    if (definition?.node.type === 'function_definition' && definition.node.childForFieldName('name')?.text === name) return definition;
  }
  return undefined;
}

/** Drops the instance parameter (`self`, whatever it is called) unless the method is a staticmethod. */
function withoutSelf(definition: Definition) {
  const params = pythonParams(definition.node.childForFieldName('parameters'));
  const isStatic = definition.decorators.some((d) => shortDecorator(d) === '@staticmethod');
  return !isStatic && params.length > 0 && !params[0].name.startsWith('*') ? params.slice(1) : params;
}

/** `x: torch.Tensor = None` as a signature shows it. */
function paramText(p: KernelParam): string {
  return `${p.name}${p.type ? `: ${p.type}` : ''}${p.default !== undefined ? ` = ${p.default}` : ''}`;
}

function modelKernel(definition: Definition, file: string, functions: Map<string, Node>): Kernel | undefined {
  const { node: cls, outer, decorators } = definition;
  const nameNode = cls.childForFieldName('name');
  const name = nameNode?.text ?? '';
  if (cls.type !== 'class_definition' || !nameNode || !modelNames.has(name) || !isTorchModule(cls)) return undefined;
  const forward = method(cls, 'forward');
  const getInputs = functions.get('get_inputs');
  const getInitInputs = functions.get('get_init_inputs');
  if (!forward || (name === 'Model' && !getInputs)) return undefined;
  const init = method(cls, '__init__');
  const params = withoutSelf(forward);
  return {
    id: '',
    name,
    qualifiedName: name,
    language: 'kernelbench',
    file,
    range: rangeOf(outer),
    nameRange: rangeOf(nameNode),
    params,
    templateParams: [],
    attributes: decorators.map(shortDecorator),
    signature: `${name}.forward(${params.map(paramText).join(', ')})${returnAnnotation(forward.node)}`,
    launchSites: [],
    kernelbench: {
      ...(getInputs ? { getInputs: rangeOf(getInputs) } : {}),
      ...(getInitInputs ? { getInitInputs: rangeOf(getInitInputs) } : {}),
      initParams: init ? withoutSelf(init) : [],
    },
  };
}

/** KernelBench `Model` / `ModelNew` classes of a parsed Python file (usually zero or one). */
export function findKernelBenchModels(root: Node, file: string): Kernel[] {
  const { segments, dispose } = segmentsOf(root);
  try {
    const definitions = segments.flatMap((segment) =>
      segment.root.namedChildren.map(asDefinition).filter((d): d is Definition => d !== undefined && inSegment(d.outer, segment)),
    );
    // Module-level functions by name; the whole definition is the range, so a lens or link can show all of it.
    const functions = new Map<string, Node>();
    for (const d of definitions) {
      const fnName = d.node.type === 'function_definition' ? d.node.childForFieldName('name')?.text : undefined;
      // The last definition wins, as when Python runs the module.
      if (fnName) functions.set(fnName, d.outer);
    }
    const kernels = definitions.map((d) => modelKernel(d, file, functions)).filter((k): k is Kernel => k !== undefined);
    return assignIds(kernels);
  } finally {
    dispose();
  }
}
