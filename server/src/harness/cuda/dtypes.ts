// How each spec dtype looks in the generated C++: the element type the harness allocates and fills, and the
// runtime's enumerator for it. Poison bytes come from harness/poison.ts (shared with bench/verify.ts).
import type { Dtype } from '../../benchspec/model';

export interface CudaDtype {
  /** The element type (the kernel may spell it differently, e.g. `long long` or `float4`: kp::DevPtr accepts those). */
  cpp: string;
  /** The runtime's `kp::Dtype` enumerator (kp_runtime.cuh). */
  enumName: string;
}

export const CUDA_DTYPES: Readonly<Record<Dtype, CudaDtype>> = {
  float32: { cpp: 'float', enumName: 'Float32' },
  float16: { cpp: '__half', enumName: 'Float16' },
  bfloat16: { cpp: '__nv_bfloat16', enumName: 'BFloat16' },
  float64: { cpp: 'double', enumName: 'Float64' },
  int8: { cpp: 'int8_t', enumName: 'Int8' },
  uint8: { cpp: 'uint8_t', enumName: 'UInt8' },
  int16: { cpp: 'int16_t', enumName: 'Int16' },
  int32: { cpp: 'int32_t', enumName: 'Int32' },
  uint32: { cpp: 'uint32_t', enumName: 'UInt32' },
  int64: { cpp: 'int64_t', enumName: 'Int64' },
  uint64: { cpp: 'uint64_t', enumName: 'UInt64' },
  bool: { cpp: 'bool', enumName: 'Bool' },
};
