import type { Node } from 'web-tree-sitter';
import type { LaunchSite } from '../model';
import { rangeOf } from '../ranges';
import { isCompiledOut } from './preprocessor';

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The innermost name of a callee: `ns::k<float, 4>` → the `k<float, 4>` template_function or `k` identifier. */
function innermost(node: Node): Node {
  let current = node;
  while (current.type === 'qualified_identifier') {
    const name = current.childForFieldName('name');
    if (!name) break;
    current = name;
  }
  return current;
}

export interface RawLaunch {
  site: LaunchSite;
  /** Plain identifier of the launched kernel. */
  name: string;
  /** Namespace qualifiers written at the call (`ns::inner`), without template arguments. */
  scope: string;
}

/** Every live `k<<<grid, block, smem, stream>>>(args)` among the `<<<…>>>` nodes of a tree. */
export function findLaunches(configs: readonly Node[]): RawLaunch[] {
  const launches: RawLaunch[] = [];
  for (const config of configs) {
    const call = config.parent;
    if (!call || call.type !== 'call_expression' || isCompiledOut(call)) continue;
    const callee = call.childForFieldName('function');
    if (!callee) continue;
    const inner = innermost(callee);
    const nameNode = inner.type === 'template_function' ? inner.childForFieldName('name') : inner;
    const templateArgs = inner.type === 'template_function' ? inner.childForFieldName('arguments')?.namedChildren.map((a) => collapse(a.text)) : undefined;
    const [grid, block, sharedMem, stream] = config.namedChildren.map((c) => collapse(c.text));
    const args = call.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'comment').map((a) => collapse(a.text)) ?? [];
    const calleeText = collapse(callee.text);
    const name = nameNode?.text ?? calleeText;
    const scopeEnd = calleeText.lastIndexOf('::' + name);
    launches.push({
      name,
      scope: scopeEnd > 0 ? calleeText.slice(0, scopeEnd).replace(/<[^<>]*>/g, '') : '',
      site: {
        callee: calleeText,
        ...(templateArgs ? { templateArgs } : {}),
        grid: grid ?? '',
        block: block ?? '',
        ...(sharedMem !== undefined ? { sharedMem } : {}),
        ...(stream !== undefined ? { stream } : {}),
        args,
        range: rangeOf(call),
      },
    });
  }
  return launches;
}
