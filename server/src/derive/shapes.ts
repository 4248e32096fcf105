// Sizes in numbers: a buffer argument's extents and the default roofline byte count, from the spec's size
// expressions. Probes need extents to name a failing element as out[3, 17] and pointer ranges to detect overlap.

import type { BenchSpec } from '../benchspec/model';
import { evaluate } from '../benchspec/expr';
import { ELEMENT_BYTES } from '../benchspec/defaults';

export type ResolvedShapes = Record<string, number[] | undefined>;

/**
 * Extents of every buffer argument at the given sizes (default: the spec's own sizes). An argument whose shape
 * cannot be evaluated (a `?` placeholder, an unknown variable) maps to undefined: callers fall back to flat
 * indices rather than failing the whole verification over a display detail.
 */
export function resolveShapes(spec: BenchSpec, sizes: Record<string, number> = spec.sizes): ResolvedShapes {
  const shapes: ResolvedShapes = {};
  for (const arg of spec.args) {
    if (arg.role === 'scalar' || !arg.shape) continue;
    try {
      shapes[arg.name] = arg.shape.map((e) => evaluate(e, sizes));
    } catch {
      shapes[arg.name] = undefined;
    }
  }
  return shapes;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The spec's roofline byte count: its `roofline.bytes` expression, or by default every input read once and
 * every output written once (an inout counts both ways). This is the compulsory DRAM traffic, so real traffic
 * can only be higher and achieved bytes/s computed from it can only understate the kernel.
 */
export function rooflineBytes(spec: BenchSpec, sizes: Record<string, number> = spec.sizes): number {
  if (spec.roofline?.bytes) return evaluate(spec.roofline.bytes, sizes);
  let bytes = 0;
  for (const arg of spec.args) {
    if (arg.role === 'scalar') continue;
    if (!arg.shape) throw new Error(`roofline bytes: buffer argument '${arg.name}' of ${spec.kernel} has no shape`);
    const n = elementCount(arg.shape.map((e) => evaluate(e, sizes)));
    bytes += n * ELEMENT_BYTES[arg.dtype] * (arg.role === 'inout' ? 2 : 1);
  }
  return bytes;
}

/** The spec's `roofline.flops` expression, or undefined when the spec gives none. */
export function rooflineFlops(spec: BenchSpec, sizes: Record<string, number> = spec.sizes): number | undefined {
  return spec.roofline?.flops ? evaluate(spec.roofline.flops, sizes) : undefined;
}

/** Row-major multi-dimensional index of flat element `flat` in an array of `shape` (flat index if no shape). */
export function unravelIndex(flat: number, shape: readonly number[] | undefined): number[] {
  if (!shape || shape.length === 0) return [flat];
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  return index;
}
