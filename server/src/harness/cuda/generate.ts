// Generates the shim that turns one kernel version (the user's baseline file, or a candidate) into a shared
// object the gate runtime loads (runtime/kp_gate.cu). In order:
//   1. the version interface (kp_version.cuh) and everything generated from the spec that does not name the
//      kernel: buffer and size tables, describe() with every spec expression. All BEFORE the version's source, so
//      its macros cannot change them;
//   2. the version's source, #included unchanged (its `main`, if any, renamed away);
//   3. a short launch function. Every identifier it uses is first checked not to be a macro (`#ifdef X #error`),
//      and a marker proves it sits at global scope (a source that leaves a namespace or class open fails), so what
//      launches the kernel is exactly what was generated. The kernel expression itself (`ns::k<float, 256>`) is
//      the version's own and stays in its hands.
// Macros cannot reach anything that checks or times: that code lives in the runtime, another translation unit.
import type { BenchSpec, Distribution, SpecArg } from '../../benchspec/model';
import { defaultInit, toleranceFor } from '../../benchspec/defaults';
import { POISON_BYTE } from '../poison';
import { CUDA_DTYPES } from './dtypes';
import { exprToCpp } from './expr';
import { checkTemplateArg } from './template-args';
import { VERSION_HEADER_NAME } from './runtime';

export class HarnessSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessSpecError';
  }
}

export interface GeneratedShim {
  /** The whole shim .cu; it #includes kp_version.cuh from its own folder. */
  source: string;
  /** How the launch names the kernel, template arguments included: `ns::kern<float, 256>`. */
  kernelExpr: string;
  /** Size variable names, in the order the runtime's --size and --sweep know them. */
  sizeNames: string[];
  /** Identifiers of the code after the version's source, each guarded against being a macro. */
  guarded: string[];
}

const IDENT = /^[A-Za-z_]\w*$/;
const QUALIFIED = /^(::)?[A-Za-z_]\w*(::[A-Za-z_]\w*)*$/;
/** Stands for the kernel expression while the code after the source is scanned for identifiers. */
const KERNEL_SLOT = '@KERNEL@';

export interface GenerateOptions {
  /** How the #include spells the version's file, when not its absolute path (a bundle built elsewhere). */
  includeAs?: string;
}

/**
 * The shim for `kernel` (default `spec.kernel`) defined in `versionFile` (an absolute path: the shim #includes it
 * from a build folder elsewhere). Throws HarnessSpecError or SpecExpressionError, naming the spec field, when the
 * spec cannot be turned into a launch.
 */
