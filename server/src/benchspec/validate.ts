// Checks a bench spec: the JSON schema first (shape and types), then what a schema cannot say (expressions parse
// and use only declared size variables, names are unique, buffers have what the harness needs, launch limits),
// then the "?" placeholders that still need a person. Every problem carries a JSON pointer so the editor can put
// it on the exact node (diagnostics.ts).

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../../schemas/bench-spec.schema.json';
import { ELEMENT_BYTES } from './defaults';
import { evaluateTyped, ExprError, FUNCTIONS, tryParseExpr, variablesOf } from './expr';
import { PLACEHOLDER, type Dtype, type SpecUnknown } from './model';

export interface SpecIssue {
  /** JSON pointer to the offending value (or to the property, when `key` is set). */
  path: string;
  message: string;
  /** The problem is the property name itself (unknown or invalid key), not its value. */
  key?: boolean;
  /** For expression errors: the offending characters inside the string value (0-based, end exclusive). */
  span?: { start: number; end: number };
}

export interface ValidationResult {
  /** True only when there are no errors and no placeholders left: the spec can be run as written. */
  ok: boolean;
  errors: SpecIssue[];
  /** Suspicious but runnable: ignored fields, stale `unknowns` entries, huge buffers. */
  warnings: SpecIssue[];
  /** Every `"?"` still in the spec, with what to fill in (from the spec's own `unknowns` when it says). */
  unknowns: SpecUnknown[];
}

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  // Union types ("integer" | "string") are how the schema admits "?" and bare numbers without anyOf noise;
  // `required` inside if/then names properties declared one level up, which strictRequired cannot see.
  compiled ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false, verbose: true }).compile(schema);
  return compiled;
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(base: string, ...segments: (string | number)[]): string {
  return base + segments.map((s) => `/${pointerSegment(s)}`).join('');
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function didYouMean(name: string, candidates: string[]): string {
  const best = candidates.map((c) => ({ c, d: editDistance(name, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? `; did you mean '${best.c}'?` : '';
}

function describeType(types: unknown): string {
  const list = Array.isArray(types) ? types : [types];
  return list.map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'an object' : t === 'array' ? 'an array' : `a ${String(t)}`)).join(' or ');
}

/** Turns ajv's errors into issues a person can act on, pointing at the offending key or value. */
function schemaIssues(errors: ErrorObject[]): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const error of errors) {
    const path = error.instancePath;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'if':
      case 'propertyNames':
        // `if` repeats its `then` errors; `propertyNames` repeats the error of the name itself (reported below).
        continue;
      case 'additionalProperties': {
        const name = String(params.additionalProperty);
        const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        issues.push({ path: joinPointer(path, name), key: true, message: `unknown property '${name}'${didYouMean(name, allowed)}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}` });
        continue;
      }
      case 'required':
        issues.push({ path, message: `missing required property '${String(params.missingProperty)}'` });
        continue;
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
        if (error.propertyName !== undefined) {
          issues.push({ path: joinPointer(path, error.propertyName), key: true, message: `'${error.propertyName}' is not allowed here; use one of ${allowed}` });
        } else {
          issues.push({ path, message: `must be one of ${allowed}` });
        }
        continue;
      }
      case 'not':
        if (error.propertyName !== undefined) {
          issues.push({ path: joinPointer(path, error.propertyName), key: true, message: `'${error.propertyName}' is a function name (${FUNCTIONS.join(', ')}) and cannot be a size variable` });
          continue;
        }
        break;
      case 'pattern':
        if (error.propertyName !== undefined) {
          issues.push({ path: joinPointer(path, error.propertyName), key: true, message: `'${error.propertyName}' is not a valid name (letters, digits and _, not starting with a digit)` });
          continue;
        }
        if (params.pattern === '^\\?$') {
          // The schema's way of saying "this type, or the placeholder": the string was not "?".
          const types = (error.parentSchema as { type?: unknown } | undefined)?.type;
          const other = (Array.isArray(types) ? types : [types]).filter((t) => t !== 'string');
          issues.push({ path, message: `must be ${describeType(other)}, or "?" while unknown` });
          continue;
        }
        break;
      case 'type':
        issues.push({ path, message: `must be ${describeType(params.type)}` });
        continue;
      case 'const':
        issues.push({ path, message: `must be ${JSON.stringify(params.allowedValue)}` });
        continue;
    }
    issues.push({ path, message: error.message ?? `fails the schema's '${error.keyword}' rule` });
  }
  // allErrors can report one failure through two keywords; keep each (path, message) once.
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.path}\u0000${i.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, pointer: string): unknown {
  let node: unknown = root;
  for (const segment of splitPointer(pointer)) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node)) node = Object.prototype.hasOwnProperty.call(node, segment) ? node[segment] : undefined;
    else return undefined;
  }
  return node;
}

