// ===================== KernelPilot harness runtime: the interface =====================
// Every generated harness includes this header BEFORE the user's file (so the user's macros cannot change
// it) and links kp_runtime.o, which is built once per GPU architecture and compiler (kp_runtime.cu).
// Modes (server/src/harness/protocol.ts is the contract):
//   BIN check    --seed S --out DIR [--dump-inputs] [--size NAME=VALUE ...]
//   BIN time     --seed S --warmup W --iters N --sets K [--out DIR] [--size NAME=VALUE ...]
//   BIN ceilings
// Each run prints exactly one JSON report line that starts with {"kind": and exits 0, or prints one
// {"kind":"error",...} line and exits 1. Every CUDA call and every launch is checked.
#pragma once
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace kp {

// ---------------------------------------------------------------- errors

// Prints the one ErrorReport and exits 1. stage: device, alloc, copy, launch, sync, io, args.
[[noreturn]] void fail(const char* stage, cudaError_t err, const char* message);
void check(cudaError_t err, const char* stage, const char* what);
#define KP_CHECK(stage, call) ::kp::check((call), (stage), #call)

// ---------------------------------------------------------------- the spec, as tables

enum class Role { Input, Output, Inout };
enum class Dist { None, Uniform, Normal, Int, Const };
enum class Dtype { Float32, Float16, BFloat16, Float64, Int8, UInt8, Int16, Int32, UInt32, Int64, UInt64, Bool };

struct BufferArg {
  const char* name;
  Role role;
  Dtype dtype;
  const char* dtypeName;  // As the spec spells it: float32, bfloat16, ...
  size_t elemSize;
  // Inputs and inouts: how to fill on the host. Uniform: [a, b). Normal: mean a, std b. Int: integers in
  // [a, b) (as the spec schema says). Const: a. Outputs: Dist::None.
  Dist dist;
  double a, b;
  unsigned char poison;  // Byte written over every output before every launch.
  int argIndex;          // Position among the kernel's parameters: seeds the buffer's random stream.
};

struct SizeVar {
  const char* name;
  long long value;  // The spec's default; --size NAME=VALUE overrides it.
};

// Everything that depends on the size variables, evaluated once per run by the generated describe().
struct Problem {
  std::vector<long long> sizes;     // In Harness::sizeVars order.
  std::vector<long long> elements;  // In Harness::buffers order.
  long long grid[3], block[3];
  long long smem;
};

struct Harness {
  const char* kernel;  // As the launch names it, template arguments included.
  std::vector<SizeVar> sizeVars;
  std::vector<BufferArg> buffers;
  Problem (*describe)(const std::vector<long long>& sizes);
  void (*launch)(const Problem& p, void* const* buffers);  // Device pointers in Harness::buffers order.
  void (*setup)(const Problem& p);                         // Once before any launch; may be null.
};

int harness_main(int argc, char** argv, const Harness& h);

// A buffer extent from the spec must be positive (generated describe() calls this).
long long extent(const char* what, long long v);

// ---------------------------------------------------------------- typed argument passing

// A device buffer handed to the kernel. It converts to whatever pointer type the kernel's parameter has,
// and refuses at compile time when that type does not match the spec's dtype. Accepted besides the exact
// type: integer types of one size and signedness (int64_t is 'long' on Linux, kernels often say 'long long'),
// CUDA vector types of the dtype (float4* for float32: the spec counts the floats), and void*.
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

// A spec number as an element or scalar of type T. Integers: floor, clamped to T's range (an out-of-range
// float-to-int conversion is undefined behaviour). Half and bfloat16: round to nearest.
template <class T> inline T from_double(double v) {
  if constexpr (std::is_same<T, __half>::value) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    return __float2bfloat16_rn(static_cast<float>(v));
  } else if constexpr (std::is_same<T, bool>::value) {
    return v != 0.0;
  } else if constexpr (std::is_integral<T>::value) {
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    const double f = std::floor(v);
    return f <= lo ? std::numeric_limits<T>::lowest() : f >= hi ? std::numeric_limits<T>::max() : static_cast<T>(f);
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace kp
// ===================== end of the KernelPilot runtime interface =====================
