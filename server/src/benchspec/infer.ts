// A first bench spec for a kernel, from its signature, its body text and the first launch in its file.
//
// The rules are deliberately few and each one is written down in `assumptions`, because a wrong guess that looks
// confident is worse than a visible "?": const pointers are inputs, other pointers outputs (inout when the body
// reads them), integer scalars are size variables, float scalars get 0.5, extents come from recognised names
// (n; rows/cols; M/N/K), the launch comes from a launch site when its expressions reduce to size variables.
// Whatever cannot be decided becomes "?" plus an entry in `unknowns` saying what a person must fill in.

import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel, KernelParam, LaunchSite } from '../kernels/model';
import { analyzePointer, kernelBody, type PointerUse } from './access';
import { constantValue, type HostContext, launchComponents, offsetAt, splitTopLevel, translateCExpr } from './cexpr';
import { inferKernelBench } from './kernelbench';
import { inferTriton } from './triton';
import { defaultBytesExpr, defaultInit, describeDistribution, dtypeOfCType, isFloatDtype, normalizeCType, vectorTypeOf } from './defaults';
import { PLACEHOLDER, type ArgRole, type BenchSpec, type Dtype, type LaunchConfig, type SpecArg, type SpecUnknown } from './model';

export interface InferOptions {
  /** The kernel's own source text (its definition). Without it, roles of non-const pointers are guesses. */
  bodyText?: string;
  /** The whole file: launch-site locals, #defines, explicit instantiations; also the body when bodyText is absent. */
  fileText?: string;
  /** Makes `file` relative to the workspace, as specs store it. */
  workspaceRoot?: string;
  /** The file as the spec should name it; overrides workspaceRoot. */
  file?: string;
}

export interface InferResult {
  spec: BenchSpec;
  assumptions: string[];
  unknowns: SpecUnknown[];
}

/**
 * The placeholder typed as whatever field it stands in. The model types describe a finished spec; a draft may
 * hold "?" anywhere and validate() reports each one, so no consumer runs a spec that still has one.
 */
function placeholder<T>(): T {
  return PLACEHOLDER as unknown as T;
}

const DEFAULT_1D = 1 << 20;
const DEFAULT_2D = 1024;
const DEFAULT_BLOCK = 256;

// Names people give extents. Compared case-insensitively against the whole parameter name.
const oneDNames = /^(n|num|size|len|length|count|numel|nelems?|n_?elem(ent)?s|num_?elem(ent)?s|total|total_?size|n_?items|num_?items)$/i;
const rowNames = /^(rows|nrows|n_?rows|num_?rows|m|height|h|batch|batch_?size|b|bs|outer|outer_?size|n_?batch|num_?batches|tokens|n_?tokens|num_?tokens)$/i;
const colNames = /^(cols|ncols|n_?cols|num_?cols|n|width|w|dim|d|hidden|hidden_?size|inner|inner_?size|features|n_?features|num_?features|feature_?size)$/i;
// Per-row and per-column vectors next to a rows×cols matrix (layer norm statistics, affine parameters).
const perRowNames = /^(mean|means|rstd|invvar|inv_?std|var|variance|lse|logsumexp|row_?(max|sum|norm)s?)$/i;
const perColNames = /^(gamma|beta|weight|weights|bias|scale|shift|w|b)$/i;
const epsilonNames = /^(eps|epsilon)$/i;

type ParamClass =
  | { kind: 'buffer'; dtype: Dtype | undefined; lanes: number; ctype: string }
  | { kind: 'int'; dtype: Dtype }
  | { kind: 'float'; dtype: Dtype }
  | { kind: 'bool' }
  | { kind: 'other'; ctype: string };

type Pattern = { kind: '1d'; n: string } | { kind: '2d'; rows: string; cols: string } | { kind: 'matmul'; m: string; n: string; k: string } | { kind: 'none' };

class Inference {
  readonly assumptions: string[] = [];
  readonly unknowns: SpecUnknown[] = [];
  readonly file: string;
  readonly body: string | undefined;
  readonly typeArgs = new Map<string, string>();
  readonly site: LaunchSite | undefined;
  readonly siteOffset: number;
  readonly passed = new Map<string, string>();

