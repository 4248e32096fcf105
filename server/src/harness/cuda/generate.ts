// Generates the CUDA C++ harness for one kernel of one user file: the runtime interface (kp_runtime.cuh),
// then the user's file #included UNCHANGED (its `main`, if any, renamed away), then the spec-specific tables,
// the launch and the harness's own `main`. Linked with kp_runtime.o (runtime.ts) it is one binary speaking
// protocol.ts.
import type { BenchSpec, Distribution, SpecArg } from '../../benchspec/model';
import { defaultInit } from '../../benchspec/defaults';
import { POISON_BYTE } from '../poison';
import { CUDA_DTYPES } from './dtypes';
import { exprToCpp } from './expr';
import { RUNTIME_HEADER_NAME } from './runtime';
import { checkTemplateArg } from './template-args';

export class HarnessSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessSpecError';
  }
}

export interface GeneratedHarness {
  /** The whole harness.cu; it #includes kp_runtime.cuh from its own folder and links kp_runtime.o. */
  source: string;
  /** How the launch names the kernel, template arguments included: `ns::kern<float, 256>`. */
  kernelExpr: string;
  /** Size variable names, in the order `--size` knows them. */
  sizeNames: string[];
}

const IDENT = /^[A-Za-z_]\w*$/;
const QUALIFIED = /^(::)?[A-Za-z_]\w*(::[A-Za-z_]\w*)*$/;

export interface GenerateOptions {
  /**
   * How the #include spells the user's file, when not its absolute path: a path relative to the harness file,
   * for a bundle that is built on another machine (scripts/gen-harness.ts).
   */
  includeAs?: string;
}

/**
 * The harness for `kernel` (default: `spec.kernel`) defined in `userFile` (an absolute path: the harness
 * #includes it from a build folder elsewhere). Throws HarnessSpecError or SpecExpressionError, naming the
 * spec field, when the spec cannot be turned into a launch.
 */
export function generateCudaHarness(spec: BenchSpec, userFile: string, kernel: string = spec.kernel, options: GenerateOptions = {}): GeneratedHarness {
  if (!QUALIFIED.test(kernel)) throw new HarnessSpecError(`kernel name '${kernel}' is not a C++ (qualified) identifier`);
  if (!userFile.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(userFile)) {
    throw new HarnessSpecError(`the user file must be an absolute path, got '${userFile}'`);
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
    // Names become C++ comments, JSON keys and dump file names (<name>.bin): identifiers only, no repeats.
    if (!IDENT.test(arg.name)) throw new HarnessSpecError(`args[${i}]: '${arg.name}' is not a C++ identifier`);
    if (seen.has(arg.name)) throw new HarnessSpecError(`args[${i}]: '${arg.name}' appears twice`);
    seen.add(arg.name);
  });
  const unknowns = spec.unknowns ?? [];
  if (unknowns.length > 0) {
    throw new HarnessSpecError(`the spec has unresolved fields: ${unknowns.map((u) => `${u.path} (${u.message})`).join('; ')}`);
  }
  const kernelExpr = spec.templateArgs?.length ? `${kernel}<${spec.templateArgs.map(templateArg).join(', ')}>` : kernel;
  const includePath = options.includeAs ?? userFile;
  // A header name ends at a quote or a line break, and whatever follows would be harness code.
  const bad = /["\p{Cc}]/u.exec(includePath);
  if (bad) throw new HarnessSpecError(`the file path ${JSON.stringify(includePath)} has ${JSON.stringify(bad[0])}, which an #include cannot name; rename the file or folder`);
  const source = [
    header(spec, userFile, kernelExpr),
    userInclude(includePath, sizeNames),
    specPart(spec, kernelExpr, sizeNames),
  ].join('\n');
  return { source, kernelExpr, sizeNames };
}

function templateArg(arg: string, index: number): string {
  try {
    return checkTemplateArg(arg);
  } catch (error) {
    throw new HarnessSpecError(`templateArgs[${index}]: ${(error as Error).message}`);
  }
}

function header(spec: BenchSpec, userFile: string, kernelExpr: string): string {
  return [
    `// KernelPilot harness for ${kernelExpr} in ${JSON.stringify(userFile)}.`,
    '// Generated from the bench spec; edit the spec, not this file (it is regenerated on every build).',
    `// Sizes: ${Object.entries(spec.sizes).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)'}`,
    '// Run it as: harness check|time|ceilings ... (the modes and options are listed in kp_runtime.cuh).',
    '',
    '// The runtime interface comes first, so that macros in the user\'s file cannot change it.',
    `#include "${RUNTIME_HEADER_NAME}"`,
  ].join('\n');
}

