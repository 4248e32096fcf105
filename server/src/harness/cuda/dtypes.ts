// How each spec dtype looks in the generated C++: the element type, the runtime's `kp::Dtype` enumerator, and the
// alias the launch code uses (kp_version.cuh): after the kernel's source the launch never spells `float` or
// `int32_t`, which a macro could redefine. Poison bytes come from harness/poison.ts.
import type { Dtype } from '../../benchspec/model';

export interface CudaDtype {
  /** The element type (the kernel may spell it differently, e.g. `long long` or `float4`: kp::DevPtr accepts those). */
  cpp: string;
  /** The runtime's `kp::Dtype` enumerator (kp_version.cuh). */
  enumName: string;
  /** `kp::<alias>` names `cpp` in the launch code. */
  alias: string;
}

export const CUDA_DTYPES: Readonly<Record<Dtype, CudaDtype>> = {
  float32: { cpp: 'float', enumName: 'Float32', alias: 'f32' },
  float16: { cpp: '__half', enumName: 'Float16', alias: 'f16' },
  bfloat16: { cpp: '__nv_bfloat16', enumName: 'BFloat16', alias: 'bf16' },
  float64: { cpp: 'double', enumName: 'Float64', alias: 'f64' },
  int8: { cpp: 'int8_t', enumName: 'Int8', alias: 'i8' },
  uint8: { cpp: 'uint8_t', enumName: 'UInt8', alias: 'u8' },
  int16: { cpp: 'int16_t', enumName: 'Int16', alias: 'i16' },
  int32: { cpp: 'int32_t', enumName: 'Int32', alias: 'i32' },
  uint32: { cpp: 'uint32_t', enumName: 'UInt32', alias: 'u32' },
  int64: { cpp: 'int64_t', enumName: 'Int64', alias: 'i64' },
  uint64: { cpp: 'uint64_t', enumName: 'UInt64', alias: 'u64' },
  bool: { cpp: 'bool', enumName: 'Bool', alias: 'b8' },
};
