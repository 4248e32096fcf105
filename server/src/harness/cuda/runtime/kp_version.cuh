// ===================== KernelPilot: the interface between the gate runtime and one kernel version =====================
// A kernel version (the user's baseline file, or one candidate) is compiled alone into a shared object from a
// generated shim: this header, the spec's tables and describe() (all BEFORE the version's source, so its macros
// cannot change them), the version's source #included unchanged, then a short launch function whose every
// identifier is checked not to be a macro (generate.ts). The gate runtime (kp_gate.cu) dlopens the baseline's and
// the candidate's objects into one process and reaches each only through kp_version_table().
//
// Kept small and free of the standard library's containers: it is compiled into every version, and every version
// is a compile on the path from a candidate's source to its verdict.
#pragma once
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>
#include <math.h>
#include <type_traits>

namespace kp {

// Bumped whenever a struct below changes: the runtime refuses a version built against another layout.
constexpr int kAbi = 1;
constexpr int kMaxSizes = 32;
constexpr int kMaxArgs = 64;

enum Role : int { RoleInput = 0, RoleOutput = 1, RoleInout = 2 };
enum Dist : int { DistNone = 0, DistUniform = 1, DistNormal = 2, DistInt = 3, DistConst = 4 };
enum Dtype : int { Float32, Float16, BFloat16, Float64, Int8, UInt8, Int16, Int32, UInt32, Int64, UInt64, Bool };

// One buffer argument of the kernel, in parameter order.
struct BufferArg {
  const char* name;
  int role;
  int dtype;
  const char* dtypeName;  // As the spec spells it: float32, bfloat16, ...
  unsigned long long elemSize;
  // Inputs and inouts: how to fill. Uniform [a, b); Normal mean a, std b; Int: integers in [a, b); Const a.
  int dist;
  double a, b;
  unsigned poison;  // The byte written over every output before every launch (harness/poison.ts).
  int argIndex;     // Position among the kernel's parameters: seeds the buffer's random stream.
  double atol, rtol;  // The spec's tolerance for this dtype (benchspec/defaults.ts toleranceFor).
};

struct SizeVar {
  const char* name;
  long long value;  // The spec's default.
};

// Everything that depends on the size variables, for one point of them (describe()).
struct Problem {
  long long sizes[kMaxSizes];
  long long elements[kMaxArgs];  // Per buffer, in VersionTable::buffers order.
  long long grid[3], block[3], smem;
  // Scalar arguments by parameter index, as the spec's expression evaluated: both conversions are kept so the
  // launch converts exactly as `static_cast<T>(expression)` would.
  long long scalarInt[kMaxArgs];
  double scalarReal[kMaxArgs];
  bool scalarIsInt[kMaxArgs];
};

typedef void (*DescribeFn)(const long long* sizes, Problem* out);
typedef cudaError_t (*LaunchFn)(const Problem* p, void* const* buffers);
typedef cudaError_t (*SetupFn)(const Problem* p);

struct VersionTable {
  int abi;
  const char* kernel;  // As the launch names it, template arguments included.
  int sizeCount;
  const SizeVar* sizes;
  int bufferCount;
  const BufferArg* buffers;
  DescribeFn describe;
  LaunchFn launch;  // Set by the code after the version's source.
  SetupFn setup;    // Null unless the spec asks for dynamic shared memory.
};

// ---------------------------------------------------------------- what the launch code uses

// Element types under names of the runtime's own, so the launch code never spells `float` or `int32_t` after
// the version's source (which may define macros of those names).
typedef float f32;
typedef __half f16;
typedef __nv_bfloat16 bf16;
typedef double f64;
typedef int8_t i8;
typedef uint8_t u8;
typedef int16_t i16;
typedef int32_t i32;
typedef uint32_t u32;
typedef int64_t i64;
typedef uint64_t u64;
typedef bool b8;
typedef cudaError_t status;

// A device buffer handed to the kernel. It converts to whatever pointer type the kernel's parameter has, and
// refuses at compile time when that type does not match the spec's dtype. Accepted besides the exact type:
// integer types of one size and signedness (int64_t is 'long' on Linux, kernels often say 'long long'), CUDA
// vector types of the dtype (float4* for float32: the spec counts the floats), and void*.
template <class T, class = void> struct lane_of { using type = void; };
template <class T> struct lane_of<T, std::void_t<decltype(std::declval<T&>().x)>> {
  using type = typename std::remove_cv<typename std::remove_reference<decltype(std::declval<T&>().x)>::type>::type;
};

template <class W, class Have> struct same_scalar {
  static constexpr bool bothInt = std::is_integral<W>::value && std::is_integral<Have>::value &&
                                  !std::is_same<W, bool>::value && !std::is_same<Have, bool>::value;
  static constexpr bool value = std::is_same<W, Have>::value ||
                                (bothInt && sizeof(W) == sizeof(Have) && std::is_signed<W>::value == std::is_signed<Have>::value);
};
template <class Have> struct same_scalar<void, Have> { static constexpr bool value = false; };

template <class W, class Have, class Lane = typename lane_of<W>::type> struct vector_of {
  static constexpr bool value = same_scalar<Lane, Have>::value && sizeof(W) % sizeof(Have) == 0;
};
template <class W, class Have> struct vector_of<W, Have, void> { static constexpr bool value = false; };

template <class Want, class Have> struct compatible {
  using W = typename std::remove_cv<Want>::type;
  static constexpr bool value = std::is_void<W>::value || same_scalar<W, Have>::value || vector_of<W, Have>::value;
};

template <class E> struct DevPtr {
  void* p;
  template <class T> operator T*() const {
    static_assert(compatible<T, E>::value,
                  "KernelPilot: the bench spec's dtype for this buffer does not match the kernel's pointer parameter "
                  "type; fix 'dtype' in the spec (the 'detected during instantiation' line names the argument)");
    return static_cast<T*>(p);
  }
};

// A spec number as a value of type T. Integers: floor, clamped to T's range (an out-of-range float-to-int
// conversion is undefined behaviour). Half and bfloat16: round to nearest.
template <class T> __host__ __device__ inline T from_double(double v) {
  if constexpr (std::is_same<T, __half>::value) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    return __float2bfloat16_rn(static_cast<float>(v));
  } else if constexpr (std::is_same<T, bool>::value) {
    return v != 0.0;
  } else if constexpr (std::is_integral<T>::value) {
    constexpr int bits = int(sizeof(T)) * 8;
    constexpr bool sign = std::is_signed<T>::value;
    constexpr T max = sign ? T((1ULL << (bits - 1)) - 1ULL) : T(~T(0));
    constexpr T lowest = sign ? T(-max - 1) : T(0);
    const double f = floor(v);
    return f <= static_cast<double>(lowest) ? lowest : f >= static_cast<double>(max) ? max : static_cast<T>(f);
  } else {
    return static_cast<T>(v);
  }
}

