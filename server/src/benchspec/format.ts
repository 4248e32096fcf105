// The human-readable rendering of an inferred spec for `kernelpilot spec FILE --kernel K`: what will be run,
// what was assumed, and what is still missing, in that order. `--json` prints formatSpecJson instead.

import type { Kernel } from '../kernels/model';
import { DEFAULT_TOLERANCES, describeDistribution, isFloatDtype, toleranceFor } from './defaults';
import type { InferResult } from './infer';
import { PLACEHOLDER, type BenchSpec, type Dtype } from './model';
import { serializeSpec } from './serialize';

/** The spec exactly as a spec file would hold it. */
export function formatSpecJson(spec: BenchSpec): string {
  return serializeSpec(spec);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function dims(list: string[]): string {
  return list.length === 1 ? list[0] : `(${list.join(', ')})`;
}

export interface FormatOptions {
  /** Adds the kernel's signature line when given. */
  kernel?: Kernel;
  /** Where `--write` saves the spec, to tell the user which file to edit. */
  specPath?: string;
  /** A spec file is already there (bench uses it, not this inference). */
  specExists?: boolean;
}

/** A plain-text summary: sizes, one line per argument, launch, tolerances, roofline, assumptions, unknowns. */
export function formatInference(result: InferResult, options: FormatOptions = {}): string {
  const { spec } = result;
  const lines: string[] = [];
  lines.push(`kernel   ${spec.kernel}${spec.file ? `  (${spec.file})` : ''}`);
  if (options.kernel) lines.push(`         ${options.kernel.signature}`);
  if (spec.templateArgs?.length) lines.push(`template <${spec.templateArgs.join(', ')}>`);
  const sizes = Object.entries(spec.sizes);
  lines.push(`sizes    ${sizes.length ? sizes.map(([k, v]) => `${k} = ${String(v)}`).join(', ') : '(none)'}`);

  lines.push('args');
  const nameWidth = Math.max(4, ...spec.args.map((a) => a.name.length));
  spec.args.forEach((arg, i) => {
    const head = `  ${String(i).padStart(2)}  ${pad(arg.role, 6)}  ${pad(arg.name, nameWidth)}  ${pad(arg.dtype, 8)}`;
    if (arg.role === 'scalar') {
      lines.push(`${head}  = ${arg.value ?? '(no value)'}`);
    } else {
      const shape = arg.shape ? `[${arg.shape.join(', ')}]` : '(no shape)';
      const init = arg.init && (arg.init as unknown) !== PLACEHOLDER ? `  ${describeDistribution(arg.init)}` : arg.role === 'output' ? '  poisoned before each call' : '';
      lines.push(`${head}  ${shape}${init}`);
    }
  });

  const { launch } = spec;
  const smem = launch.sharedMem ? `, shared ${launch.sharedMem} B` : '';
  lines.push(`launch   grid ${dims(launch.grid)}, block ${dims(launch.block)}${smem}${launch.from ? `   (from ${launch.from})` : ''}`);
  const meta = [...Object.entries(launch.constexprs ?? {}).map(([k, v]) => `${k}=${String(v)}`), ...(launch.numWarps ? [`num_warps=${launch.numWarps}`] : []), ...(launch.numStages ? [`num_stages=${launch.numStages}`] : [])];
  if (meta.length) lines.push(`         ${meta.join(', ')}`);
  const autotune = spec.triton?.autotune;
  if (autotune) lines.push(`autotune ${autotune.configs.length} config(s)${autotune.key.length ? `, key ${autotune.key.join(', ')}` : ''}: ${autotune.configs.map((c) => Object.entries(c.kwargs).map(([k, v]) => `${k}=${String(v)}`).join(' ') + (c.numWarps ? ` w${c.numWarps}` : '') + (c.numStages ? ` s${c.numStages}` : '')).join(' | ')}`);

  const compared = [...new Set(spec.args.filter((a) => a.role === 'output' || a.role === 'inout').map((a) => a.dtype))].filter((d): d is Dtype => d in DEFAULT_TOLERANCES);
  if (compared.length) {
    const parts = compared.map((d) => {
      const t = toleranceFor(spec, d);
      const source = spec.tolerance?.[d] ? '' : ' default';
      return isFloatDtype(d) ? `${d} rtol ${t.rtol} atol ${t.atol}${source}` : `${d} exact`;
    });
    lines.push(`compare  ${parts.join('; ')}`);
  }
  if (spec.roofline) lines.push(`roofline bytes ${spec.roofline.bytes ?? '(default)'}${spec.roofline.flops ? `, flops ${spec.roofline.flops}` : ''}`);

  if (result.assumptions.length) {
    lines.push('', 'assumed (check these):');
    for (const a of result.assumptions) lines.push(`  - ${a}`);
  }
  if (result.unknowns.length) {
    lines.push('', `to fill in before it can run (${result.unknowns.length}):`);
    for (const u of result.unknowns) lines.push(`  ? ${u.path}: ${u.message}`);
  } else {
    lines.push('', 'nothing left to fill in.');
  }
  // Printing is not saving: say what is on disk, so nobody goes looking for a file that was never written.
  if (options.specPath) {
    const state = options.specExists ? 'exists: bench runs it, not this inference; --write --force replaces it' : 'not written: --write saves it there';
    lines.push('', `spec file: ${options.specPath} (${state})`);
  }
  return `${lines.join('\n')}\n`;
}