  constructor(
    readonly kernel: Kernel,
    readonly options: InferOptions,
  ) {
    this.file = specFileName(kernel.file, options);
    const source = options.bodyText ?? (options.fileText !== undefined ? sliceRange(options.fileText, kernel.range) : undefined);
    this.body = source !== undefined ? kernelBody(source).text : undefined;
    this.site = [...kernel.launchSites].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)[0];
    this.siteOffset = this.site && options.fileText !== undefined ? offsetAt(options.fileText, this.site.range.start.line, this.site.range.start.character) : Number.MAX_SAFE_INTEGER;
  }

  assume(text: string): void {
    if (!this.assumptions.includes(text)) this.assumptions.push(text);
  }

  unknown(path: string, message: string): void {
    this.unknowns.push({ path, message });
  }

  host(): HostContext {
    return { fileText: this.options.fileText, passed: this.passed, typeArgs: this.typeArgs };
  }

  siteLine(): string {
    return this.site ? `${this.file}:${this.site.range.start.line + 1}` : this.file;
  }
}

/** A file URI or path, made relative to the workspace when one is given. */
function specFileName(file: string, options: InferOptions): string {
  if (options.file !== undefined) return options.file;
  const path = file.startsWith('file://') ? fileURLToPath(file) : file;
  if (options.workspaceRoot && isAbsolute(path)) {
    const rel = relative(options.workspaceRoot, path);
    if (!rel.startsWith('..')) return rel.split('\\').join('/');
  }
  return path;
}

function sliceRange(text: string, range: Kernel['range']): string {
  return text.slice(offsetAt(text, range.start.line, range.start.character), offsetAt(text, range.end.line, range.end.character));
}

function isTypeName(text: string): boolean {
  return dtypeOfCType(text) !== undefined || vectorTypeOf(text) !== undefined;
}

/** Template arguments: from the launch, then an explicit instantiation, then the parameter's default. */
function inferTemplateArgs(inf: Inference): string[] | undefined {
  const params = inf.kernel.templateParams;
  if (params.length === 0) return undefined;
  const fileText = inf.options.fileText;
  let explicit: { args: string[]; line: number; count: number } | undefined;
  if (fileText !== undefined) {
    const pattern = new RegExp(`\\btemplate\\s+(?:__global__\\s+)?(?:[\\w:]+\\s+)*?void\\s+(?:[\\w:]*::)?${inf.kernel.name}\\s*<([^;{]*?)>\\s*\\(`, 'g');
    const matches = [...fileText.matchAll(pattern)];
    if (matches.length > 0) {
      const first = matches[0];
      explicit = { args: splitTopLevel(first[1]), line: fileText.slice(0, first.index).split('\n').length, count: matches.length };
    }
  }
  const siteArgs = inf.site?.templateArgs ?? [];
  return params.map((param, k) => {
    const isType = param.kind === 'typename' || param.kind === 'class';
    const candidates: { text: string; from: string }[] = [];
    if (siteArgs[k] !== undefined) candidates.push({ text: siteArgs[k].trim(), from: `the launch at ${inf.siteLine()}` });
    if (explicit?.args[k] !== undefined) {
      const others = explicit.count > 1 ? `, the first of ${explicit.count}` : '';
      candidates.push({ text: explicit.args[k].trim(), from: `the explicit instantiation at ${inf.file}:${explicit.line}${others}` });
    }
    if (param.default !== undefined) candidates.push({ text: param.default.trim(), from: 'its default' });
    for (const candidate of candidates) {
      if (isType && isTypeName(candidate.text)) {
        inf.typeArgs.set(param.name, candidate.text);
        inf.assume(`template ${param.name} = ${candidate.text}, from ${candidate.from}`);
        return candidate.text;
      }
      if (!isType) {
        const value = constantValue(candidate.text, inf.host(), inf.siteOffset);
        if (value) {
          inf.assume(`template ${param.name} = ${value.value}, from ${candidate.from}`);
          return String(value.value);
        }
      }
    }
    if (isType) {
      inf.typeArgs.set(param.name, 'float');
      inf.assume(`template ${param.name} = float (assumed; no launch or instantiation says otherwise)`);
      return 'float';
    }
    inf.unknown(`/templateArgs/${k}`, `template parameter ${param.kind} ${param.name}: give its value (no launch, explicit instantiation or default says)`);
    return PLACEHOLDER;
  });
}

