// The built-in search: what a GPU programmer tries first, without a model. Each variant is real source (or the
// same source with another launch or allowed nvcc options) and goes through the gate like any candidate; the
// search itself claims nothing. Variants are derived from the parent (the baseline or the best so far), listed in
// a fixed order per strategy, and the first one not made before is proposed; none left: the strategy is exhausted.

import type { LaunchConfig, TritonConfig } from '../benchspec/model';
import { discover } from '../kernels/discover';
import type { Kernel, Position } from '../kernels/model';
import type { CandidateInput } from './evaluator';
import { isAllowedFlag } from './flags';
import type { Proposal, ProposalRequest, Proposer } from './proposer';
import { candidateKey } from './record';
import { strategiesFor, type SearchStrategy, type StrategyId } from './strategies';
import { autotuneConfigVariants, listedConfigs, TRITON_DEFAULTS } from './triton-configs';
import type { KernelLanguage } from '../kernels/model';

interface Variant {
  candidate: CandidateInput;
  description: string;
}

/** A 1-D launch of the form grid = cdiv(extent, block × perThread), which the search knows how to re-shape. */
interface LinearLaunch {
  extent: string;
  block: number;
  perThread: number;
}

const BLOCK_SIZES = [128, 256, 512, 64, 1024];
const WORK_PER_THREAD = [2, 4, 8];
const FLAG_VARIANTS = ['--use_fast_math', '-Xptxas=-O3', '--maxrregcount=32', '--maxrregcount=64', '--extra-device-vectorization', '-Xptxas=-dlcm=ca'];
const UNROLL_FACTORS = [4, 2, 8];

function collapse(text: string): string {
  return text.replace(/\s+/g, '');
}

/** `cdiv(n, 256)`, `cdiv(n, 256 * 4)`, `(n + 255) / 256`, `(n + 256 - 1) / 256` with block `256`. */
export function linearLaunch(launch: LaunchConfig): LinearLaunch | undefined {
  if (launch.grid.length !== 1 && !launch.grid.slice(1).every((g) => collapse(g) === '1')) return undefined;
  if (launch.block.length !== 1 && !launch.block.slice(1).every((b) => collapse(b) === '1')) return undefined;
  if (launch.sharedMem !== undefined && collapse(launch.sharedMem) !== '0') return undefined;
  const block = Number(collapse(launch.block[0]));
  if (!Number.isInteger(block) || block <= 0) return undefined;
  const grid = collapse(launch.grid[0]);
  const cdiv = /^cdiv\((.+),(\d+)(?:\*(\d+))?\)$/.exec(grid);
  if (cdiv && Number(cdiv[2]) === block) return { extent: cdiv[1], block, perThread: cdiv[3] ? Number(cdiv[3]) : 1 };
  const rounded = /^\((.+)\+(\d+)(?:-1)?\)\/(\d+)$/.exec(grid);
  if (rounded && Number(rounded[3]) === block && Number(rounded[2]) === (grid.includes('-1)') ? block : block - 1)) return { extent: rounded[1], block, perThread: 1 };
  return undefined;
}

function launchOf(shape: LinearLaunch): LaunchConfig {
  const divisor = shape.perThread === 1 ? `${shape.block}` : `${shape.block} * ${shape.perThread}`;
  return { grid: [`cdiv(${shape.extent}, ${divisor})`], block: [`${shape.block}`] };
}

function offsetAt(source: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) offset = source.indexOf('\n', offset) + 1;
  return offset + position.character;
}

function kernelText(source: string, kernel: Kernel): { text: string; start: number; end: number } {
  const start = offsetAt(source, kernel.range.start);
  const end = offsetAt(source, kernel.range.end);
  return { text: source.slice(start, end), start, end };
}

function usesGridStride(body: string): boolean {
  return /gridDim\.x\s*\*\s*blockDim\.x|blockDim\.x\s*\*\s*gridDim\.x/.test(body);
}

function launchVariants(parent: CandidateInput, kernel: Kernel, spec: LaunchConfig, strategy: 'block-size' | 'work-per-thread'): Variant[] {
  const shape = linearLaunch(parent.launch ?? spec);
  if (!shape) return [];
  const body = kernelText(parent.source, kernel).text;
  const withLaunch = (next: LinearLaunch, description: string): Variant => ({ candidate: { ...parent, launch: launchOf(next) }, description });
  if (strategy === 'block-size') {
    // A kernel that spells its block size (a shared array, __launch_bounds__) would break under another one.
    if (new RegExp(`\\b${shape.block}\\b`).test(body)) return [];
    return BLOCK_SIZES.filter((b) => b !== shape.block).map((block) => withLaunch({ ...shape, block }, `block size ${block} instead of ${shape.block}`));
  }
  if (!usesGridStride(body)) return [];
  return WORK_PER_THREAD.map((k) => withLaunch({ ...shape, perThread: shape.perThread * k }, `${shape.perThread * k} elements per thread through the grid-stride loop (a ${k}× smaller grid)`));
}

