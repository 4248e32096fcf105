import type { Tree } from 'web-tree-sitter';
import { CudaExtractionCache, findCudaKernels } from './cuda/kernels';
import type { DocumentKernels } from './model';
import type { GrammarName } from './parsers';
import { findKernelBenchModels, findTritonKernels } from './python';

/** Kernels of one parsed document: the same tree gives the same answer; `cache` only saves work between versions. */
export { CudaExtractionCache };
export function extractKernels(tree: Tree, grammar: GrammarName, file: string, cache?: CudaExtractionCache): DocumentKernels {
  const root = tree.rootNode;
  const found = grammar === 'cuda' ? findCudaKernels(root, file, cache) : [...findTritonKernels(root, file), ...findKernelBenchModels(root, file)];
  // Bytes that are not UTF-8 read as U+FFFD, and tree-sitter splits identifiers there (`k\xff\xfeq` became a
  // kernel named `q`): such a kernel's name cannot be trusted, so it is reported instead of listed under a wrong one.
  const garbled = found.filter((k) => k.signature.includes('\uFFFD'));
  return {
    kernels: found.filter((k) => !garbled.includes(k)),
    problems: garbled.map((k) => ({
      message: `the kernel declared as '${k.signature}' has bytes that are not valid UTF-8 in its signature (shown as \uFFFD): its name cannot be read; save the file as UTF-8`,
      range: k.nameRange,
    })),
  };
}
