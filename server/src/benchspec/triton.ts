// A first bench spec for a Triton kernel. Triton's signature says little (no types, no pointers), so this reads
// three things: the kernel body (a parameter is a buffer when tl.load/tl.store reach memory through it,
// triton-access.ts), the launch `kernel[grid](args, BLOCK=…, num_warps=…)` and the function around it (tensors,
// their shapes and dtypes, locals: triton-wrapper.ts), and `@triton.autotune` (its configs set constexprs that are
// then not passed, and the grid reads them from the picked config). As for CUDA, every guess is written down in
// `assumptions` and what cannot be decided is "?" with an entry in `unknowns`.

import type { Kernel, KernelParam, LaunchSite } from '../kernels/model';
import { offsetAt } from './cexpr';
import { defaultBytesExpr, defaultInit, describeDistribution, isFloatDtype } from './defaults';
import { evaluate, formatExpr, tryParseExpr, variablesOf } from './expr';
import { moduleConstants } from './kernelbench';
import { PLACEHOLDER, type BenchSpec, type Dtype, type LaunchConfig, type SpecArg, type SpecUnknown, type TritonAutotune } from './model';
import { tritonPointerUse, splitPython, type TritonPointerUse } from './triton-access';
import { wrapperAt, type Wrapper, type WrapperTensor } from './triton-wrapper';

export interface TritonInference {
  spec: BenchSpec;
  assumptions: string[];
  unknowns: SpecUnknown[];
}

const DEFAULT_1D = 1 << 20;
const DEFAULT_2D = 1024;
const floatNames = /^(eps|epsilon|alpha|beta|scale|p|momentum|lr|temperature|sm_scale|softmax_scale)$/i;
const maxDepth = 8;

/** `NAME=value` keyword arguments of a launch, and its positional ones. */
function launchArguments(site: LaunchSite): { positional: string[]; keywords: Map<string, string> } {
  const positional: string[] = [];
  const keywords = new Map<string, string>();
  for (const arg of site.args) {
    const match = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]+)$/.exec(arg.trim());
    if (match) keywords.set(match[1], match[2].trim());
    else positional.push(arg.trim());
  }
  return { positional, keywords };
}

type Resolved = { ok: true; expr: string; notes: string[] } | { ok: false; reason: string };

class TritonInferrer {
  readonly assumptions: string[] = [];
  readonly unknowns: SpecUnknown[] = [];
  /** Size variables in order of discovery. */
  readonly sizeNames: string[] = [];
  readonly site: LaunchSite | undefined;
  readonly wrapper: Wrapper | undefined;
  readonly constants: Map<string, number>;
  /** Constexpr names the grid may read (from the launch or the autotuner's pick). */
  readonly meta = new Set<string>();

  constructor(
    readonly kernel: Kernel,
    readonly body: string,
    readonly fileText: string | undefined,
    readonly file: string,
  ) {
    this.site = [...kernel.launchSites].sort((a, b) => a.range.start.line - b.range.start.line)[0];
    this.wrapper = this.site && fileText !== undefined ? wrapperAt(fileText, this.site.range.start.line) : undefined;
    this.constants = fileText !== undefined ? moduleConstants(fileText) : new Map();
  }

  assume(text: string): void {
    if (!this.assumptions.includes(text)) this.assumptions.push(text);
  }

  siteLine(): string {
    return this.site ? `${this.file}:${this.site.range.start.line + 1}` : this.file;
  }

  addSize(name: string): void {
    if (!this.sizeNames.includes(name)) this.sizeNames.push(name);
  }

  tensorOf(name: string): WrapperTensor | undefined {
    return this.wrapper?.tensors.get(name);
  }

  /** Extents of a wrapper tensor as spec expressions, or why not. */
  extents(name: string, depth: number): { ok: true; extents: string[] } | { ok: false; reason: string } {
    const tensor = this.tensorOf(name);
    if (!tensor?.shape.extents) return { ok: false, reason: `the shape of ${name} is not visible in ${this.wrapper?.name ?? 'the launching function'}` };
    const out: string[] = [];
    for (const extent of tensor.shape.extents) {
      const r = this.resolve(extent, depth + 1);
      if (!r.ok) return r;
      out.push(r.expr);
    }
    return { ok: true, extents: out };
  }

