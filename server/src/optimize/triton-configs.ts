// The built-in search on an autotuned Triton kernel. Its autotuner already picks among the configs the file lists, so
// varying the launch would change nothing: the search widens the list instead, one config next to the one the
// autotuner picked (tiles and warps doubled together, one BLOCK constexpr, num_stages or num_warps moved a step), and
// the autotuner then the gate judge it. With no pick reported it starts from the configs as listed.

import { offsetAt } from '../benchspec/cexpr';
import type { TritonConfig } from '../benchspec/model';
import type { Kernel, Range, TritonAutotuneConfig } from '../kernels/model';

/** Triton's own defaults where a launch or a Config leaves them out (NVIDIA backend). */
export const TRITON_DEFAULTS = { numWarps: 4, numStages: 3 };

/** BLOCK constexprs stay powers of two (tl.arange needs them) within these; num_warps powers of two to 32. */
const BLOCK_LIMITS = { low: 16, high: 65536 };
const MAX_WARPS = 32;
const MAX_STAGES = 8;

type Place = NonNullable<Kernel['autotuneConfigsAt']>;

interface Step {
  config: Required<TritonConfig>;
  change: string;
}

export interface ConfigVariant {
  source: string;
  description: string;
}

const powerOfTwo = (v: number | string): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && Number.isInteger(Math.log2(v));

function complete(config: TritonConfig): Required<TritonConfig> {
  return { kwargs: config.kwargs, numWarps: config.numWarps ?? TRITON_DEFAULTS.numWarps, numStages: config.numStages ?? TRITON_DEFAULTS.numStages };
}

/** A config as the file writes it, when every value is a plain number (one written as an expression cannot be stepped). */
function numericConfig(config: TritonAutotuneConfig): TritonConfig | undefined {
  const number = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
  const kwargs = Object.entries(config.kwargs).map(([k, v]) => [k, number(v)] as const);
  if (kwargs.some(([, v]) => v === undefined)) return undefined;
  if ((config.numWarps !== undefined && number(config.numWarps) === undefined) || (config.numStages !== undefined && number(config.numStages) === undefined)) return undefined;
  return { kwargs: Object.fromEntries(kwargs) as Record<string, number>, ...(config.numWarps !== undefined ? { numWarps: Number(config.numWarps) } : {}), ...(config.numStages !== undefined ? { numStages: Number(config.numStages) } : {}) };
}

function sameConfig(a: TritonConfig, b: TritonConfig): boolean {
  const x = complete(a);
  const y = complete(b);
  const keys = Object.keys(x.kwargs);
  return x.numWarps === y.numWarps && x.numStages === y.numStages && keys.length === Object.keys(y.kwargs).length && keys.every((k) => x.kwargs[k] === y.kwargs[k]);
}

/** The configs one step from `from`, the likeliest gain first. */
function steps(from: TritonConfig): Step[] {
  if (!Object.values(from.kwargs).every((v) => typeof v === 'number' && Number.isFinite(v))) return [];
  const base = complete(from);
  const w = base.numWarps;
  const s = base.numStages;
  const blocks = Object.entries(base.kwargs).filter((e): e is [string, number] => /BLOCK/i.test(e[0]) && powerOfTwo(e[1]));
  const withBlock = (name: string, value: number): Step => ({ config: { ...base, kwargs: { ...base.kwargs, [name]: value } }, change: `${name} ${base.kwargs[name]}→${value}` });
  const out: Step[] = [];
  // An under-sized tile: a bigger one with the warps to fill it (the first thing to try on a tl.dot kernel).
  if (blocks.length > 1 && blocks.every(([, v]) => v * 2 <= BLOCK_LIMITS.high) && w * 2 <= MAX_WARPS) {
    out.push({ config: { ...base, kwargs: { ...base.kwargs, ...Object.fromEntries(blocks.map(([k, v]) => [k, v * 2])) }, numWarps: w * 2 }, change: `every BLOCK ×2, num_warps ${w}→${w * 2}` });
  }
  for (const [name, v] of blocks) if (v * 2 <= BLOCK_LIMITS.high) out.push(withBlock(name, v * 2));
  if (s + 1 <= MAX_STAGES) out.push({ config: { ...base, numStages: s + 1 }, change: `num_stages ${s}→${s + 1}` });
  if (w * 2 <= MAX_WARPS) out.push({ config: { ...base, numWarps: w * 2 }, change: `num_warps ${w}→${w * 2}` });
  for (const [name, v] of blocks) if (v / 2 >= BLOCK_LIMITS.low) out.push(withBlock(name, v / 2));
  if (s - 1 >= 1) out.push({ config: { ...base, numStages: s - 1 }, change: `num_stages ${s}→${s - 1}` });
  if (w / 2 >= 1 && Number.isInteger(w / 2)) out.push({ config: { ...base, numWarps: w / 2 }, change: `num_warps ${w}→${w / 2}` });
  return out;
}

