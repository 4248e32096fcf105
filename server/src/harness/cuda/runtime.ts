// The fixed part of every generated CUDA harness, kept as real C++ files beside this module (runtime/):
//   kp_runtime.cuh  the interface the generated code uses (tables, DevPtr, KP_CHECK), #included BEFORE the
//                   user's file so that the user's macros cannot change it;
//   kp_runtime.cu   argument parsing, device checks, the seeded fill, poisoning, the L2 flush, the
//                   check/time/ceilings modes and the JSON reports of protocol.ts.
// kp_runtime.cu is compiled once per (compiler, flags) into kp_runtime.o and linked into every harness: it is
// most of the host code, and compiling it every time would triple the cost of each candidate's build.
// The files are bundled as text at build time (scripts/esbuild-options.mjs); under tsx, scripts/text-assets.cjs
// loads them the same way. test/unit/harness-runtime.test.ts compiles them on their own with nvcc.
import RUNTIME_HEADER_TEXT from './runtime/kp_runtime.cuh';
import RUNTIME_SOURCE_TEXT from './runtime/kp_runtime.cu';

export const RUNTIME_HEADER_NAME = 'kp_runtime.cuh';
export const RUNTIME_SOURCE_NAME = 'kp_runtime.cu';
export const RUNTIME_HEADER: string = RUNTIME_HEADER_TEXT;
export const RUNTIME_SOURCE: string = RUNTIME_SOURCE_TEXT;
