// Turns a model's Python into a Triton candidate file: a whole file (one that imports triton) is the candidate; a
// kernel alone (with any @triton.jit helpers) replaces the parent's kernel definition, decorators included. Either
// way the result must define a @triton.jit kernel of the same name and parameters (names, order, constexprs).
import { discover } from '../kernels/discover';
import type { Kernel } from '../kernels/model';
import type { Assembly } from './assemble';

function offsetOf(source: string, line: number, character: number): number {
  let offset = 0;
  for (let l = 0; l < line; l++) offset = source.indexOf('\n', offset) + 1;
  return offset + character;
}

function paramsText(kernel: Kernel): string {
  return kernel.params.map((p) => (p.constexpr ? `${p.name}: tl.constexpr` : p.name)).join(', ');
}

export async function assembleTritonCandidate(parentSource: string, parentFile: string, kernel: Kernel, code: string): Promise<Assembly> {
  const whole = /^\s*(import\s+triton\b|from\s+triton\b)/m.test(code);
  let source = code;
  if (!whole) {
    const { kernels } = await discover(parentFile, parentSource);
    const target = kernels.find((k) => k.qualifiedName === kernel.qualifiedName);
    if (!target) return { ok: false, problem: `the parent file has no definition of ${kernel.qualifiedName}` };
    const start = offsetOf(parentSource, target.range.start.line, target.range.start.character);
    const end = offsetOf(parentSource, target.range.end.line, target.range.end.character);
    source = `${parentSource.slice(0, start)}${code.trim()}${parentSource.slice(end)}`;
  }
  const { kernels } = await discover(parentFile, source);
  const made = kernels.find((k) => k.language === 'triton' && k.qualifiedName === kernel.qualifiedName);
  if (!made) return { ok: false, problem: `the code does not define the @triton.jit kernel ${kernel.name}${whole ? ' (a whole file was given)' : ''}` };
  const same = made.params.length === kernel.params.length && made.params.every((p, i) => p.name === kernel.params[i].name && Boolean(p.constexpr) === Boolean(kernel.params[i].constexpr));
  if (!same) return { ok: false, problem: `the kernel's parameters changed from (${paramsText(kernel)}) to (${paramsText(made)}): keep their names, order and constexprs` };
  return { ok: true, source, notes: whole ? ['the answer was a whole file: it replaces the file'] : [] };
}