function resolveCType(param: KernelParam, inf: Inference): string {
  const base = normalizeCType(param.baseType || param.type);
  return inf.typeArgs.get(base) ?? base;
}

function classify(param: KernelParam, inf: Inference): ParamClass {
  const ctype = resolveCType(param, inf);
  if (param.pointer) {
    const scalar = dtypeOfCType(ctype);
    if (scalar) return { kind: 'buffer', dtype: scalar, lanes: 1, ctype };
    const vector = vectorTypeOf(ctype);
    if (vector) return { kind: 'buffer', dtype: vector.dtype, lanes: vector.lanes, ctype };
    return { kind: 'buffer', dtype: undefined, lanes: 1, ctype };
  }
  const dtype = dtypeOfCType(ctype);
  if (dtype === 'bool') return { kind: 'bool' };
  if (dtype) return isFloatDtype(dtype) ? { kind: 'float', dtype } : { kind: 'int', dtype };
  return { kind: 'other', ctype };
}

function extentPattern(ints: string[]): Pattern {
  const lower = new Map(ints.map((name) => [name.toLowerCase(), name]));
  const m = lower.get('m');
  const n = lower.get('n');
  const k = lower.get('k');
  if (m && n && k) return { kind: 'matmul', m, n, k };
  const rows = ints.filter((name) => rowNames.test(name));
  const cols = ints.filter((name) => colNames.test(name));
  for (const r of rows) {
    const c = cols.find((name) => name !== r);
    if (c) return { kind: '2d', rows: r, cols: c };
  }
  if (ints.length === 1) return { kind: '1d', n: ints[0] };
  const single = ints.filter((name) => oneDNames.test(name));
  if (single.length === 1) return { kind: '1d', n: single[0] };
  return { kind: 'none' };
}

function patternExtents(pattern: Pattern): string[] {
  switch (pattern.kind) {
    case '1d':
      return [pattern.n];
    case '2d':
      return [pattern.rows, pattern.cols];
    case 'matmul':
      return [pattern.m, pattern.n, pattern.k];
    case 'none':
      return [];
  }
}

/** Fills `inf.passed` with the caller's names for size parameters passed straight through. */
function mapLaunchArguments(inf: Inference, ints: string[]): void {
  if (!inf.site) return;
  inf.kernel.params.forEach((param, i) => {
    const arg = inf.site?.args[i]?.trim();
    if (arg !== undefined && ints.includes(param.name) && /^[A-Za-z_]\w*$/.test(arg)) inf.passed.set(arg, param.name);
  });
}

/** Size defaults: a constant the launch passes wins over the name-based default. */
function inferSizes(inf: Inference, ints: string[], pattern: Pattern): Record<string, number> {
  const sizes: Record<string, number> = {};
  const extents = patternExtents(pattern);
  for (const name of ints) {
    const index = inf.kernel.params.findIndex((p) => p.name === name);
    const arg = inf.site?.args[index];
    const constant = arg !== undefined ? constantValue(arg, inf.host(), inf.siteOffset) : undefined;
    if (constant && constant.value > 0) {
      sizes[name] = constant.value;
      inf.assume(`${name} = ${constant.value}, the value passed at ${inf.siteLine()}${constant.notes.length ? ` (${constant.notes.join('; ')})` : ''}`);
    } else if (extents.includes(name)) {
      const value = pattern.kind === '1d' ? DEFAULT_1D : DEFAULT_2D;
      sizes[name] = value;
      const why = pattern.kind === '1d' ? 'the element count of a 1-D problem' : pattern.kind === 'matmul' ? 'a matrix extent' : 'a matrix extent';
      inf.assume(`${name} = ${value}${value === DEFAULT_1D ? ' (1<<20)' : ''}: default for ${why}`);
    } else {
      sizes[name] = placeholder<number>();
      const known = extents.length ? ` (extents recognised: ${extents.join(', ')})` : '';
      const hint = /stride|ld|pitch/i.test(name) ? '; for a contiguous row-major matrix a row stride equals the column count' : '';
      inf.unknown(`/sizes/${name}`, `what value should ${name} take? Its name does not say what it measures${known}${hint}`);
    }
  }
  return sizes;
}