// Scalar argument `index` as the kernel's parameter type T, converted as static_cast<T>(expression) would;
// half and bfloat16 through from_double.
template <class T> inline T scalar_of(const Problem* p, int index) {
  if constexpr (std::is_same<T, __half>::value || std::is_same<T, __nv_bfloat16>::value) {
    return from_double<T>(p->scalarIsInt[index] ? static_cast<double>(p->scalarInt[index]) : p->scalarReal[index]);
  } else {
    return p->scalarIsInt[index] ? static_cast<T>(p->scalarInt[index]) : static_cast<T>(p->scalarReal[index]);
  }
}

// Stores one scalar expression's value in both conversions (describe()).
template <class V> inline void set_scalar(Problem* p, int index, V value) {
  p->scalarInt[index] = static_cast<long long>(value);
  p->scalarReal[index] = static_cast<double>(value);
  p->scalarIsInt[index] = std::is_integral<V>::value;
}

inline dim3 grid_of(const Problem* p) { return dim3(unsigned(p->grid[0]), unsigned(p->grid[1]), unsigned(p->grid[2])); }
inline dim3 block_of(const Problem* p) { return dim3(unsigned(p->block[0]), unsigned(p->block[1]), unsigned(p->block[2])); }
inline size_t smem_of(const Problem* p) { return size_t(p->smem); }
inline status last_error() { return cudaGetLastError(); }

// More than 48 KB of dynamic shared memory needs the kernel's opt-in.
template <class F> inline status allow_smem(F* kernel, const Problem* p) {
  if (p->smem <= 48 * 1024) return cudaSuccess;
  return cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), cudaFuncAttributeMaxDynamicSharedMemorySize, int(p->smem));
}

// Completes a version's table with the functions defined after its source.
inline const VersionTable* install(VersionTable* table, LaunchFn launch, SetupFn setup) {
  table->launch = launch;
  table->setup = setup;
  return table;
}

}  // namespace kp

// The one symbol the runtime looks up in a version's shared object.
#define KP_VERSION_ENTRY "kp_version_table"
typedef const kp::VersionTable* (*kp_version_entry_fn)(void);
// ===================== end of the version interface =====================