function userInclude(userFile: string, sizeNames: string[]): string {
  const path = userFile.replace(/\\/g, '/');
  const lines = [
    '',
    '// ===================== the user\'s file, compiled unchanged =====================',
    '// Its own main (if any) is renamed so that the harness main below is the program\'s entry point.',
    '#define main kp_user_main_',
    `#include "${path}"`,
    '#undef main',
  ];
  if (sizeNames.length > 0) {
    lines.push('// The size variables are local constants below; a user macro of the same name would rewrite them.');
    for (const name of sizeNames) lines.push(`#undef ${name}`);
  }
  return lines.join('\n');
}

function specPart(spec: BenchSpec, kernelExpr: string, sizeNames: string[]): string {
  const buffers = spec.args.map((arg, index) => ({ arg, index })).filter(({ arg }) => arg.role !== 'scalar');
  const out: string[] = [];
  out.push('');
  out.push(`// ===================== generated from the bench spec for ${kernelExpr} =====================`);
  out.push('namespace kp_spec {');
  out.push('');
  out.push('// Buffer arguments in kernel-parameter order: name, role, dtype, element size, fill (uniform [a, b),');
  out.push('// normal (mean a, std b), integers in [a, b), or const a), the poison byte written over outputs before');
  out.push('// every launch, and the parameter index (it seeds the buffer\'s random stream).');
  out.push('static const std::vector<kp::BufferArg> kBuffers = {');
  for (const { arg, index } of buffers) {
    const row = bufferRow(arg, index);
    out.push(`    ${row.code},${row.note}`);
  }
  out.push('};');
  out.push('');
  out.push('// Every spec expression, evaluated for one point of the size variables.');
  out.push('static kp::Problem describe(const std::vector<long long>& kp_size) {');
  sizeNames.forEach((name, i) => out.push(`  const long long ${name} = kp_size[${i}];`));
  if (sizeNames.length > 0) out.push(`  ${sizeNames.map((n) => `(void)${n};`).join(' ')}`);
  out.push('  kp::Problem kp_p;');
  out.push('  kp_p.sizes = kp_size;');
  out.push('  kp_p.elements = {');
  for (const { arg, index } of buffers) out.push(`      ${extentOf(arg, index, sizeNames)},`);
  out.push('  };');
  out.push(...dims('grid', spec.launch.grid, sizeNames));
  out.push(...dims('block', spec.launch.block, sizeNames));
  const smem = spec.launch.sharedMem?.trim();
  out.push(`  kp_p.smem = ${smem ? exprToCpp(smem, 'launch.sharedMem', sizeNames) : '0'};`);
  out.push('  return kp_p;');
  out.push('}');
  out.push('');
  out.push(...launchFunction(spec, kernelExpr, sizeNames));
  out.push('');
  out.push(...setupFunction(kernelExpr, smem));
  out.push('');
  out.push('}  // namespace kp_spec');
  out.push('');
  out.push('int main(int argc, char** argv) {');
  out.push('  static const kp::Harness harness = {');
  out.push(`      ${cppString(kernelExpr)},`);
  out.push(`      {${sizeNames.map((n) => `{${cppString(n)}, ${spec.sizes[n]}LL}`).join(', ')}},`);
  out.push('      kp_spec::kBuffers,');
  out.push('      &kp_spec::describe,');
  out.push('      &kp_spec::launch,');
  out.push(`      ${smem ? '&kp_spec::setup' : 'nullptr'},`);
  out.push('  };');
  out.push('  return kp::harness_main(argc, argv, harness);');
  out.push('}');
  out.push('');
  return out.join('\n');
}

function bufferRow(arg: SpecArg, index: number): { code: string; note: string } {
  const dt = Object.hasOwn(CUDA_DTYPES, arg.dtype) ? CUDA_DTYPES[arg.dtype] : undefined;
  if (!dt) throw new HarnessSpecError(`args[${index}] '${arg.name}': unknown dtype '${arg.dtype}'`);
  const role = arg.role === 'input' ? 'Input' : arg.role === 'output' ? 'Output' : 'Inout';
  const init: Distribution | undefined = arg.role === 'output' ? undefined : (arg.init ?? defaultInit(arg.dtype));
  const [dist, a, b] = init ? distribution(init, `args[${index}] '${arg.name}'.init`) : ['None', 0, 0];
  const poison = `0x${POISON_BYTE[arg.dtype].toString(16)}`;
  const note = arg.role !== 'output' && !arg.init ? '  // no init in the spec: the default fill' : '';
  return { code: `{${cppString(arg.name)}, kp::Role::${role}, kp::Dtype::${dt.enumName}, ${cppString(arg.dtype)}, sizeof(${dt.cpp}), kp::Dist::${dist}, ${cppDouble(a)}, ${cppDouble(b)}, ${poison}, ${index}}`, note };
}