function pointerRole(param: KernelParam, inf: Inference, use: PointerUse | undefined): ArgRole {
  if (param.const) {
    inf.assume(`${param.name} is an input (declared const)`);
    return 'input';
  }
  if (!use) {
    inf.assume(`${param.name} is an output (assumed write-only: the kernel body was not available to check for reads)`);
    return 'output';
  }
  if (use.escapes.length > 0 && !use.reads) {
    inf.assume(`${param.name} is inout (assumed: ${use.escapes[0]}, so reads cannot be ruled out)`);
    return 'inout';
  }
  if (use.reads && use.writes) {
    inf.assume(`${param.name} is inout: the kernel reads it${use.atomic ? ' (atomic read-modify-write)' : ''} and writes it`);
    return 'inout';
  }
  if (use.reads) {
    inf.assume(`${param.name} is an input: the kernel only reads it (consider declaring it const)`);
    return 'input';
  }
  if (use.writes) {
    inf.assume(`${param.name} is an output: the kernel writes it and never reads it`);
    return 'output';
  }
  inf.assume(`${param.name} is an output (the kernel body never uses it)`);
  return 'output';
}

/** Extents of one buffer, by the recognised pattern and the buffer's name. */
function bufferShape(param: KernelParam, pattern: Pattern, matmulSlot: 'A' | 'B' | 'C' | undefined, inf: Inference): string[] | undefined {
  switch (pattern.kind) {
    case '1d':
      return [pattern.n];
    case '2d': {
      const { rows, cols } = pattern;
      if (perRowNames.test(param.name)) {
        inf.assume(`${param.name} holds one value per row: [${rows}]`);
        return [rows];
      }
      if (perColNames.test(param.name)) {
        inf.assume(`${param.name} holds one value per column: [${cols}]`);
        return [cols];
      }
      return [`${rows} * ${cols}`];
    }
    case 'matmul': {
      const { m, n, k } = pattern;
      if (matmulSlot === 'A') return [`${m} * ${k}`];
      if (matmulSlot === 'B') return [`${k} * ${n}`];
      if (matmulSlot === 'C') return [`${m} * ${n}`];
      return undefined;
    }
    case 'none':
      return undefined;
  }
}

/** Which matmul operand each buffer is: by name (A, B, C) or else by order (first two inputs, first output). */
function matmulSlots(buffers: { param: KernelParam; role: ArgRole }[]): Map<string, 'A' | 'B' | 'C'> {
  const slots = new Map<string, 'A' | 'B' | 'C'>();
  for (const { param } of buffers) {
    const upper = param.name.toUpperCase().replace(/^D_/, '');
    if (upper === 'A' || upper === 'B' || upper === 'C') slots.set(param.name, upper);
  }
  if (slots.size === 3) return slots;
  slots.clear();
  const inputs = buffers.filter((b) => b.role === 'input');
  const outputs = buffers.filter((b) => b.role !== 'input');
  if (inputs[0]) slots.set(inputs[0].param.name, 'A');
  if (inputs[1]) slots.set(inputs[1].param.name, 'B');
  if (outputs[0]) slots.set(outputs[0].param.name, 'C');
  return slots;
}