/** Every `"?"` in the spec, except inside the free-text lists that talk about them. */
export function findPlaceholders(spec: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (node === PLACEHOLDER) found.push(pointer);
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, joinPointer(pointer, i)));
    else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (pointer === '' && (key === 'unknowns' || key === 'assumptions' || key === '$schema')) continue;
        walk(value, joinPointer(pointer, key));
      }
    }
  };
  walk(spec, '');
  return found;
}

type ExprUse = 'shape' | 'value' | 'grid' | 'block' | 'sharedMem' | 'bytes' | 'flops';

interface ExprField {
  path: string;
  text: string;
  use: ExprUse;
  /** For scalar values: the scalar's dtype, to insist on integers for integer scalars. */
  dtype?: unknown;
}

function collectExpressions(spec: Record<string, Json>): ExprField[] {
  const fields: ExprField[] = [];
  const add = (path: string, value: unknown, use: ExprUse, dtype?: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') fields.push({ path, text: String(value), use, dtype });
  };
  const args = Array.isArray(spec.args) ? spec.args : [];
  args.forEach((arg, i) => {
    if (!isObject(arg)) return;
    if (Array.isArray(arg.shape)) arg.shape.forEach((extent, j) => add(`/args/${i}/shape/${j}`, extent, 'shape'));
    if (arg.role === 'scalar') add(`/args/${i}/value`, arg.value, 'value', arg.dtype);
  });
  const launch = isObject(spec.launch) ? spec.launch : {};
  for (const dim of ['grid', 'block'] as const) {
    const list = launch[dim];
    if (Array.isArray(list)) list.forEach((e, j) => add(`/launch/${dim}/${j}`, e, dim));
  }
  add('/launch/sharedMem', launch.sharedMem, 'sharedMem');
  if (isObject(launch.constexprs)) for (const [name, value] of Object.entries(launch.constexprs)) add(joinPointer('/launch/constexprs', name), value, 'value');
  const roofline = isObject(spec.roofline) ? spec.roofline : {};
  add('/roofline/bytes', roofline.bytes, 'bytes');
  add('/roofline/flops', roofline.flops, 'flops');
  return fields;
}

/** The default sizes and every sweep point merged over them, each with a label for messages. */
function sizePoints(spec: Record<string, Json>): { label: string; vars: Record<string, number> }[] {
  // Sizes still "?" (or all, without "sizes") are left out: expressions that use them are skipped, the rest, such
  // as constant launch dimensions, can still be checked.
  const base: Record<string, number> = {};
  if (isObject(spec.sizes)) for (const [name, value] of Object.entries(spec.sizes)) if (typeof value === 'number') base[name] = value;
  const points = [{ label: 'the default sizes', vars: base }];
  if (Array.isArray(spec.sweep)) {
    spec.sweep.forEach((point, i) => {
      if (!isObject(point)) return;
      const vars = { ...base };
      for (const [name, value] of Object.entries(point)) if (typeof value === 'number') vars[name] = value;
      points.push({ label: `sweep point ${i} (${Object.entries(point).map(([k, v]) => `${k}=${String(v)}`).join(', ')})`, vars });
    });
  }
  return points;
}

