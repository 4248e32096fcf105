// Python discovery: Triton kernels and KernelBench models, each from an already parsed tree-sitter-python tree.
export { findTritonKernels } from './triton';
export { findKernelBenchModels } from './kernelbench';
