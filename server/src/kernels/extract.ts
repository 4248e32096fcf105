import type { Tree } from 'web-tree-sitter';
import { CudaExtractionCache, findCudaKernels } from './cuda/kernels';
import type { DocumentKernels } from './model';
import type { GrammarName } from './parsers';
import { findKernelBenchModels, findTritonKernels } from './python';

/** Kernels of one parsed document: the same tree gives the same answer; `cache` only saves work between versions. */
export { CudaExtractionCache };
export function extractKernels(tree: Tree, grammar: GrammarName, file: string, cache?: CudaExtractionCache): DocumentKernels {
  const root = tree.rootNode;
  const kernels = grammar === 'cuda' ? findCudaKernels(root, file, cache) : [...findTritonKernels(root, file), ...findKernelBenchModels(root, file)];
  return { kernels, problems: [] };
}
