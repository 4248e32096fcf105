// What a GPU expert would want to see of a kernel: the kernel, and from the rest of the file only what it
// depends on (includes, macros, types, constants, device functions, transitively), plus the host code that
// launches it. Big files stay out of the prompt; nothing the kernel needs is missing.

import type { Kernel } from '../kernels/model';
import { identifiersIn, parseUnits, type Unit } from './units';

export interface KernelContext {
  /** The kernel's own text. */
  kernel: string;
  /** Includes and the declarations the kernel uses, in file order. */
  dependencies: string;
  /** `k<<<…>>>(…)` statements in the file (1-based line), for reference. */
  launchSites: Array<{ line: number; code: string }>;
}

/** The unit that defines `kernel` in `units` (by name, the scope when given). */
export function kernelUnit(units: readonly Unit[], kernel: Pick<Kernel, 'name' | 'qualifiedName'>): Unit | undefined {
  const scope = kernel.qualifiedName.includes('::') ? kernel.qualifiedName.slice(0, kernel.qualifiedName.lastIndexOf('::')) : '';
  const named = units.filter((u) => u.kernel && u.name === kernel.name);
  return named.find((u) => u.scope === scope) ?? named[0];
}

/** Units `seed` needs, transitively, among `units` (never `seed` itself). */
export function dependenciesOf(units: readonly Unit[], seed: Unit): Unit[] {
  const needed = new Set<Unit>();
  let frontier = identifiersIn(seed.text);
  while (frontier.size) {
    const next = new Set<string>();
    for (const unit of units) {
      if (unit === seed || needed.has(unit) || !unit.name || !frontier.has(unit.name) || (unit.kind === 'function' && !unit.device)) continue;
      needed.add(unit);
      for (const id of identifiersIn(unit.text)) next.add(id);
    }
    frontier = next;
  }
  return units.filter((u) => needed.has(u));
}

export async function kernelContext(source: string, kernel: Kernel): Promise<KernelContext> {
  const { units } = await parseUnits(source);
  const own = kernelUnit(units, kernel);
  if (!own) throw new Error(`kernel ${kernel.qualifiedName} not found among the declarations of ${kernel.file}`);
  const needed = new Set(dependenciesOf(units, own));
  const parts = units.filter((u) => u.kind === 'include' || needed.has(u));
  const lines = source.split('\n');
  return {
    kernel: own.text.trimEnd(),
    dependencies: parts.map((u) => u.text.trimEnd()).join('\n'),
    launchSites: kernel.launchSites.map((s) => ({ line: s.range.start.line + 1, code: lines.slice(s.range.start.line, s.range.end.line + 1).join(' ').replace(/\s+/g, ' ').trim() })),
  };
}