  /**
   * A Python expression of the launching function as a spec expression: tensor methods become extents, locals are
   * followed, `meta['X']` becomes the constexpr X, an unbound name is a size variable.
   */
  resolve(text: string, depth = 0): Resolved {
    if (depth > maxDepth) return { ok: false, reason: `\`${text}\` is defined through more than ${maxDepth} names` };
    const notes: string[] = [];
    let failure: string | undefined;
    const paren = (s: string): string => `(${s})`;
    const extentAt = (name: string, index: number | 'numel'): string => {
      const e = this.extents(name, depth);
      if (!e.ok) {
        failure ??= e.reason;
        return '0';
      }
      if (index === 'numel') return paren(e.extents.map(paren).join(' * ') || '1');
      return paren(e.extents[index < 0 ? e.extents.length + index : index] ?? '0');
    };
    let t = text
      .trim()
      .replace(/\b(?:triton|tl)\s*\.\s*cdiv\s*\(/g, 'cdiv(')
      .replace(/\/\//g, '/')
      .replace(/\b[A-Za-z_]\w*\s*\[\s*['"](\w+)['"]\s*\]/g, (_m, key: string) => {
        if (!this.meta.has(key)) failure ??= `meta['${key}'] is not a constexpr of the launch or of an autotune config`;
        return key;
      })
      .replace(/\b([A-Za-z_]\w*)\s*\.\s*stride\s*\(\s*(-?\d+)\s*\)/g, (_m, name: string, d: string) => {
        const e = this.extents(name, depth);
        if (!e.ok) {
          failure ??= e.reason;
          return '0';
        }
        const k = Number(d) < 0 ? e.extents.length + Number(d) : Number(d);
        notes.push(`${name}.stride(${d}) of a contiguous tensor`);
        return paren(e.extents.slice(k + 1).map(paren).join(' * ') || '1');
      })
      .replace(/\b([A-Za-z_]\w*)\s*\.\s*numel\s*\(\s*\)/g, (_m, name: string) => extentAt(name, 'numel'))
      .replace(/\b([A-Za-z_]\w*)\s*\.\s*(?:shape\s*\[\s*(-?\d+)\s*\]|size\s*\(\s*(-?\d+)\s*\))/g, (_m, name: string, a?: string, b?: string) => extentAt(name, Number(a ?? b)));
    if (failure) return { ok: false, reason: failure };
    const parsed = tryParseExpr(t);
    if ('error' in parsed) return { ok: false, reason: `\`${text.trim()}\` is not a size expression (${parsed.error.reason})` };
    for (const name of variablesOf(parsed.node)) {
      if (this.meta.has(name)) continue;
      const local = this.wrapper?.locals.get(name);
      if (local !== undefined && !this.sizeNames.includes(name)) {
        const inner = this.resolve(local, depth + 1);
        if (!inner.ok) return inner;
        notes.push(`${name} = ${local.trim()}`);
        t = t.replace(new RegExp(`\\b${name}\\b`, 'g'), paren(inner.expr));
        notes.push(...inner.notes);
      } else if (this.constants.has(name)) {
        t = t.replace(new RegExp(`\\b${name}\\b`, 'g'), String(this.constants.get(name)));
        notes.push(`${name} = ${this.constants.get(name)} (module level)`);
      } else if (this.tensorOf(name)) {
        return { ok: false, reason: `${name} is a tensor, not a size` };
      } else {
        this.addSize(name);
      }
    }
    const final = tryParseExpr(t);
    if ('error' in final) return { ok: false, reason: `\`${text.trim()}\` is not a size expression (${final.error.reason})` };
    return { ok: true, expr: formatExpr(final.node), notes };
  }
}

function isPointer(param: KernelParam, use: TritonPointerUse | undefined, passed: string | undefined, inf: TritonInferrer): boolean {
  return use !== undefined || /(^|_)ptrs?$|Ptr$/.test(param.name) || (passed !== undefined && inf.tensorOf(passed) !== undefined);
}

function roleOf(param: KernelParam, use: TritonPointerUse | undefined, inf: TritonInferrer): SpecArg['role'] {
  if (!use) {
    inf.assume(`${param.name} is an output (assumed: no tl.load/tl.store through it was found)`);
    return 'output';
  }
  if (use.reads && use.writes) {
    inf.assume(`${param.name} is inout: the kernel loads and stores through it${use.atomic ? ' (atomics)' : ''}`);
    return 'inout';
  }
  if (use.writes) {
    inf.assume(`${param.name} is an output: the kernel stores through it and never loads`);
    return 'output';
  }
  inf.assume(`${param.name} is an input: the kernel only loads through it`);
  return 'input';
}

/** Size defaults: 2^20 for one size (a 1-D problem), 1024 for each of several (matrix extents). */
function defaultSizes(inf: TritonInferrer): Record<string, number> {
  const value = inf.sizeNames.length === 1 ? DEFAULT_1D : DEFAULT_2D;
  return Object.fromEntries(inf.sizeNames.map((name) => [name, value]));
}

/** The `key=[...]` of the kernel's @triton.autotune, read from its decorators. */
function autotuneKey(kernel: Kernel, fileText: string | undefined): string[] {
  if (fileText === undefined) return [];
  const decorators = fileText.slice(offsetAt(fileText, kernel.range.start.line, kernel.range.start.character), offsetAt(fileText, kernel.nameRange.start.line, kernel.nameRange.start.character));
  const key = /\bkey\s*=\s*\[([^\]]*)\]/.exec(decorators);
  return key ? [...key[1].matchAll(/['"](\w+)['"]/g)].map((m) => m[1]) : [];
}

function numeric(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text.trim();
}

function autotuneOf(kernel: Kernel, fileText: string | undefined): TritonAutotune | undefined {
  if (!kernel.autotuneConfigs) return undefined;
  return {
    configs: kernel.autotuneConfigs.map((c) => ({
      kwargs: Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [k, numeric(v) as number | string])),
      ...(c.numWarps !== undefined && typeof numeric(c.numWarps) === 'number' ? { numWarps: Number(c.numWarps) } : {}),
      ...(c.numStages !== undefined && typeof numeric(c.numStages) === 'number' ? { numStages: Number(c.numStages) } : {}),
    })),
    key: autotuneKey(kernel, fileText),
  };
}

/** A constexpr's value: literal, boolean, a size expression, or triton.next_power_of_2 of one at the default sizes. */
function constexprValue(name: string, text: string, inf: TritonInferrer): number | boolean | string | undefined {
  const t = inf.wrapper?.locals.get(text.trim()) ?? text.trim();
  const from = t === text.trim() ? `passed at ${inf.siteLine()}` : `${text.trim()} = ${t} in ${inf.wrapper?.name ?? 'the launching function'}`;
  if (/^(True|False)$/.test(t)) {
    inf.assume(`${name} = ${t}, ${from}`);
    return t === 'True';
  }
  const pow2 = /^(?:triton\s*\.\s*)?next_power_of_2\s*\(([\s\S]*)\)$/.exec(t);
  if (pow2) {
    const inner = inf.resolve(pow2[1]);
    if (!inner.ok) return undefined;
    let at: number;
    try {
      at = evaluate(inner.expr, defaultSizes(inf));
    } catch {
      return undefined;
    }
    const value = 2 ** Math.ceil(Math.log2(Math.max(1, at)));
    inf.assume(`${name} = ${value}: triton.next_power_of_2(${inner.expr}) at the default sizes, ${from}; a constant in the spec, so change it with the sizes`);
    return value;
  }
  const r = inf.resolve(t);
  if (!r.ok) return undefined;
  inf.assume(`${name} = ${r.expr}, ${from}`);
  return /^-?\d+$/.test(r.expr) ? Number(r.expr) : r.expr;
}

export function inferTriton(kernel: Kernel, body: string, fileText: string | undefined, file: string): TritonInference {
  const inf = new TritonInferrer(kernel, body, fileText, file);
  const autotune = autotuneOf(kernel, fileText);
  const tuned = new Set(autotune?.configs.flatMap((c) => Object.keys(c.kwargs)) ?? []);
  for (const name of tuned) inf.meta.add(name);
  if (autotune) inf.assume(`autotuned over ${autotune.configs.length} config(s)${autotune.key.length ? ` keyed on ${autotune.key.join(', ')}` : ''}: set by the config the autotuner picks: ${[...tuned].join(', ')} (timed after it has picked; the pick is recorded)`);
  const { positional, keywords } = inf.site ? launchArguments(inf.site) : { positional: [], keywords: new Map<string, string>() };
  const passedFor = (param: KernelParam, index: number): string | undefined => keywords.get(param.name) ?? positional[index];
  if (!inf.site) inf.assume('no launch of this kernel in the file: arguments are read from the signature and body alone');
  else if (inf.wrapper) inf.assume(`arguments read from the launch at ${inf.siteLine()} in ${inf.wrapper.name}() (line ${inf.wrapper.line})`);

  // Buffers and their shapes first: shapes name the sizes that scalars and the grid then use.
  const uses = kernel.params.map((p) => (p.constexpr ? undefined : tritonPointerUse(body, p.name)));
  const buffers = kernel.params.map((p, i) => !p.constexpr && isPointer(p, uses[i], passedFor(p, i), inf));
  // Integer parameters nothing else explains are sizes themselves (no launch, or one the wrapper hides).
  kernel.params.forEach((p, i) => {
    if (!p.constexpr && !buffers[i] && passedFor(p, i) === undefined && !floatNames.test(p.name)) inf.addSize(p.name);
  });
  const lone = !inf.site && inf.sizeNames.length === 1 ? inf.sizeNames[0] : undefined;
  if (lone) inf.assume(`buffers hold ${lone} elements each: the one integer parameter, read as the element count (no launch in the file)`);
  // A tensor whose shape the launching function never states is taken to have the shape of the first one that
  // has (element-wise kernels: `add(x, y)` unpacks only x).
  const known = kernel.params.map((p, i) => passedFor(p, i)).find((name) => name !== undefined && inf.tensorOf(name)?.shape.extents !== undefined);
  const shapes = kernel.params.map((p, i): string[] | string => {
    if (!buffers[i]) return [];
    const passed = passedFor(p, i);
    if (passed === undefined && lone) return [lone];
    if (passed === undefined || !/^[A-Za-z_]\w*$/.test(passed)) return 'no launch passes it a tensor';
    const like = known !== undefined ? inf.tensorOf(known)?.shape.extents : undefined;
    if (inf.wrapper && like && !inf.tensorOf(passed)?.shape.extents) {
      inf.wrapper.tensors.set(passed, { ...inf.tensorOf(passed), allocated: false, shape: { extents: like, from: `assumed: the shape of ${known} (${inf.wrapper.name}() does not state it)` } });
    }
    const e = inf.extents(passed, 0);
    if (!e.ok) return e.reason;
    const tensor = inf.tensorOf(passed);
    inf.assume(`${p.name} is ${passed}: [${e.extents.join(', ')}]${tensor?.shape.from ? `, from ${tensor.shape.from}` : ''}, contiguous`);
    return e.extents;
  });

  const args: SpecArg[] = [];
  const inits = new Set<string>();
  const knownDtype = kernel.params.map((p, i) => inf.tensorOf(passedFor(p, i) ?? '')?.dtype).find((d): d is Dtype => d !== undefined);
  kernel.params.forEach((p, i) => {
    if (p.constexpr) return;
    const at = `/args/${args.length}`;
    if (buffers[i]) {
      const role = roleOf(p, uses[i], inf);
      const tensor = inf.tensorOf(passedFor(p, i) ?? '');
      let dtype: Dtype = tensor?.dtype ?? knownDtype ?? 'float32';
      if (tensor?.dtype) inf.assume(`${p.name} holds ${dtype} (${tensor.dtypeFrom})`);
      else {
        dtype = knownDtype ?? 'float32';
        inf.assume(`${p.name} holds ${dtype} (assumed: ${knownDtype ? 'the dtype the launching function allocates with' : 'a Triton pointer carries no element type'})`);
      }
      const shape = shapes[i];
      const arg: SpecArg = { name: p.name, role, dtype, shape: typeof shape === 'string' ? [PLACEHOLDER] : shape };
      if (typeof shape === 'string') inf.unknowns.push({ path: `${at}/shape/0`, message: `how many elements does ${p.name} hold? ${shape}; write its extents over sizes` });
      if (role !== 'output') {
        arg.init = defaultInit(dtype);
        inits.add(`${isFloatDtype(dtype) ? 'float' : 'integer'} inputs are filled with ${describeDistribution(arg.init)}`);
      }
      args.push(arg);
      return;
    }
    const float = floatNames.test(p.name);
    const passed = passedFor(p, i);
    if (passed === undefined) {
      const value = float ? (/eps/i.test(p.name) ? '1e-5' : '0.5') : p.name;
      if (float) inf.assume(`${p.name} = ${value} (a float by its name)`);
      args.push({ name: p.name, role: 'scalar', dtype: float ? 'float32' : 'int32', value });
      return;
    }
    if (/^-?\d*\.\d+(e-?\d+)?$|^-?\d+e-?\d+$/.test(passed)) {
      args.push({ name: p.name, role: 'scalar', dtype: 'float32', value: passed });
      return;
    }
    const r = inf.resolve(passed);
    if (r.ok) {
      if (r.expr !== passed.trim() || r.notes.length) inf.assume(`${p.name} = ${r.expr}${r.notes.length ? `, through ${r.notes.join('; ')}` : ''}`);
      args.push({ name: p.name, role: 'scalar', dtype: float ? 'float32' : 'int32', value: r.expr });
    } else {
      inf.unknowns.push({ path: `${at}/value`, message: `the launch at ${inf.siteLine()} passes \`${passed}\` for ${p.name}, but ${r.reason}; give its value over sizes` });
      args.push({ name: p.name, role: 'scalar', dtype: float ? 'float32' : 'int32', value: PLACEHOLDER });
    }
  });
  for (const note of inits) inf.assume(`${note} (symmetric around zero, so an all-zero or identity output fails the check)`);

  // Constexprs after the scalars, so a next_power_of_2 of a size sees every size's default.
  const constexprs: Record<string, number | boolean | string> = {};
  kernel.params.forEach((p, i) => {
    if (!p.constexpr || tuned.has(p.name)) return;
    const passed = passedFor(p, i);
    const value = passed !== undefined ? constexprValue(p.name, passed, inf) : undefined;
    if (value !== undefined) constexprs[p.name] = value;
    else if (p.default !== undefined) inf.assume(`${p.name} keeps its default (${p.default})`);
    else {
      constexprs[p.name] = PLACEHOLDER;
      inf.unknowns.push({ path: `/launch/constexprs/${p.name}`, message: `${p.name} is a tl.constexpr${passed !== undefined ? ` passed as \`${passed}\`, which is not a constant or size expression` : ' that no launch passes'}; give its value` });
    }
    inf.meta.add(p.name);
  });

  const launch = inferGrid(inf, keywords, constexprs, autotune !== undefined);
  const specSizes = defaultSizes(inf);
  for (const [name, value] of Object.entries(specSizes)) inf.assume(`${name} = ${value}${value === DEFAULT_1D ? ' (1<<20)' : ''}: a default ${inf.sizeNames.length === 1 ? 'element count' : 'extent'}; set the sizes you care about`);
  const spec: BenchSpec = { version: 1, kernel: kernel.qualifiedName, file, sizes: specSizes, args, launch, ...(autotune ? { triton: { autotune } } : {}) };
  const bytes = defaultBytesExpr(args);
  if (bytes !== undefined) {
    spec.roofline = { bytes };
    const [m, n, k] = ['M', 'N', 'K'].map((x) => inf.sizeNames.find((s) => s.toUpperCase() === x));
    if (m && n && k && /dot/.test(body)) {
      spec.roofline.flops = `2 * ${m} * ${n} * ${k}`;
      inf.assume(`roofline flops = 2 * ${m} * ${n} * ${k} (tl.dot: one multiply-add per output element and k)`);
    }
    inf.assume(`roofline bytes = ${bytes}: each input read once, each output written once, inout both (the least any kernel must move)`);
  }
  spec.assumptions = inf.assumptions;
  spec.unknowns = inf.unknowns;
  return { spec, assumptions: inf.assumptions, unknowns: inf.unknowns };
}

/** The grid from `kernel[grid]` (a tuple, or a lambda over meta bound above), num_warps and num_stages. */
function inferGrid(inf: TritonInferrer, keywords: Map<string, string>, constexprs: LaunchConfig['constexprs'], autotuned: boolean): LaunchConfig {
  const launch: LaunchConfig = { grid: [PLACEHOLDER], block: ['128'] };
  for (const [key, field] of [['num_warps', 'numWarps'], ['num_stages', 'numStages']] as const) {
    const text = keywords.get(key);
    const value = text !== undefined ? inf.resolve(inf.wrapper?.locals.get(text) ?? text) : undefined;
    if (value?.ok && /^\d+$/.test(value.expr)) launch[field] = Number(value.expr);
  }
  launch.block = [String((launch.numWarps ?? 4) * 32)];
  inf.assume(autotuned ? 'block: the picked config\'s num_warps × 32 threads (shown as 4 warps; it only informs reports)' : `block = ${launch.numWarps ?? 4} warps × 32 threads${launch.numWarps ? '' : ' (Triton\'s default num_warps)'}; it only informs reports`);
  if (constexprs && Object.keys(constexprs).length) launch.constexprs = constexprs;
  if (!inf.site) {
    const n = inf.sizeNames.length === 1 ? inf.sizeNames[0] : undefined;
    const block = Object.keys(constexprs ?? {}).find((name) => /BLOCK/i.test(name));
    if (n && block) {
      launch.grid = [`cdiv(${n}, ${block})`];
      inf.assume(`launch grid cdiv(${n}, ${block}): one program per ${block} elements (no launch in the file to copy)`);
    } else inf.unknowns.push({ path: '/launch/grid/0', message: 'no launch of this kernel in the file; how many programs does the grid need, over sizes?' });
    return launch;
  }
  launch.from = inf.siteLine();
  let text = inf.site.grid.trim();
  const bound = /^[A-Za-z_]\w*$/.test(text) ? inf.wrapper?.locals.get(text) : undefined;
  if (bound !== undefined) {
    inf.assume(`launch grid: ${text} = ${bound}`);
    text = bound.trim();
  }
  text = text.replace(/^lambda\s+\w*\s*:\s*/, '');
  const tuple = /^\(([\s\S]*)\)$/.exec(text);
  const parts = tuple && (tuple[1].includes(',') || tuple[1].trim() === '') ? splitPython(tuple[1]) : [text];
  launch.grid = parts.map((part, j) => {
    const r = inf.resolve(part);
    if (r.ok) return r.expr;
    inf.unknowns.push({ path: `/launch/grid/${j}`, message: `the launch at ${inf.siteLine()} sets grid ${'xyz'[j]} to \`${part}\`, but ${r.reason}; write it as an expression over sizes and constexprs` });
    return PLACEHOLDER;
  });
  return launch;
}
