// Finds Triton kernels: functions decorated with `@triton.jit` (or an alias of it), wherever they are defined.
import type { Node } from 'web-tree-sitter';
import type { Kernel } from '../model';
import { rangeOf } from '../ranges';
import { autotuneConfigs, configsArgument, moduleAssignments } from './autotune';
import { collectBindings, resolve, type Bindings } from './imports';
import { attachLaunchSites } from './launches';
import { inSegment, segmentsOf } from './recovery';
import { assignIds, decoratorExpression, pythonParams, shortDecorator, signatureTail, walkDefinitions, type Definition } from './syntax';

const jitPaths = new Set(['triton.jit', 'triton.runtime.jit', 'triton.runtime.jit.jit']);
const autotunePaths = new Set(['triton.autotune', 'triton.runtime.autotune', 'triton.runtime.autotuner.autotune']);
const constexprPaths = new Set(['triton.language.constexpr', 'triton.language.core.constexpr']);

/** The decorator's callee (`triton.jit` for both `@triton.jit` and `@triton.jit(...)`), resolved through imports. */
function decoratorPath(decorator: Node, bindings: Bindings): string | undefined {
  const expression = decoratorExpression(decorator);
  const callee = expression?.type === 'call' ? expression.childForFieldName('function') : expression;
  if (!callee || (callee.type !== 'identifier' && callee.type !== 'attribute')) return undefined;
  return resolve(callee.text, bindings);
}

/** `tl.constexpr`, `triton.language.constexpr`, an imported `constexpr`, also as a string annotation. */
function constexprTest(bindings: Bindings): (annotation: string) => boolean {
  return (annotation) => constexprPaths.has(resolve(annotation.replace(/^(['"])(.*)\1$/, '$2'), bindings));
}

function configsPlace(configs: Node): NonNullable<Kernel['autotuneConfigsAt']> {
  const last = configs.type === 'list' ? configs.namedChildren.filter((c) => c.type !== 'comment').at(-1) : undefined;
  return { range: rangeOf(configs), ...(last ? { lastElement: rangeOf(last) } : {}) };
}

function tritonKernel(definition: Definition, scope: string[], file: string, bindings: Bindings, assignments: Map<string, Node>): Kernel | undefined {
  const { node, outer, decorators } = definition;
  if (node.type !== 'function_definition') return undefined;
  const paths = decorators.map((d) => decoratorPath(d, bindings));
  if (!paths.some((p) => p !== undefined && jitPaths.has(p))) return undefined;
  const nameNode = node.childForFieldName('name');
  if (!nameNode) return undefined;
  const name = nameNode.text;

  const autotune = decorators.find((_, i) => autotunePaths.has(paths[i] ?? ''));
  const autotuneCall = autotune ? decoratorExpression(autotune) : undefined;
  const configsNode = autotuneCall?.type === 'call' ? configsArgument(autotuneCall) : undefined;
  return {
    id: '',
    name,
    qualifiedName: [...scope, name].join('.'),
    language: 'triton',
    file,
    range: rangeOf(outer),
    nameRange: rangeOf(nameNode),
    params: pythonParams(node.childForFieldName('parameters'), constexprTest(bindings)),
    templateParams: [],
    attributes: decorators.map(shortDecorator),
    signature: `def ${name}${signatureTail(node)}`,
    launchSites: [],
    // A bare `@triton.autotune` (no call) is a user error; report no configs rather than invent some.
    ...(autotune ? { autotuneConfigs: autotuneCall?.type === 'call' ? autotuneConfigs(autotuneCall, bindings, assignments) : [] } : {}),
    ...(configsNode ? { autotuneConfigsAt: configsPlace(configsNode) } : {}),
  };
}

/** Every Triton kernel in a parsed Python file, in source order, with launch sites from the same file. */
export function findTritonKernels(root: Node, file: string): Kernel[] {
  const { segments, dispose } = segmentsOf(root);
  try {
    const bindings = new Map(segments.flatMap((s) => [...collectBindings(s.root)]));
    const assignments = new Map(segments.flatMap((s) => [...moduleAssignments(s.root)]));
    const kernels: Kernel[] = [];
    for (const segment of segments) {
      walkDefinitions(segment.root, (definition, scope) => {
        if (!inSegment(definition.outer, segment)) return;
        const kernel = tritonKernel(definition, scope, file, bindings, assignments);
        if (kernel) kernels.push(kernel);
      });
    }
    for (const segment of segments) attachLaunchSites(segment, kernels);
    return assignIds(kernels);
  } finally {
    dispose();
  }
}