/** `BLOCK_M=128 BLOCK_N=64 w8 s3`: a config in one short line (descriptions, prompts). */
export function configText(config: TritonConfig): string {
  const c = complete(config);
  return `${Object.entries(c.kwargs).map(([k, v]) => `${k}=${String(v)}`).join(' ')} w${c.numWarps} s${c.numStages}`;
}

/** `triton.Config({...}, num_warps=…, num_stages=…)`, written as the file writes its first config. */
function configCall(config: Required<TritonConfig>, listed: readonly TritonAutotuneConfig[]): string {
  const first = listed[0]?.text ?? '';
  const callee = /^([A-Za-z_][\w.]*)\(/.exec(first)?.[1] ?? 'triton.Config';
  const quote = /\{\s*'/.test(first) ? "'" : '"';
  const kwargs = Object.entries(config.kwargs).map(([k, v]) => `${quote}${k}${quote}: ${String(v)}`).join(', ');
  return `${callee}({${kwargs}}, num_warps=${config.numWarps}, num_stages=${config.numStages})`;
}

function rangeText(source: string, range: Range): { start: number; end: number } {
  return { start: offsetAt(source, range.start.line, range.start.character), end: offsetAt(source, range.end.line, range.end.character) };
}

/** The file with `call` added to the configs: a new line of a multi-line list, or the expression spread into a new list. */
export function withConfig(source: string, place: Place, call: string): string {
  const { start, end } = rangeText(source, place.range);
  if (!place.lastElement) {
    const expression = source.slice(start, end);
    const list = /^\[\s*\]$/.test(expression) ? `[${call}]` : /^[A-Za-z_][\w.]*$/.test(expression) ? `[*${expression}, ${call}]` : `[*(${expression}), ${call}]`;
    return source.slice(0, start) + list + source.slice(end);
  }
  const last = rangeText(source, place.lastElement);
  const comma = /^\s*,/.exec(source.slice(last.end, end - 1));
  const at = comma ? last.end + comma[0].length : last.end;
  const lineStart = source.lastIndexOf('\n', last.start - 1) + 1;
  const indent = /^[ \t]*/.exec(source.slice(lineStart))?.[0] ?? '';
  const inserted = place.lastElement.start.line !== place.range.end.line ? `${comma ? '' : ','}\n${indent}${call}${comma ? ',' : ''}` : `${comma ? ' ' : ', '}${call}${comma ? ',' : ''}`;
  return source.slice(0, at) + inserted + source.slice(at);
}

/** The configs a kernel lists that can be read as plain numbers. */
export function listedConfigs(kernel: Kernel): TritonConfig[] {
  return (kernel.autotuneConfigs ?? []).map(numericConfig).filter((c): c is TritonConfig => c !== undefined);
}

/**
 * The parent's source with one more autotune config each, neighbours of `pick` (the autotuner's choice for the parent)
 * or, without one, of each config as listed; none the file lists already, none in `triedElsewhere` (the lists of
 * earlier candidates of the run: a sibling's config that did not win is not tried again under another parent).
 */
export function autotuneConfigVariants(source: string, kernel: Kernel, pick: TritonConfig | undefined, triedElsewhere: readonly TritonConfig[] = []): ConfigVariant[] {
  const place = kernel.autotuneConfigsAt;
  if (!place) return [];
  const listed = kernel.autotuneConfigs ?? [];
  const known = listedConfigs(kernel);
  const origins: Array<{ config: TritonConfig; whose: string }> = pick ? [{ config: pick, whose: "the autotuner's pick" }] : known.map((config, i) => ({ config, whose: `config ${i + 1} as listed` }));
  const made: TritonConfig[] = [...known, ...triedElsewhere];
  const out: ConfigVariant[] = [];
  for (const { config, whose } of origins) {
    for (const step of steps(config)) {
      if (made.some((c) => sameConfig(c, step.config))) continue;
      made.push(step.config);
      out.push({ source: withConfig(source, place, configCall(step.config, listed)), description: `autotune config ${configText(step.config)} added (${step.change} from ${whose})` });
    }
  }
  return out;
}
