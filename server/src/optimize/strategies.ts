// The arms of the bandit. The model's strategies are families of rewrites a GPU expert would try; the built-in
// search's are the source- and flag-level variants it can make without a model (search.ts). One strategy per
// candidate, so the bandit learns which family pays on this kernel.

import type { KernelLanguage } from '../kernels/model';

export const MODEL_STRATEGIES = [
  'memory-coalescing',
  'shared-memory-tiling',
  'occupancy-launch',
  'warp-primitives',
  'unrolling-ilp',
  'tensor-cores',
  'fusion',
] as const;

export const SEARCH_STRATEGIES = ['block-size', 'work-per-thread', 'compiler-flags', 'restrict-const', 'launch-bounds', 'unroll-pragmas'] as const;

/** The model's strategies on a Triton kernel (their guidance: llm/prompts/strategies.md). */
export const TRITON_MODEL_STRATEGIES = ['triton-tiling', 'triton-memory', 'triton-pipelining', 'triton-fusion'] as const;

/** The model's strategies on a KernelBench task: how its ModelNew computes (guidance: llm/prompts/strategies.md). */
export const KERNELBENCH_MODEL_STRATEGIES = ['kernelbench-cuda', 'kernelbench-triton'] as const;

/**
 * The built-in search on a Triton kernel: its launch's meta-parameters (the grid follows the BLOCK constexprs); on an
 * autotuned one, configs added to its autotune list.
 */
export const TRITON_SEARCH_STRATEGIES = ['triton-block', 'triton-warps', 'triton-stages', 'triton-configs'] as const;

export type ModelStrategy = (typeof MODEL_STRATEGIES)[number] | (typeof TRITON_MODEL_STRATEGIES)[number] | (typeof KERNELBENCH_MODEL_STRATEGIES)[number];
export type SearchStrategy = (typeof SEARCH_STRATEGIES)[number] | (typeof TRITON_SEARCH_STRATEGIES)[number];
export type StrategyId = ModelStrategy | SearchStrategy;

export const STRATEGY_TITLES: Record<StrategyId, string> = {
  'memory-coalescing': 'memory coalescing / vectorized access',
  'shared-memory-tiling': 'shared-memory tiling',
  'occupancy-launch': 'occupancy / launch configuration',
  'warp-primitives': 'warp-level primitives',
  'unrolling-ilp': 'unrolling / instruction-level parallelism',
  'tensor-cores': 'tensor cores',
  fusion: 'fusion',
  'block-size': 'block size',
  'work-per-thread': 'work per thread',
  'compiler-flags': 'compiler options',
  'restrict-const': '__restrict__ / const pointers',
  'launch-bounds': '__launch_bounds__',
  'unroll-pragmas': 'unroll pragmas',
  'triton-tiling': 'Triton tiling / work per program',
  'triton-memory': 'Triton memory passes and contiguity',
  'triton-pipelining': 'Triton num_warps / num_stages / tl.dot',
  'triton-fusion': 'Triton fusion',
  'kernelbench-cuda': 'ModelNew with inline CUDA kernels',
  'kernelbench-triton': 'ModelNew with Triton kernels',
  'triton-block': 'Triton BLOCK constexprs',
  'triton-warps': 'Triton num_warps',
  'triton-stages': 'Triton num_stages',
  'triton-configs': 'Triton autotune configs',
};

/**
 * The strategies of a run on a kernel of `language`: the model's and the built-in search's. A KernelBench task's
 * Model has none yet: its optimize gate refuses it first (bench/optimize-prepare.ts), and its strategies join here.
 */
export function strategiesFor(language: KernelLanguage): { model: readonly ModelStrategy[]; search: readonly SearchStrategy[] } {
  switch (language) {
    case 'cuda':
      return { model: MODEL_STRATEGIES, search: SEARCH_STRATEGIES };
    case 'triton':
      return { model: TRITON_MODEL_STRATEGIES, search: TRITON_SEARCH_STRATEGIES };
    case 'kernelbench':
      // A task has no kernel of its own for the search to vary: its candidates are whole ModelNew files from a model.
      return { model: KERNELBENCH_MODEL_STRATEGIES, search: [] };
  }
}

export function isStrategy(value: string): value is StrategyId {
  return value in STRATEGY_TITLES;
}