function flagVariants(parent: CandidateInput): Variant[] {
  const current = parent.extraFlags ?? [];
  return FLAG_VARIANTS.filter((f) => isAllowedFlag(f) && !current.includes(f)).map((flag) => {
    const isCap = flag.startsWith('--maxrregcount=');
    const extraFlags = [...current.filter((f) => !(isCap && f.startsWith('--maxrregcount='))), flag];
    return { candidate: { ...parent, extraFlags }, description: `nvcc ${flag}` };
  });
}

function restrictConstVariants(parent: CandidateInput, kernel: Kernel, inputs: ReadonlySet<string>): Variant[] {
  const edit = (addConst: boolean): string => {
    let source = parent.source;
    for (const param of [...kernel.params].reverse()) {
      if (!param.pointer) continue;
      const start = offsetAt(source, param.range.start);
      const end = offsetAt(source, param.range.end);
      let text = source.slice(start, end);
      if (!param.restrict) text = text.replace(/\*(?!.*\*)\s*/s, '* __restrict__ ');
      if (addConst && !param.const && inputs.has(param.name)) text = `const ${text}`;
      source = source.slice(0, start) + text + source.slice(end);
    }
    return source;
  };
  const both = edit(true);
  const restrictOnly = edit(false);
  return [
    { candidate: { ...parent, source: both }, description: '__restrict__ on every pointer, const on the inputs' },
    { candidate: { ...parent, source: restrictOnly }, description: '__restrict__ on every pointer' },
  ].filter((v) => v.candidate.source !== parent.source);
}

function launchBoundsVariants(parent: CandidateInput, kernel: Kernel, spec: LaunchConfig): Variant[] {
  if (kernel.attributes.some((a) => a.startsWith('__launch_bounds__'))) return [];
  const threads = (parent.launch ?? spec).block.map((b) => Number(collapse(b))).reduce((a, b) => a * b, 1);
  if (!Number.isInteger(threads) || threads <= 0) return [];
  const at = offsetAt(parent.source, kernel.nameRange.start);
  if (parent.source.slice(Math.max(0, at - 2), at) === '::') return [];
  return [[threads], [threads, 2], [threads, 4]].map((args) => ({
    candidate: { ...parent, source: `${parent.source.slice(0, at)}__launch_bounds__(${args.join(', ')}) ${parent.source.slice(at)}` },
    description: `__launch_bounds__(${args.join(', ')})`,
  }));
}

