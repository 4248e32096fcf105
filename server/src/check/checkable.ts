// What the static check refuses before nvcc runs, in words the user can act on: nvcc on a Python file, a binary
// file or a 20 MB generated source answers with thousands of errors that say nothing. Shared by the CLI and the
// editor's re-check command.
import { grammarFor, unreadableReason } from '../kernels/language';

/** Why `file` (with this text) is not compiled; undefined when it is CUDA the check can compile. */
export function notCheckableReason(file: string, text: string, languageId?: string): string | undefined {
  const unreadable = unreadableReason(text);
  if (unreadable) return `${file} is not checked: ${unreadable}`;
  const grammar = grammarFor(file, text, languageId);
  if (grammar === 'python') return `${file} is a Python file: the static check compiles CUDA only (.cu, .cuh, or C/C++ with a __global__ function); its Triton and KernelBench kernels are listed, not compiled`;
  if (grammar !== 'cuda') return `${file} is not a CUDA file (.cu, .cuh, or C/C++ with a __global__ function) — nothing to check`;
  return undefined;
}
