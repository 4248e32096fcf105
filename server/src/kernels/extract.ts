import type { Tree } from 'web-tree-sitter';
import { findCudaKernels } from './cuda/kernels';
import type { DocumentKernels } from './model';
import type { GrammarName } from './parsers';
import { findKernelBenchModels, findTritonKernels } from './python';

/** Kernels of one parsed document. Pure: the same tree gives the same answer. */
export function extractKernels(tree: Tree, grammar: GrammarName, file: string): DocumentKernels {
  const root = tree.rootNode;
  const kernels = grammar === 'cuda' ? findCudaKernels(root, file) : [...findTritonKernels(root, file), ...findKernelBenchModels(root, file)];
  return { kernels, problems: [] };
}
