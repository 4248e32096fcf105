// Stable, readable JSON for spec files. Keys go in a fixed order (what it is, then how to run it, then notes)
// so diffs stay small when a spec is rewritten, and short values stay on one line (`"shape": ["n"]`) so a spec
// reads like a table rather than a column of brackets.

import { DTYPES } from './defaults';

/** The schema every saved spec points at, unless the caller passes the installed extension's copy. */
export const SCHEMA_ID = 'https://kernelpilot.dev/schemas/bench-spec.schema.json';

const keyOrders: Record<string, string[]> = {
  top: ['$schema', 'version', 'kernel', 'file', 'templateArgs', 'sizes', 'sweep', 'args', 'launch', 'tolerance', 'roofline', 'assumptions', 'unknowns'],
  arg: ['name', 'role', 'dtype', 'shape', 'init', 'value'],
  init: ['kind', 'low', 'high', 'mean', 'std', 'value'],
  launch: ['grid', 'block', 'sharedMem', 'from'],
  roofline: ['bytes', 'flops'],
  tolerance: [...DTYPES],
  tol: ['rtol', 'atol'],
  unknown: ['path', 'message'],
};

/** Which key order applies to the object at this path (`args.*`, `args.*.init`, …); undefined keeps insertion order. */
function orderFor(path: string[]): string[] | undefined {
  const p = path.map((s) => (/^\d+$/.test(s) ? '*' : s)).join('.');
  switch (p) {
    case '':
      return keyOrders.top;
    case 'args.*':
      return keyOrders.arg;
    case 'args.*.init':
      return keyOrders.init;
    case 'launch':
      return keyOrders.launch;
    case 'roofline':
      return keyOrders.roofline;
    case 'tolerance':
      return keyOrders.tolerance;
    case 'unknowns.*':
      return keyOrders.unknown;
    default:
      return path[0] === 'tolerance' && path.length === 2 ? keyOrders.tol : undefined;
  }
}

function orderedEntries(value: Record<string, unknown>, path: string[]): [string, unknown][] {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  const order = orderFor(path);
  if (!order) return entries;
  const rank = (key: string): number => {
    const i = order.indexOf(key);
    return i < 0 ? order.length : i;
  };
  // Known keys in the fixed order, unknown ones after them alphabetically (they fail validation anyway).
  return entries.sort(([a], [b]) => rank(a) - rank(b) || (rank(a) === order.length ? a.localeCompare(b) : 0));
}

const WIDTH = 100;

function compact(value: unknown, path: string[]): string {
  if (Array.isArray(value)) return `[${value.map((v, i) => compact(v, [...path, String(i)])).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = orderedEntries(value as Record<string, unknown>, path);
    return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${compact(v, [...path, k])}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

function print(value: unknown, path: string[], indent: string, keyWidth: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Lists of sentences and of argument records read better one entry per line, even when short.
  const oneLine = compact(value, path);
  const listy = path.length === 1 && ['assumptions', 'unknowns', 'args', 'sweep'].includes(path[0]) && Array.isArray(value) && value.length > 0;
  if (path.length > 0 && !listy && indent.length + keyWidth + oneLine.length <= WIDTH) return oneLine;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v, i) => inner + print(v, [...path, String(i)], inner, 0)).join(',\n')}\n${indent}]`;
  }
  const entries = orderedEntries(value as Record<string, unknown>, path);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${print(v, [...path, k], inner, JSON.stringify(k).length + 2)}`).join(',\n')}\n${indent}}`;
}

/** The text of a spec file: fixed key order, two-space indent, short values inline, trailing newline. */
export function serializeSpec(spec: object): string {
  return `${print(spec, [], '', 0)}\n`;
}