export function generateVersionShim(spec: BenchSpec, versionFile: string, kernel: string = spec.kernel, options: GenerateOptions = {}): GeneratedShim {
  if (!QUALIFIED.test(kernel)) throw new HarnessSpecError(`kernel name '${kernel}' is not a C++ (qualified) identifier`);
  if (!versionFile.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(versionFile)) {
    throw new HarnessSpecError(`the kernel's file must be an absolute path, got '${versionFile}'`);
  }
  const sizeNames = Object.keys(spec.sizes);
  for (const name of sizeNames) {
    if (!IDENT.test(name)) throw new HarnessSpecError(`size variable '${name}' is not a C++ identifier`);
    if (name.startsWith('kp_')) throw new HarnessSpecError(`size variable '${name}': names starting with kp_ are the harness's own`);
    const value = spec.sizes[name];
    if (!Number.isSafeInteger(value)) throw new HarnessSpecError(`size variable '${name}' must be an integer, got ${value}`);
  }
  const seen = new Set<string>();
  spec.args.forEach((arg, i) => {
    // Names become C++ strings, JSON keys and messages: identifiers only, no repeats.
    if (!IDENT.test(arg.name)) throw new HarnessSpecError(`args[${i}]: '${arg.name}' is not a C++ identifier`);
    if (seen.has(arg.name)) throw new HarnessSpecError(`args[${i}]: '${arg.name}' appears twice`);
    seen.add(arg.name);
  });
  const unknowns = spec.unknowns ?? [];
  if (unknowns.length > 0) {
    throw new HarnessSpecError(`the spec has unresolved fields: ${unknowns.map((u) => `${u.path} (${u.message})`).join('; ')}`);
  }
  if (spec.args.length > 64 || sizeNames.length > 32) throw new HarnessSpecError(`at most 64 arguments and 32 size variables (the spec has ${spec.args.length} and ${sizeNames.length})`);
  const kernelExpr = spec.templateArgs?.length ? `${kernel}<${spec.templateArgs.map(templateArg).join(', ')}>` : kernel;
  const includePath = options.includeAs ?? versionFile;
  // A header name ends at a quote or a line break, and whatever follows would be generated code.
  const bad = /["\p{Cc}]/u.exec(includePath);
  if (bad) throw new HarnessSpecError(`the file path ${JSON.stringify(includePath)} has ${JSON.stringify(bad[0])}, which an #include cannot name; rename the file or folder`);
  const after = launchCode(spec, sizeNames);
  const guarded = identifiersOf(after);
  const source = [
    header(spec, versionFile, kernelExpr),
    specPart(spec, kernelExpr, sizeNames),
    versionInclude(includePath),
    guards(guarded),
    after.replaceAll(KERNEL_SLOT, kernelExpr),
  ].join('\n');
  return { source, kernelExpr, sizeNames, guarded };
}

function templateArg(arg: string, index: number): string {
  try {
    return checkTemplateArg(arg);
  } catch (error) {
    throw new HarnessSpecError(`templateArgs[${index}]: ${(error as Error).message}`);
  }
}

function header(spec: BenchSpec, versionFile: string, kernelExpr: string): string {
  return [
    `// KernelPilot version shim for ${kernelExpr} in ${JSON.stringify(versionFile)}.`,
    '// Generated from the bench spec; edit the spec, not this file (it is regenerated on every build).',
    `// Sizes: ${Object.entries(spec.sizes).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)'}`,
    '',
    '// The interface comes first, so that macros in the kernel\'s source cannot change it.',
    `#include "${VERSION_HEADER_NAME}"`,
  ].join('\n');
}

function versionInclude(file: string): string {
  const path = file.replace(/\\/g, '/');
  return [
    '',
    '// ===================== the kernel\'s source, compiled unchanged =====================',
    '// Its own main (if any) is renamed: this object is loaded by the gate runtime, which has its own.',
    '#define main kp_user_main_',
    `#include "${path}"`,
    '#undef main',
  ].join('\n');
}

function specPart(spec: BenchSpec, kernelExpr: string, sizeNames: string[]): string {
  const buffers = spec.args.map((arg, index) => ({ arg, index })).filter(({ arg }) => arg.role !== 'scalar');
  const out: string[] = [];
  out.push('');
  out.push(`// ===================== generated from the bench spec for ${kernelExpr} =====================`);
  out.push('namespace kp_spec {');
  out.push('');
  out.push(`static const ::kp::SizeVar kSizes[] = {${sizeNames.map((n) => `{${cppString(n)}, ${spec.sizes[n]}LL}`).join(', ') || '{"", 0LL}'}};`);
  out.push('');
  out.push('// Buffer arguments in kernel-parameter order: name, role, dtype, element size, fill (uniform [a, b), normal');
  out.push('// (mean a, std b), integers in [a, b), or const a), the poison byte written over outputs before every launch,');
  out.push('// the parameter index (it seeds the buffer\'s random stream), and the spec\'s tolerance for the dtype.');
  out.push('static const ::kp::BufferArg kBuffers[] = {');
  for (const { arg, index } of buffers) {
    const row = bufferRow(spec, arg, index);
    out.push(`    ${row.code},${row.note}`);
  }
  if (buffers.length === 0) throw new HarnessSpecError('the spec has no buffer arguments: nothing to check');
  out.push('};');
  out.push('');
  out.push('// Every spec expression, evaluated for one point of the size variables.');
  out.push('static void describe(const long long* kp_size, ::kp::Problem* kp_p) {');
  sizeNames.forEach((name, i) => out.push(`  const long long ${name} = kp_size[${i}];`));
  if (sizeNames.length > 0) out.push(`  ${sizeNames.map((n) => `(void)${n};`).join(' ')}`);
  sizeNames.forEach((_, i) => out.push(`  kp_p->sizes[${i}] = kp_size[${i}];`));
  buffers.forEach(({ arg, index }, slot) => out.push(`  kp_p->elements[${slot}] = ${extentOf(arg, index, sizeNames)};`));
  out.push(...dims('grid', spec.launch.grid, sizeNames));
  out.push(...dims('block', spec.launch.block, sizeNames));
  const smem = spec.launch.sharedMem?.trim();
  out.push(`  kp_p->smem = ${smem ? exprToCpp(smem, 'launch.sharedMem', sizeNames) : '0'};`);
  spec.args.forEach((arg, index) => {
    if (arg.role !== 'scalar') return;
    let value = arg.value?.trim();
    if (!value && sizeNames.includes(arg.name)) value = arg.name;
    if (!value) throw new HarnessSpecError(`args[${index}] '${arg.name}': a scalar needs a value`);
    out.push(`  ::kp::set_scalar(kp_p, ${index}, ${exprToCpp(value, `args[${index}] '${arg.name}'.value`, sizeNames)});  // ${arg.name}`);
  });
  out.push('}');
  out.push('');
  out.push('}  // namespace kp_spec');
  out.push('');
  out.push('// Completed after the source (launch and setup), by kp_version_table().');
  out.push(`static ::kp::VersionTable kp_table = {::kp::kAbi, ${cppString(kernelExpr)}, ${sizeNames.length}, kp_spec::kSizes, ${buffers.length}, kp_spec::kBuffers, &kp_spec::describe, nullptr, nullptr};`);
  out.push('// Completed after the source: at global scope only when nothing in the source was left open.');
  out.push('struct kp_global_scope_marker;');
  return out.join('\n');
}

function bufferRow(spec: BenchSpec, arg: SpecArg, index: number): { code: string; note: string } {
  const dt = Object.hasOwn(CUDA_DTYPES, arg.dtype) ? CUDA_DTYPES[arg.dtype] : undefined;
  if (!dt) throw new HarnessSpecError(`args[${index}] '${arg.name}': unknown dtype '${arg.dtype}'`);
  const role = arg.role === 'input' ? 'RoleInput' : arg.role === 'output' ? 'RoleOutput' : 'RoleInout';
  const init: Distribution | undefined = arg.role === 'output' ? undefined : (arg.init ?? defaultInit(arg.dtype));
  const [dist, a, b] = init ? distribution(init, `args[${index}] '${arg.name}'.init`) : ['DistNone', 0, 0];
  const poison = `0x${POISON_BYTE[arg.dtype].toString(16)}`;
  const tol = toleranceFor(spec, arg.dtype);
  const note = arg.role !== 'output' && !arg.init ? '  // no init in the spec: the default fill' : '';
  return {
    code: `{${cppString(arg.name)}, ::kp::${role}, ::kp::${dt.enumName}, ${cppString(arg.dtype)}, sizeof(${dt.cpp}), ::kp::${dist}, ${cppDouble(a)}, ${cppDouble(b)}, ${poison}, ${index}, ${cppDouble(tol.atol)}, ${cppDouble(tol.rtol)}}`,
    note,
  };
}

function distribution(init: Distribution, where: string): [string, number, number] {
  const row: [string, number, number] =
    init.kind === 'uniform' ? ['DistUniform', init.low, init.high]
    : init.kind === 'normal' ? ['DistNormal', init.mean, init.std]
    : init.kind === 'int' ? ['DistInt', init.low, init.high]
    : init.kind === 'const' ? ['DistConst', init.value, 0]
    : ['', 0, 0];
  if (row[0] === '') throw new HarnessSpecError(`${where}: unknown distribution '${(init as { kind: string }).kind}'`);
  if (!Number.isFinite(row[1]) || !Number.isFinite(row[2])) throw new HarnessSpecError(`${where}: parameters must be finite numbers`);
  if (init.kind === 'int' && Math.ceil(init.low) >= Math.ceil(init.high)) throw new HarnessSpecError(`${where}: no integers in [${init.low}, ${init.high})`);
  if (init.kind === 'uniform' && !(init.low < init.high)) throw new HarnessSpecError(`${where}: uniform needs low < high`);
  return row;
}

function extentOf(arg: SpecArg, index: number, sizeNames: readonly string[]): string {
  const where = `args[${index}] '${arg.name}'.shape`;
  if (!arg.shape || arg.shape.length === 0) throw new HarnessSpecError(`${where}: a buffer needs a shape`);
  return arg.shape.map((dim, d) => `(${exprToCpp(dim, `${where}[${d}]`, sizeNames)})`).join(' * ');
}

function dims(which: 'grid' | 'block', parts: string[], sizeNames: readonly string[]): string[] {
  if (parts.length < 1 || parts.length > 3) throw new HarnessSpecError(`launch.${which}: one to three components, got ${parts.length}`);
  return [0, 1, 2].map((d) => {
    const value = d < parts.length ? exprToCpp(parts[d], `launch.${which}[${d}]`, sizeNames) : '1';
    return `  kp_p->${which}[${d}] = ${value};`;
  });
}

/** The code after the version's source, with KERNEL_SLOT where the kernel expression goes. */
function launchCode(spec: BenchSpec, sizeNames: readonly string[]): string {
  void sizeNames;
  let slot = 0;
  const args = spec.args.map((arg, index) => {
    const alias = CUDA_DTYPES[arg.dtype].alias;
    if (arg.role !== 'scalar') return `::kp::DevPtr< ::kp::${alias}>{kp_b[${slot++}]}`;
    return `::kp::scalar_of< ::kp::${alias}>(kp_p, ${index})`;
  });
  const smem = spec.launch.sharedMem?.trim();
  return [
    'struct kp_global_scope_marker {};',
    'static_assert(sizeof(::kp_global_scope_marker) == 1, "KernelPilot: the kernel\'s source leaves a namespace, class or block open at its end");',
    '',
    '// The launch, exactly as the spec describes it, on the default stream.',
    'static ::kp::status kp_launch(const ::kp::Problem* kp_p, void* const* kp_b) {',
    `  ${KERNEL_SLOT}<<<::kp::grid_of(kp_p), ::kp::block_of(kp_p), ::kp::smem_of(kp_p)>>>(`,
    ...args.map((a, i) => `      ${a}${i < args.length - 1 ? ',' : ''}`),
    '  );',
    '  return ::kp::last_error();',
    '}',
    ...(smem
      ? ['', '// More than 48 KB of dynamic shared memory needs the kernel\'s opt-in.', `static ::kp::status kp_setup(const ::kp::Problem* kp_p) { return ::kp::allow_smem(&${KERNEL_SLOT}, kp_p); }`]
      : []),
    '',
    'extern "C" __attribute__((visibility("default"))) const ::kp::VersionTable* kp_version_table(void) {',
    `  return ::kp::install(&kp_table, &kp_launch, ${smem ? '&kp_setup' : 'nullptr'});`,
    '}',
    '',
  ].join('\n');
}

/** Every identifier of `code` outside comments and string literals, except the kernel slot, in order of first use. */
function identifiersOf(code: string): string[] {
  const tokens = code
    .replaceAll(KERNEL_SLOT, ' ')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ');
  return [...new Set(tokens.match(/[A-Za-z_]\w*/g) ?? [])];
}

function guards(identifiers: readonly string[]): string {
  const lines = ['', '// ===================== nothing below may be a macro =====================', '// Each identifier the launch code uses is checked, so a macro in the kernel\'s source cannot change it.'];
  for (const id of identifiers) {
    lines.push(`#ifdef ${id}`, `#error "KernelPilot: the kernel's source defines a macro '${id}', which the generated launch code uses: rename it or #undef it at the end of the file"`, '#endif');
  }
  lines.push('');
  return lines.join('\n');
}

function cppString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function cppDouble(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}
