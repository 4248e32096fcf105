// The fixed C++ of the gate, kept as real files beside this module (runtime/) and bundled as text
// (scripts/esbuild-options.mjs; scripts/text-assets.cjs under tsx; test/unit/gate-runtime.test.ts compiles them):
//   kp_version.cuh   the interface between the runtime and one kernel version: compiled into every version's
//                    shared object (generate.ts) and into the runtime;
//   kp_compare.cuh   what "this element matches" means, on the GPU and on the host (bench/elementwise.ts is its spec);
//   kp_gate.cuh      the runtime's internal interfaces;
//   kp_gate.cu       command line, modes (describe, ceilings, baseline, evaluate) and JSON events (protocol.ts);
//   kp_device.cu     the gate's own GPU work: seeded fill, poison, input digests, comparison kernels;
//   kp_timing.cu     kernel-only timing through CUPTI activity records, CUDA events where CUPTI cannot work;
//   kp_loader.cu     loading versions (dlopen, RTLD_LOCAL) and noting the device variables they register.
// The runtime is built once per (compiler, architecture, host flags) into one executable (build.ts); only the small
// per-version shims are compiled per candidate.
import VERSION_HEADER_TEXT from './runtime/kp_version.cuh';
import COMPARE_HEADER_TEXT from './runtime/kp_compare.cuh';
import GATE_HEADER_TEXT from './runtime/kp_gate.cuh';
import GATE_MAIN_TEXT from './runtime/kp_gate.cu';
import GATE_DEVICE_TEXT from './runtime/kp_device.cu';
import GATE_TIMING_TEXT from './runtime/kp_timing.cu';
import GATE_LOADER_TEXT from './runtime/kp_loader.cu';

export const VERSION_HEADER_NAME = 'kp_version.cuh';
export const VERSION_HEADER: string = VERSION_HEADER_TEXT;

/** Every file of the runtime, by name; the .cu files are its translation units. */
export const RUNTIME_FILES: Readonly<Record<string, string>> = {
  [VERSION_HEADER_NAME]: VERSION_HEADER_TEXT,
  'kp_compare.cuh': COMPARE_HEADER_TEXT,
  'kp_gate.cuh': GATE_HEADER_TEXT,
  'kp_gate.cu': GATE_MAIN_TEXT,
  'kp_device.cu': GATE_DEVICE_TEXT,
  'kp_timing.cu': GATE_TIMING_TEXT,
  'kp_loader.cu': GATE_LOADER_TEXT,
};

export const RUNTIME_SOURCES: readonly string[] = Object.keys(RUNTIME_FILES).filter((name) => name.endsWith('.cu'));

/** The symbols the runtime executable exports to the versions it loads (kp_loader.cu): a linker dynamic list. */
export const RUNTIME_DYNAMIC_LIST = '{ __cudaRegisterVar; __cudaRegisterManagedVar; };\n';