function distribution(init: Distribution, where: string): [string, number, number] {
  const row: [string, number, number] =
    init.kind === 'uniform' ? ['Uniform', init.low, init.high]
    : init.kind === 'normal' ? ['Normal', init.mean, init.std]
    : init.kind === 'int' ? ['Int', init.low, init.high]
    : init.kind === 'const' ? ['Const', init.value, 0]
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
  const product = arg.shape.map((dim, d) => exprToCpp(dim, `${where}[${d}]`, sizeNames)).join(' * ');
  return `kp::extent(${cppString(`elements of '${arg.name}' (${arg.shape.join(' * ')})`)}, ${product})`;
}

function dims(which: 'grid' | 'block', parts: string[], sizeNames: readonly string[]): string[] {
  if (parts.length < 1 || parts.length > 3) throw new HarnessSpecError(`launch.${which}: one to three components, got ${parts.length}`);
  return [0, 1, 2].map((d) => {
    const value = d < parts.length ? exprToCpp(parts[d], `launch.${which}[${d}]`, sizeNames) : '1';
    return `  kp_p.${which}[${d}] = ${value};`;
  });
}

function launchFunction(spec: BenchSpec, kernelExpr: string, sizeNames: string[]): string[] {
  const args = spec.args.map((arg, index) => {
    const dt = CUDA_DTYPES[arg.dtype];
    if (arg.role !== 'scalar') {
      const slot = spec.args.slice(0, index).filter((a) => a.role !== 'scalar').length;
      return `kp::DevPtr<${dt.cpp}>{kp_buf[${slot}]}  /* ${arg.name} */`;
    }
    let value = arg.value?.trim();
    if (!value && sizeNames.includes(arg.name)) value = arg.name;
    if (!value) throw new HarnessSpecError(`args[${index}] '${arg.name}': a scalar needs a value`);
    const expr = exprToCpp(value, `args[${index}] '${arg.name}'.value`, sizeNames);
    const cast = arg.dtype === 'float16' || arg.dtype === 'bfloat16' ? `kp::from_double<${dt.cpp}>(static_cast<double>(${expr}))` : `static_cast<${dt.cpp}>(${expr})`;
    return `${cast}  /* ${arg.name} */`;
  });
  const lines = [
    '// The launch, exactly as the spec describes it, on the legacy default stream.',
    'static void launch(const kp::Problem& kp_p, void* const* kp_buf) {',
  ];
  sizeNames.forEach((name, i) => lines.push(`  const long long ${name} = kp_p.sizes[${i}];`));
  if (sizeNames.length > 0) lines.push(`  ${sizeNames.map((n) => `(void)${n};`).join(' ')}`);
  lines.push('  (void)kp_buf;');
  lines.push('  const dim3 kp_grid(unsigned(kp_p.grid[0]), unsigned(kp_p.grid[1]), unsigned(kp_p.grid[2]));');
  lines.push('  const dim3 kp_block(unsigned(kp_p.block[0]), unsigned(kp_p.block[1]), unsigned(kp_p.block[2]));');
  lines.push(`  ${kernelExpr}<<<kp_grid, kp_block, size_t(kp_p.smem)>>>(`);
  args.forEach((a, i) => lines.push(`      ${a}${i < args.length - 1 ? ',' : ''}`));
  lines.push('  );');
  lines.push('}');
  return lines;
}

/** More than 48 KB of dynamic shared memory needs the kernel's opt-in; only emitted when the spec asks for shared memory. */
function setupFunction(kernelExpr: string, smem: string | undefined): string[] {
  if (!smem) return ['// The spec asks for no dynamic shared memory: no setup.'];
  return [
    '// A kernel gets more than 48 KB of dynamic shared memory only after opting in.',
    'static void setup(const kp::Problem& kp_p) {',
    '  if (kp_p.smem > 48 * 1024)',
    `    KP_CHECK("launch", cudaFuncSetAttribute(${kernelExpr}, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kp_p.smem)));`,
    '}',
  ];
}

function cppString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function cppDouble(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}
