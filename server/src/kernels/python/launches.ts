// Triton launches are `kernel[grid](args)`: a call whose callee is a subscript of the kernel object.
import type { Node } from 'web-tree-sitter';
import type { Kernel, LaunchSite } from '../model';
import { rangeOf } from '../ranges';
import { inSegment, type Segment } from './recovery';
import { collapse } from './syntax';

/** The identifier a launch names last: `k` for `k`, `self._k` and `mod.Ops.k`. */
function trailingName(callee: Node): string | undefined {
  if (callee.type === 'identifier') return callee.text;
  if (callee.type === 'attribute') return callee.childForFieldName('attribute')?.text;
  return undefined;
}

function launchSite(call: Node, subscript: Node, callee: Node): LaunchSite {
  const grid = subscript.childrenForFieldName('subscript').filter((n): n is Node => n !== null);
  const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type !== 'comment');
  return {
    callee: collapse(callee.text),
    grid: grid.map((n) => collapse(n.text)).join(', '),
    block: '',
    args: args.map((a) => collapse(a.text)),
    range: rangeOf(call),
  };
}

/**
 * Which kernels a callee can mean, without type inference: the one whose qualified name is spelled out
 * (`k`, `Ops.k`); else, for `self.k`/`obj.k`, the methods of that name; else every kernel of that name
 * (if/else variants of one kernel are all launched by the same call).
 */
function targets(callee: Node, name: string, kernels: Kernel[]): Kernel[] {
  const named = kernels.filter((k) => k.name === name);
  const spelled = collapse(callee.text).replace(/\s*\.\s*/g, '.');
  const exact = named.filter((k) => k.qualifiedName === spelled);
  if (exact.length > 0) return exact;
  if (callee.type === 'attribute') {
    const methods = named.filter((k) => k.qualifiedName.endsWith(`.${name}`));
    if (methods.length > 0) return methods;
  }
  return named;
}

/** Appends every `kernel[grid](...)` in the segment to the launchSites of the kernel(s) it names. */
export function attachLaunchSites(segment: Segment, kernels: Kernel[]): void {
  if (kernels.length === 0) return;
  const names = new Set(kernels.map((k) => k.name));
  for (const call of segment.root.descendantsOfType('call')) {
    const subscript = call?.childForFieldName('function');
    if (!call || subscript?.type !== 'subscript' || !inSegment(call, segment)) continue;
    const callee = subscript.childForFieldName('value');
    const name = callee ? trailingName(callee) : undefined;
    if (!callee || !name || !names.has(name)) continue;
    for (const kernel of targets(callee, name, kernels)) kernel.launchSites.push(launchSite(call, subscript, callee));
  }
}