function unrollVariants(parent: CandidateInput, kernel: Kernel): Variant[] {
  const { text, start, end } = kernelText(parent.source, kernel);
  const lines = text.split('\n');
  const loops = lines.map((line, i) => (/^\s*for\s*\(/.test(line) && !/^\s*#\s*pragma\s+unroll/.test(lines[i - 1] ?? '') ? i : -1)).filter((i) => i >= 0);
  if (!loops.length) return [];
  return UNROLL_FACTORS.map((factor) => {
    const out = lines.flatMap((line, i) => (loops.includes(i) ? [`${/^\s*/.exec(line)?.[0] ?? ''}#pragma unroll ${factor}`, line] : [line]));
    return { candidate: { ...parent, source: parent.source.slice(0, start) + out.join('\n') + parent.source.slice(end) }, description: `#pragma unroll ${factor} on ${loops.length} loop${loops.length === 1 ? '' : 's'}` };
  });
}

const WARPS = [8, 4, 2, 16, 1];
const STAGES = [3, 4, 2, 5, 1];

/** The autotune configs earlier config-search candidates of the run listed (their files read again). */
async function configsTried(request: ProposalRequest): Promise<TritonConfig[]> {
  const sources = request.tried.filter((t) => t.strategy === 'triton-configs' && t.source !== undefined).map((t) => t.source as string);
  const kernels = await Promise.all(sources.map(async (source) => (await discover(request.problem.file, source)).kernels.find((k) => k.qualifiedName === request.problem.kernel.qualifiedName)));
  return kernels.flatMap((k) => (k ? listedConfigs(k) : []));
}

/**
 * A Triton launch with one meta-parameter changed: each BLOCK-like constexpr ×2, ÷2, ×4, ÷4 (powers of two, 16 to
 * 2^16: tl.arange needs a power of two), num_warps, num_stages. The grid is an expression over the constexprs, so it
 * follows. An autotuned kernel's configs choose these at run time: its variants are configs added to its list.
 */
async function tritonVariants(request: ProposalRequest, kernel: Kernel, strategy: 'triton-block' | 'triton-warps' | 'triton-stages' | 'triton-configs'): Promise<Variant[]> {
  const { parent } = request;
  const spec = request.problem.spec.launch;
  const autotuned = kernel.autotuneConfigs !== undefined;
  if (strategy === 'triton-configs') {
    if (!autotuned) return [];
    const tried = await configsTried(request);
    return autotuneConfigVariants(parent.candidate.source, kernel, parent.autotunePick, tried).map((v) => ({ candidate: { ...parent.candidate, source: v.source }, description: v.description }));
  }
  if (autotuned) return [];
  const { from: _from, ...current } = parent.candidate.launch ?? spec;
  const withLaunch = (launch: LaunchConfig, description: string): Variant => ({ candidate: { ...parent.candidate, launch }, description });
  if (strategy === 'triton-warps') {
    const now = current.numWarps ?? TRITON_DEFAULTS.numWarps;
    return WARPS.filter((w) => w !== now).map((w) => withLaunch({ ...current, numWarps: w, block: [String(w * 32)] }, `num_warps=${w} instead of ${now}`));
  }
  if (strategy === 'triton-stages') {
    const now = current.numStages ?? TRITON_DEFAULTS.numStages;
    return STAGES.filter((n) => n !== now).map((n) => withLaunch({ ...current, numStages: n }, `num_stages=${n} instead of ${now}`));
  }
  return Object.entries(current.constexprs ?? {}).flatMap(([name, value]) => {
    if (!/BLOCK/i.test(name) || typeof value !== 'number' || !Number.isInteger(Math.log2(value))) return [];
    return [value * 2, value / 2, value * 4, value / 4]
      .filter((v) => v >= 16 && v <= 65536)
      .map((v) => withLaunch({ ...current, constexprs: { ...current.constexprs, [name]: v } }, `${name}=${v} instead of ${value}`));
  });
}

export class SearchProposer implements Proposer {
  readonly kind = 'search';
  readonly strategies: readonly StrategyId[];
  readonly sequential = true;

  /** The strategies of the kernel's language: a Triton kernel's launch meta-parameters, a CUDA kernel's source and flags. */
  constructor(language: KernelLanguage = 'cuda') {
    this.strategies = strategiesFor(language).search;
  }

  async propose(request: ProposalRequest): Promise<Proposal> {
    const strategy = request.strategy as SearchStrategy;
    const parent = request.parent.candidate;
    const { kernels } = await discover(request.problem.file, parent.source);
    const kernel = kernels.find((k) => k.qualifiedName === request.problem.kernel.qualifiedName);
    if (!kernel) return { kind: 'exhausted', reason: `the parent ${request.parent.id} has no kernel ${request.problem.kernel.qualifiedName}` };
    const spec = request.problem.spec;
    const inputs = new Set(spec.args.filter((a) => a.role === 'input').map((a) => a.name));
    const variants: Variant[] = await (async () => {
      switch (strategy) {
        case 'block-size':
        case 'work-per-thread':
          return launchVariants(parent, kernel, spec.launch, strategy);
        case 'compiler-flags':
          return flagVariants(parent);
        case 'restrict-const':
          return restrictConstVariants(parent, kernel, inputs);
        case 'launch-bounds':
          return launchBoundsVariants(parent, kernel, spec.launch);
        case 'unroll-pragmas':
          return unrollVariants(parent, kernel);
        case 'triton-block':
        case 'triton-warps':
        case 'triton-stages':
        case 'triton-configs':
          return kernel.language === 'triton' ? tritonVariants(request, kernel, strategy) : [];
        default:
          return [];
      }
    })();
    const fresh = variants.find((v) => !request.seen.has(candidateKey(v.candidate)));
    if (!fresh) {
      const why = strategy === 'triton-configs' ? (kernel.autotuneConfigs === undefined ? ' (it has no @triton.autotune)' : '') : kernel.autotuneConfigs !== undefined && strategy.startsWith('triton-') ? ' (its @triton.autotune picks these at run time)' : '';
      return { kind: 'exhausted', reason: variants.length ? `every ${strategy} variant of ${request.parent.id} was tried` : `no ${strategy} variant applies to ${request.parent.id}${why}` };
    }
    return { kind: 'candidate', candidate: fresh.candidate, notes: [], description: fresh.description };
  }
}