const integerDtypes = new Set(['int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

/**
 * Triton: the constexpr names a launch dimension may read, each with the value it is checked at: the launch's own
 * (numbers, or expressions at the default sizes), else the first autotune config's.
 */
function metaValues(spec: Record<string, Json>, sizes: Record<string, number>): { names: string[]; values: Record<string, number> } {
  const values: Record<string, number> = {};
  const names = new Set<string>();
  const triton = isObject(spec.triton) ? spec.triton : {};
  const autotune = isObject(triton.autotune) ? triton.autotune : {};
  const first = Array.isArray(autotune.configs) && isObject(autotune.configs[0]) && isObject(autotune.configs[0].kwargs) ? autotune.configs[0].kwargs : {};
  const launch = isObject(spec.launch) && isObject(spec.launch.constexprs) ? spec.launch.constexprs : {};
  for (const [name, value] of [...Object.entries(first), ...Object.entries(launch)]) {
    names.add(name);
    if (typeof value === 'number') values[name] = value;
    else if (typeof value === 'boolean') values[name] = value ? 1 : 0;
    else if (typeof value === 'string') {
      try {
        values[name] = evaluateTyped(value, sizes).value;
      } catch {
        // A "?" or a bad expression: reported at its own path; expressions that read it are not evaluated.
        delete values[name];
      }
    }
  }
  return { names: [...names], values };
}

function checkExpressions(spec: Record<string, Json>, errors: SpecIssue[]): void {
  const points = sizePoints(spec);
  const meta = metaValues(spec, points[0].vars);
  // Per size point: each expression's value there, for the checks that combine several.
  const evaluated = points.map(() => new Map<string, number>());
  for (const field of collectExpressions(spec)) {
    if (field.text === PLACEHOLDER) continue;
    const launchDim = field.use === 'grid' || field.use === 'block';
    const sizeNames = [...(isObject(spec.sizes) ? Object.keys(spec.sizes) : []), ...(launchDim ? meta.names : [])];
    const parsed = tryParseExpr(field.text);
    if ('error' in parsed) {
      errors.push({ path: field.path, message: `cannot read expression: ${parsed.error.reason} (column ${parsed.error.start + 1})`, span: { start: parsed.error.start, end: parsed.error.end } });
      continue;
    }
    const missing = variablesOf(parsed.node).filter((v) => !sizeNames.includes(v));
    if (missing.length > 0) {
      const where = field.text.search(new RegExp(`\\b${missing[0]}\\b`));
      errors.push({
        path: field.path,
        message: `${missing.map((m) => `'${m}'`).join(', ')} ${missing.length === 1 ? 'is not a size variable' : 'are not size variables'}${didYouMean(missing[0], sizeNames)} (sizes: ${sizeNames.join(', ') || 'none'}); add ${missing.length === 1 ? 'it' : 'them'} to "sizes"`,
        ...(where >= 0 ? { span: { start: where, end: where + missing[0].length } } : {}),
      });
      continue;
    }
    const withMeta = (vars: Record<string, number>): Record<string, number> => (launchDim ? { ...meta.values, ...vars } : vars);
    if (variablesOf(parsed.node).some((v) => !(v in withMeta(points[0].vars)))) continue;
    for (const [at, point] of points.entries()) {
      let result;
      try {
        result = evaluateTyped(parsed.node, withMeta(point.vars));
      } catch (error) {
        if (!(error instanceof ExprError)) throw error;
        errors.push({ path: field.path, message: `${error.reason} at ${point.label}`, span: { start: error.start, end: error.end } });
        break;
      }
      const problem = rangeProblem(field, result.value, result.integer);
      if (problem) {
        errors.push({ path: field.path, message: `${problem} at ${point.label}` });
        break;
      }
      evaluated[at].set(field.path, result.value);
    }
  }
  // The block limit is about all three components together, so check it after each evaluated on its own, at every
  // size point (a sweep point's block is launched as it is); reported once, at the first point over it.
  for (const [at, values] of evaluated.entries()) {
    const threads = [0, 1, 2].reduce((product, j) => product * (values.get(`/launch/block/${j}`) ?? 1), 1);
    if (threads > 1024) {
      errors.push({ path: '/launch/block', message: `the block has ${threads} threads at ${points[at].label}; CUDA allows at most 1024` });
      break;
    }
  }
}

function rangeProblem(field: ExprField, value: number, integer: boolean): string | undefined {
  switch (field.use) {
    case 'shape':
      if (!integer) return `an extent must be an integer, got ${value}`;
      if (value < 0) return `an extent must not be negative, got ${value}`;
      return undefined;
    case 'grid':
    case 'block':
      if (!integer || value < 1) return `a launch dimension must be a positive integer, got ${value}`;
      if (field.use === 'grid' && !field.path.endsWith('/0') && value > 65535) return `grid y and z are limited to 65535, got ${value}`;
      if (field.use === 'grid' && value > 2147483647) return `grid x is limited to 2^31-1, got ${value}`;
      if (field.use === 'block' && value > 1024) return `a block dimension is at most 1024, got ${value}`;
      return undefined;
    case 'sharedMem':
      if (!integer || value < 0) return `shared memory must be a non-negative integer number of bytes, got ${value}`;
      return undefined;
    case 'value':
      if (typeof field.dtype === 'string' && integerDtypes.has(field.dtype) && !integer) return `an integer scalar needs an integer value, got ${value}`;
      return undefined;
    default:
      return undefined;
  }
}

const bufferRoles = new Set(['input', 'output', 'inout']);

function checkArgs(spec: Record<string, Json>, errors: SpecIssue[], warnings: SpecIssue[]): void {
  if (!Array.isArray(spec.args)) return;
  const firstIndex = new Map<string, number>();
  spec.args.forEach((arg, i) => {
    if (!isObject(arg)) return;
    const at = `/args/${i}`;
    const name = typeof arg.name === 'string' ? arg.name : `#${i}`;
    if (typeof arg.name === 'string') {
      const earlier = firstIndex.get(arg.name);
      if (earlier !== undefined) errors.push({ path: `${at}/name`, message: `duplicate argument name '${arg.name}' (also /args/${earlier})` });
      else firstIndex.set(arg.name, i);
    }
    const role = arg.role;
    if (typeof role === 'string' && bufferRoles.has(role)) {
      if (arg.shape === undefined) errors.push({ path: at, message: `buffer '${name}' needs a "shape" (extents over size variables, e.g. ["n"])` });
      if (arg.value !== undefined) warnings.push({ path: `${at}/value`, key: true, message: `"value" is ignored for buffers; '${name}' is filled from "init"` });
      if ((role === 'input' || role === 'inout') && arg.init === undefined) {
        errors.push({ path: at, message: `${role} '${name}' needs "init" (how to fill it), e.g. {"kind": "uniform", "low": -1, "high": 1}` });
      }
      if (role === 'output' && arg.init !== undefined) {
        warnings.push({ path: `${at}/init`, key: true, message: `"init" is ignored for outputs: they are poisoned before every call; use role "inout" if the kernel reads '${name}'` });
      }
      if (isObject(arg.init) && (arg.init.kind === 'uniform' || arg.init.kind === 'int') && typeof arg.init.low === 'number' && typeof arg.init.high === 'number' && arg.init.low >= arg.init.high) {
        errors.push({ path: `${at}/init`, message: `empty range: low (${arg.init.low}) must be below high (${arg.init.high})` });
      }
    } else if (role === 'scalar') {
      if (arg.value === undefined) errors.push({ path: at, message: `scalar '${name}' needs a "value" (a literal or an expression over sizes)` });
      for (const field of ['shape', 'init']) {
        if (arg[field] !== undefined) warnings.push({ path: `${at}/${field}`, key: true, message: `"${field}" is ignored for scalars` });
      }
    }
  });
}

function checkSizes(spec: Record<string, Json>, errors: SpecIssue[], warnings: SpecIssue[]): void {
  const sizes = isObject(spec.sizes) ? spec.sizes : {};
  if (Array.isArray(spec.sweep)) {
    spec.sweep.forEach((point, i) => {
      if (!isObject(point)) return;
      for (const name of Object.keys(point)) {
        if (!(name in sizes)) errors.push({ path: joinPointer(`/sweep/${i}`, name), key: true, message: `'${name}' is not in "sizes"${didYouMean(name, Object.keys(sizes))}; a sweep point can only override existing size variables` });
      }
    });
  }
  // A buffer beyond any GPU's memory fails at allocation; say so before a run is attempted.
  const points = sizePoints(spec);
  if (!Array.isArray(spec.args)) return;
  spec.args.forEach((arg, i) => {
    if (!isObject(arg) || !Array.isArray(arg.shape) || typeof arg.dtype !== 'string' || !(arg.dtype in ELEMENT_BYTES)) return;
    try {
      const elements = arg.shape.reduce<number>((acc, extent) => acc * evaluateTyped(String(extent), points[0].vars).value, 1);
      const bytes = elements * ELEMENT_BYTES[arg.dtype as Dtype];
      if (bytes > 64 * 2 ** 30) warnings.push({ path: `/args/${i}/shape`, message: `'${String(arg.name)}' needs ${(bytes / 2 ** 30).toFixed(0)} GiB at the default sizes` });
    } catch {
      // Unparsable or placeholder extents are reported by checkExpressions.
    }
  });
}

function checkUnknownEntries(spec: Record<string, Json>, placeholders: string[], warnings: SpecIssue[]): void {
  if (!Array.isArray(spec.unknowns)) return;
  spec.unknowns.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.path !== 'string') return;
    if (!placeholders.includes(entry.path)) {
      const now = valueAt(spec, entry.path);
      const state = now === undefined ? 'no longer exists' : 'is filled in';
      warnings.push({ path: `/unknowns/${i}`, message: `${entry.path} ${state}; delete this entry` });
    }
  });
}

/** Validates a parsed spec (any JSON value). Never throws on bad input: every problem is in the result. */
export function validate(spec: unknown): ValidationResult {
  const check = schemaValidator();
  const errors: SpecIssue[] = check(spec) ? [] : schemaIssues(check.errors ?? []);
  const warnings: SpecIssue[] = [];
  if (!isObject(spec)) return { ok: false, errors: errors.length ? errors : [{ path: '', message: 'a bench spec must be a JSON object' }], warnings, unknowns: [] };

  const placeholders = findPlaceholders(spec);
  const messages = new Map<string, string>();
  if (Array.isArray(spec.unknowns)) {
    for (const entry of spec.unknowns) if (isObject(entry) && typeof entry.path === 'string' && typeof entry.message === 'string') messages.set(entry.path, entry.message);
  }
  const unknowns = placeholders.map((path) => ({ path, message: messages.get(path) ?? 'not decided yet: replace "?" with a value' }));

  checkArgs(spec, errors, warnings);
  checkSizes(spec, errors, warnings);
  checkExpressions(spec, errors);
  checkUnknownEntries(spec, placeholders, warnings);
  return { ok: errors.length === 0 && unknowns.length === 0, errors, warnings, unknowns };
}