function launchBoundsThreads(kernel: Kernel): number | undefined {
  for (const attribute of kernel.attributes) {
    const match = /__launch_bounds__\s*\(\s*(\d+)/.exec(attribute);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function translateDims(text: string, dim: 'grid' | 'block', inf: Inference): string[] {
  const ctx = inf.host();
  const { parts, offset, note } = launchComponents(text, ctx, inf.siteOffset);
  if (note) inf.assume(`launch ${dim}: ${note}`);
  return parts.map((part, j) => {
    const translated = translateCExpr(part, ctx, offset);
    if (translated.ok) {
      if (translated.notes.length > 0) inf.assume(`launch ${dim} ${'xyz'[j]} = ${translated.expr}, through ${translated.notes.join('; ')}`);
      return translated.expr;
    }
    inf.unknown(`/launch/${dim}/${j}`, `the launch at ${inf.siteLine()} sets ${dim}${parts.length > 1 ? ` ${'xyz'[j]}` : ''} to \`${part}\`, but ${translated.reason}; write it as an expression over sizes`);
    return PLACEHOLDER;
  });
}

function usesDynamicShared(body: string | undefined): boolean {
  return body !== undefined && /\bextern\s+(?:__shared__\s+[\w:<>]+|[\w:<>]+\s+__shared__)/.test(body);
}

function inferLaunch(inf: Inference, pattern: Pattern): LaunchConfig {
  const dynamicShared = usesDynamicShared(inf.body);
  if (inf.site) {
    const site = inf.site;
    const launch: LaunchConfig = { grid: translateDims(site.grid, 'grid', inf), block: translateDims(site.block, 'block', inf), from: inf.siteLine() };
    const smem = site.sharedMem?.trim();
    if (smem && smem !== '0') {
      const translated = translateCExpr(smem, inf.host(), inf.siteOffset);
      if (translated.ok) launch.sharedMem = translated.expr;
      else {
        launch.sharedMem = PLACEHOLDER;
        inf.unknown('/launch/sharedMem', `the launch at ${inf.siteLine()} passes \`${smem}\` bytes of shared memory, but ${translated.reason}; write the byte count over sizes`);
      }
    } else if (dynamicShared) {
      inf.assume(`the kernel declares extern __shared__ memory but the launch at ${inf.siteLine()} passes none`);
    }
    inf.assume(`launch <<<${site.grid}, ${site.block}${smem ? `, ${smem}` : ''}>>> taken from ${inf.siteLine()}`);
    return launch;
  }

  const bound = launchBoundsThreads(inf.kernel);
  const threads = bound !== undefined ? Math.min(DEFAULT_BLOCK, bound) : DEFAULT_BLOCK;
  const launch: LaunchConfig = { grid: [], block: [] };
  const twoD = inf.body !== undefined && /\b(?:blockIdx|threadIdx)\s*\.\s*y\b/.test(inf.body);
  if (pattern.kind === '1d' && !twoD) {
    launch.grid = [`cdiv(${pattern.n}, ${threads})`];
    launch.block = [String(threads)];
    inf.assume(`launch: one thread per element, ${threads} threads per block, grid cdiv(${pattern.n}, ${threads}) (no launch in the file to copy${bound !== undefined ? `; __launch_bounds__(${bound})` : ''})`);
  } else if ((pattern.kind === '2d' || pattern.kind === 'matmul') && twoD) {
    const rows = pattern.kind === '2d' ? pattern.rows : pattern.m;
    const cols = pattern.kind === '2d' ? pattern.cols : pattern.n;
    launch.grid = [`cdiv(${cols}, 16)`, `cdiv(${rows}, 16)`];
    launch.block = ['16', '16'];
    inf.assume(`launch: 16×16 threads per block, x over ${cols} and y over ${rows}, one thread per element (no launch in the file to copy; the kernel uses .y indices)`);
  } else {
    launch.grid = [PLACEHOLDER];
    launch.block = [bound !== undefined ? String(bound) : PLACEHOLDER];
    inf.unknown('/launch/grid/0', 'no launch of this kernel in the file, and its indexing does not say how many blocks it needs; write the grid over sizes');
    if (bound === undefined) inf.unknown('/launch/block/0', 'no launch of this kernel in the file; how many threads per block does it expect?');
    else inf.assume(`launch: block of ${bound} threads, from __launch_bounds__(${bound})`);
  }
  if (dynamicShared) {
    launch.sharedMem = PLACEHOLDER;
    inf.unknown('/launch/sharedMem', 'the kernel uses extern __shared__ memory; how many bytes does a block need?');
  }
  return launch;
}

/** Infers a draft spec; never throws for odd kernels — what it cannot decide is a "?" with an unknowns entry. */
export function inferSpec(kernel: Kernel, options: InferOptions = {}): InferResult {
  const inf = new Inference(kernel, options);
  if (kernel.language === 'kernelbench') return inferKernelBench(kernel, options.fileText, inf.file);
  if (kernel.language === 'triton') return inferTriton(kernel, inf.body ?? '', options.fileText, inf.file);
  const templateArgs = inferTemplateArgs(inf);
  const classes = kernel.params.map((param) => classify(param, inf));
  const ints = kernel.params.filter((_, i) => classes[i].kind === 'int').map((p) => p.name);
  const pattern = extentPattern(ints);
  if (pattern.kind === 'matmul') inf.assume(`${pattern.m}, ${pattern.n}, ${pattern.k} read as matrix extents: C (${pattern.m}×${pattern.n}) = A (${pattern.m}×${pattern.k}) · B (${pattern.k}×${pattern.n}), dense, no padding`);
  if (pattern.kind === '2d') inf.assume(`${pattern.rows} × ${pattern.cols} read as a dense matrix: buffers hold ${pattern.rows} * ${pattern.cols} elements unless named otherwise`);
  mapLaunchArguments(inf, ints);
  const sizes = inferSizes(inf, ints, pattern);

  // Roles first: the matmul operand order depends on which buffers are inputs.
  const uses = kernel.params.map((param, i) => (classes[i].kind === 'buffer' && inf.body !== undefined ? analyzePointer(inf.body, param.name) : undefined));
  const roles = kernel.params.map((param, i) => (classes[i].kind === 'buffer' ? pointerRole(param, inf, uses[i]) : 'scalar'));
  const buffers = kernel.params.map((param, i) => ({ param, role: roles[i] })).filter((_, i) => classes[i].kind === 'buffer');
  const slots = pattern.kind === 'matmul' ? matmulSlots(buffers) : new Map<string, 'A' | 'B' | 'C'>();
  const byOrder = [...slots].filter(([name, slot]) => name.toUpperCase().replace(/^D_/, '') !== slot);
  if (byOrder.length > 0) inf.assume(`matrix operands taken by position: ${[...slots].map(([name, slot]) => `${name} = ${slot}`).join(', ')}`);

  const launch = inferLaunch(inf, pattern);

  const inits = new Set<string>();
  const args: SpecArg[] = kernel.params.map((param, i) => {
    const cls = classes[i];
    const at = `/args/${i}`;
    switch (cls.kind) {
      case 'buffer': {
        const role = roles[i];
        const arg: SpecArg = { name: param.name, role, dtype: cls.dtype ?? placeholder<Dtype>() };
        if (!cls.dtype) inf.unknown(`${at}/dtype`, `${param.name} points to \`${cls.ctype}\`, which is not a plain numeric type; give the element dtype (and count elements in it)`);
        arg.shape = shapeFor(param, role, cls, pattern, slots, uses[i], launch, sizes, inf, at);
        if (role === 'input' || role === 'inout') {
          if (cls.dtype) {
            arg.init = defaultInit(cls.dtype);
            inits.add(`${isFloatDtype(cls.dtype) ? 'float' : 'integer'} inputs are filled with ${describeDistribution(arg.init)}`);
          } else {
            arg.init = placeholder<SpecArg['init']>();
            inf.unknown(`${at}/init`, `how should ${param.name} be filled? (its element type is unknown)`);
          }
        }
        return arg;
      }
      case 'int':
        return { name: param.name, role: 'scalar', dtype: cls.dtype, value: param.name };
      case 'float': {
        const value = epsilonNames.test(param.name) ? '1e-5' : '0.5';
        inf.assume(`${param.name} = ${value}${value === '0.5' ? ' (not 1.0, so a kernel that ignores it is caught)' : ''}`);
        return { name: param.name, role: 'scalar', dtype: cls.dtype, value };
      }
      case 'bool':
        inf.unknown(`${at}/value`, `${param.name} is a flag; choose true (1) or false (0) for the benchmark`);
        return { name: param.name, role: 'scalar', dtype: 'bool', value: PLACEHOLDER };
      case 'other':
        inf.unknown(`${at}/dtype`, `${param.name} has type \`${cls.ctype}\`, which the harness cannot construct; give a dtype and value, or wrap the kernel`);
        inf.unknown(`${at}/value`, `${param.name}: give the value to pass`);
        return { name: param.name, role: 'scalar', dtype: placeholder<Dtype>(), value: PLACEHOLDER };
    }
  });
  for (const note of inits) inf.assume(`${note} (symmetric around zero, so an all-zero or identity output fails the check)`);
  if (args.some((a) => a.role === 'input' && a.dtype !== 'bool' && a.init?.kind === 'int')) {
    inf.assume('integer inputs in [0, 100): if one holds indices, bound them by the size of what they index');
  }

  const spec: BenchSpec = { version: 1, kernel: kernel.qualifiedName, file: inf.file, ...(templateArgs ? { templateArgs } : {}), sizes, args, launch };
  const bytes = defaultBytesExpr(args);
  if (bytes !== undefined) {
    spec.roofline = { bytes };
    if (pattern.kind === 'matmul') {
      spec.roofline.flops = `2 * ${pattern.m} * ${pattern.n} * ${pattern.k}`;
      inf.assume(`roofline flops = 2 * ${pattern.m} * ${pattern.n} * ${pattern.k} (one multiply-add per output element and k)`);
    }
    inf.assume(`roofline bytes = ${bytes}: each input read once, each output written once, inout both (the least any kernel must move)`);
  }
  spec.assumptions = inf.assumptions;
  spec.unknowns = inf.unknowns;
  return { spec, assumptions: inf.assumptions, unknowns: inf.unknowns };
}

function shapeFor(
  param: KernelParam,
  role: ArgRole,
  cls: Extract<ParamClass, { kind: 'buffer' }>,
  pattern: Pattern,
  slots: Map<string, 'A' | 'B' | 'C'>,
  use: PointerUse | undefined,
  launch: LaunchConfig,
  sizes: Record<string, number>,
  inf: Inference,
  at: string,
): string[] {
  if (cls.lanes > 1) {
    const extents = patternExtents(pattern).join(', ') || 'the sizes';
    inf.unknown(`${at}/shape/0`, `${param.name} is ${cls.ctype}* (${cls.lanes} × ${cls.dtype}); how many ${cls.dtype} elements does it hold, in terms of ${extents}?`);
    return [PLACEHOLDER];
  }
  // Reductions: an output written only at [0] (or through atomics at one address) is one element; one written
  // only at [blockIdx.x] holds a partial result per block.
  if (role !== 'input' && use && use.writeIndices.length > 0) {
    if (use.writeIndices.every((index) => index === '0')) {
      inf.assume(`${param.name} holds one element: the kernel writes it only at [0]`);
      return ['1'];
    }
    if (use.writeIndices.every((index) => index === 'blockIdx.x')) {
      const gridX = launch.grid[0];
      if (gridX !== undefined && gridX !== PLACEHOLDER) {
        inf.assume(`${param.name} holds one element per block (${gridX}): the kernel writes it only at [blockIdx.x]`);
        return [gridX];
      }
      inf.unknown(`${at}/shape/0`, `${param.name} is written at [blockIdx.x], one element per block; give the number of blocks`);
      return [PLACEHOLDER];
    }
  }
  // An index that uses a size we could not pin down (`dst[i * stride]`) means the extent depends on it too.
  const undecided = Object.keys(sizes).filter((name) => (sizes[name] as unknown) === PLACEHOLDER);
  const strided = use?.indices.find((index) => undecided.some((name) => new RegExp(`\\b${name}\\b`).test(index)));
  if (strided !== undefined) {
    inf.unknown(`${at}/shape/0`, `${param.name} is indexed as ${param.name}[${strided}]; how many elements does it hold, over sizes?`);
    return [PLACEHOLDER];
  }
  const shape = bufferShape(param, pattern, slots.get(param.name), inf);
  if (shape) return shape;
  const sizeNames = patternExtents(pattern).length ? patternExtents(pattern) : inf.kernel.params.filter((p) => dtypeOfCType(resolveCType(p, inf)) && !p.pointer).map((p) => p.name);
  inf.unknown(`${at}/shape/0`, `how many elements does ${param.name} hold? Write an expression over sizes${sizeNames.length ? ` (${sizeNames.join(', ')})` : ''}`);
  return [PLACEHOLDER];
}
