// What the static check refuses before nvcc runs, in words the user can act on: nvcc on a Python file, a binary
// file or a 20 MB generated source answers with thousands of errors that say nothing. Shared by the CLI and the
// editor's re-check command.
import { grammarFor, unreadableReason } from '../kernels/language';

/** Why `file` (with this text) is not compiled; undefined when it is CUDA the check can compile. */
export function notCheckableReason(file: string, text: string, languageId?: string): string | undefined {
  const unreadable = unreadableReason(text);
  if (unreadable) return `${file} is not checked: ${unreadable}`;
  // Python (Triton, KernelBench) included: its kernels are listed, not compiled.
  if (grammarFor(file, text, languageId) !== 'cuda') return `${file} is not a CUDA file (.cu, .cuh, or C/C++ with a __global__ function) — nothing to check`;
  return undefined;
}
