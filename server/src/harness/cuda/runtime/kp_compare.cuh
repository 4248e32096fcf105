// ===================== KernelPilot: what "this element matches" means, on the GPU and on the host =====================
// The comparison kernel (kp_device.cu) decides every output element with these functions; they are written to
// give, bit for bit, the answers of bench/elementwise.ts (matchValues, countPoison), which is their
// specification: test/unit/gate-compare.test.ts compiles this header for the host and checks the two agree on
// a corpus of values. Arithmetic is done in double with explicit rounding (no fused multiply-add), as
// JavaScript does it.
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <type_traits>

namespace kp {

enum Why : int { WhyNone = 0, WhyTolerance = 1, WhyNonFiniteBaseline = 2, WhyNonFiniteCandidate = 3 };

struct ElementVerdict {
  int why;           // WhyNone when the element matches.
  bool measured;     // absErr (and relErr, when hasRel) count toward the maxima.
  bool hasRel;
  double absErr;
  double relErr;
  double allowed;
};

__host__ __device__ inline double mul_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
__host__ __device__ inline double add_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
__host__ __device__ inline double div_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}

// An element as JavaScript decodes it (bench/dtype.ts): floats and narrow integers as exact doubles.
template <class T> __host__ __device__ inline double as_double(T v) {
  if constexpr (std::is_same<T, __half>::value) {
    return static_cast<double>(__half2float(v));
  } else if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    return static_cast<double>(__bfloat162float(v));
  } else if constexpr (std::is_same<T, bool>::value) {
    unsigned char byte;
    memcpy(&byte, &v, 1);  // A poisoned bool byte (0xab) is the number 171 to JavaScript's Uint8Array.
    return static_cast<double>(byte);
  } else {
    return static_cast<double>(v);
  }
}

template <class T> struct is_wide_int {
  static constexpr bool value = std::is_integral<T>::value && sizeof(T) == 8;
};

// matchValues for one element: |c − b| ≤ atol + rtol·|b| with both sides finite (64-bit integers: the exact
// difference, then rounded to a double, as BigInt subtraction followed by Number() does).
template <class T> __host__ __device__ inline ElementVerdict compare_element(T baseline, T candidate, double atol, double rtol) {
  ElementVerdict v{WhyNone, false, false, 0.0, 0.0, 0.0};
  double diff, absB;
  if constexpr (is_wide_int<T>::value) {
    const uint64_t gap = candidate > baseline ? static_cast<uint64_t>(candidate) - static_cast<uint64_t>(baseline)
                                              : static_cast<uint64_t>(baseline) - static_cast<uint64_t>(candidate);
    diff = static_cast<double>(gap);
    absB = fabs(static_cast<double>(baseline));
  } else {
    const double b = as_double(baseline), c = as_double(candidate);
    if (!isfinite(b)) {
      v.why = WhyNonFiniteBaseline;
      v.absErr = NAN;
      return v;
    }
    if (!isfinite(c)) {
      v.why = WhyNonFiniteCandidate;
      v.absErr = NAN;
      return v;
    }
    diff = fabs(c - b);
    absB = fabs(b);
  }
  v.measured = true;
  v.absErr = diff;
  v.allowed = add_rn(atol, mul_rn(rtol, absB));
  if (absB > 0) {
    v.hasRel = true;
    v.relErr = div_rn(diff, absB);
  }
  if (diff > v.allowed) v.why = WhyTolerance;
  return v;
}

// The element's bits equal the byte `poison` repeated: it still holds what the harness wrote before the launch.
template <class T> __host__ __device__ inline bool is_poison(T value, unsigned poison) {
  unsigned char bytes[sizeof(T)];
  memcpy(bytes, &value, sizeof(T));
  for (unsigned k = 0; k < sizeof(T); ++k)
    if (bytes[k] != static_cast<unsigned char>(poison)) return false;
  return true;
}

// countPoison for one element: unwritten when the candidate still holds the poison and the baseline does not
// (the baseline's own unwritten elements are counted apart, and excuse the candidate's).
enum PoisonVerdict : int { PoisonNone = 0, PoisonUnwritten = 1, PoisonBaselineUnwritten = 2 };
template <class T> __host__ __device__ inline int poison_element(T baseline, T candidate, unsigned poison) {
  if (is_poison(baseline, poison)) return PoisonBaselineUnwritten;
  return is_poison(candidate, poison) ? PoisonUnwritten : PoisonNone;
}

}  // namespace kp
