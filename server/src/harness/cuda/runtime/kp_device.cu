// ===================== KernelPilot gate runtime: its own GPU work =====================
// Everything the gate does on the GPU around a kernel version's launch, never inside a timed window: fresh input
// values from a seeded counter-based generator, poison, input digests, and the element-by-element comparison with
// the reference (kp_compare.cuh), so outputs are checked where they are, with no dumps. Every operation here is
// counted (own_operations), so the timing module can tell this runtime's GPU work from work nobody asked for.
#include "kp_compare.cuh"
#include "kp_gate.cuh"

#include <cstdio>
#include <cstring>

namespace kp {
namespace {

uint64_t g_ownOperations = 0;

int multiprocessors() {
  static int count = [] {
    int device = 0, n = 0;
    check(cudaGetDevice(&device), "device", "cudaGetDevice");
    check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device), "device", "cudaDeviceGetAttribute");
    return n > 0 ? n : 1;
  }();
  return count;
}

// Grid-stride launches: enough blocks to fill the GPU, no more than the work needs.
unsigned blocks_for(long long n) {
  long long want = (n + 255) / 256;
  long long cap = 8LL * multiprocessors();
  return static_cast<unsigned>(want < 1 ? 1 : want < cap ? want : cap);
}

void launched(const char* what) {
  count_own_operation();
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) fail("launch", err, std::string("the gate's ") + what + " kernel could not be launched: " + cudaGetErrorString(err));
}

// ---------------------------------------------------------------- the seeded fill

// Counter-based splitmix64: draw k of a stream is mix64(base + (k + 1) * gamma), so every element is computed on
// its own, in any order, on any device.
__host__ __device__ inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
__host__ __device__ inline uint64_t stream_base(uint64_t seed, uint64_t argIndex) { return mix64(seed ^ mix64(argIndex + 0x5eedULL)); }
__device__ inline uint64_t draw(uint64_t base, uint64_t k) { return mix64(base + (k + 1) * kGamma); }
__device__ inline double unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }  // [0, 1)

// Element i's value. Normal: Box-Muller (cosine branch) with draws 2i and 2i + 1.
__device__ double sample(int dist, double a, double b, uint64_t base, uint64_t i) {
  switch (dist) {
    case DistUniform: return a + (b - a) * unit(draw(base, i));
    case DistNormal: {
      double u1 = 1.0 - unit(draw(base, 2 * i));  // (0, 1]: the logarithm stays finite.
      double u2 = unit(draw(base, 2 * i + 1));
      return a + b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    }
    case DistInt: {
      // Integers in [a, b): span b - a values (the generator checks that it is at least one).
      double lo = ceil(a), span = ceil(b) - lo;
      return lo + fmin(floor(unit(draw(base, i)) * span), span - 1.0);
    }
    case DistConst: return a;
    default: return 0.0;
  }
}

template <class T> __global__ void kp_fill_kernel(T* out, long long n, int dist, double a, double b, uint64_t base) {
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) out[i] = from_double<T>(sample(dist, a, b, base, static_cast<uint64_t>(i)));
}

// ---------------------------------------------------------------- reductions

__device__ inline unsigned long long warp_sum(unsigned long long v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline unsigned long long warp_max(unsigned long long v) {
  for (int o = 16; o > 0; o >>= 1) {
    unsigned long long w = __shfl_down_sync(0xffffffffu, v, o);
    v = w > v ? w : v;
  }
  return v;
}
__device__ inline unsigned long long warp_min(unsigned long long v) {
  for (int o = 16; o > 0; o >>= 1) {
    unsigned long long w = __shfl_down_sync(0xffffffffu, v, o);
    v = w < v ? w : v;
  }
  return v;
}
__device__ inline double warp_dsum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

__device__ inline unsigned long long double_bits(double v) {
  unsigned long long bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

// Digest: Σ mix64(word_i ⊕ mix64(i)) over 8-byte words, plus the tail bytes with their positions. Addition is
// order-independent, so the grid may split the work any way.
__global__ void kp_checksum_kernel(const unsigned char* p, unsigned long long bytes, unsigned long long* out) {
  const unsigned long long words = bytes / 8;
  const uint64_t* w = reinterpret_cast<const uint64_t*>(p);
  unsigned long long acc = 0;
  for (unsigned long long i = blockIdx.x * 256ULL + threadIdx.x; i < words; i += 256ULL * gridDim.x) acc += mix64(w[i] ^ mix64(i + 0x6b70ULL));
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    for (unsigned long long j = words * 8; j < bytes; ++j) acc += mix64((static_cast<uint64_t>(p[j]) << 48) ^ mix64(j + 0x7461696cULL));
  }
  acc = warp_sum(acc);
  if ((threadIdx.x & 31) == 0) atomicAdd(out, acc);
}

template <class T>
__global__ void kp_compare_kernel(const T* candidate, const T* reference, long long n, double atol, double rtol, bool checkPoison, unsigned poison, CompareCounts* out) {
  unsigned long long failures = 0, nfb = 0, nfc = 0, unwritten = 0, baseUnwritten = 0, maxAbs = 0, maxRel = 0;
  unsigned long long firstFail = ~0ULL, firstUnwritten = ~0ULL;
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) {
    const T b = reference[i], c = candidate[i];
    const ElementVerdict v = compare_element<T>(b, c, atol, rtol);
    if (v.measured) {
      maxAbs = max(maxAbs, double_bits(v.absErr));
      if (v.hasRel) maxRel = max(maxRel, double_bits(v.relErr));
    }
    if (v.why != WhyNone) {
      failures++;
      if (v.why == WhyNonFiniteBaseline) nfb++;
      if (v.why == WhyNonFiniteCandidate) nfc++;
      firstFail = min(firstFail, static_cast<unsigned long long>(i));
    }
    if (checkPoison) {
      const int p = poison_element<T>(b, c, poison);
      if (p == PoisonBaselineUnwritten) baseUnwritten++;
      if (p == PoisonUnwritten) {
        unwritten++;
        firstUnwritten = min(firstUnwritten, static_cast<unsigned long long>(i));
      }
    }
  }
  failures = warp_sum(failures);
  nfb = warp_sum(nfb);
  nfc = warp_sum(nfc);
  unwritten = warp_sum(unwritten);
  baseUnwritten = warp_sum(baseUnwritten);
  maxAbs = warp_max(maxAbs);
  maxRel = warp_max(maxRel);
  firstFail = warp_min(firstFail);
  firstUnwritten = warp_min(firstUnwritten);
  if ((threadIdx.x & 31) == 0) {
    if (failures) atomicAdd(&out->failures, failures);
    if (nfb) atomicAdd(&out->nonFiniteBaseline, nfb);
    if (nfc) atomicAdd(&out->nonFiniteCandidate, nfc);
    if (unwritten) atomicAdd(&out->unwritten, unwritten);
    if (baseUnwritten) atomicAdd(&out->baselineUnwritten, baseUnwritten);
    atomicMax(&out->maxAbsErrBits, maxAbs);
    atomicMax(&out->maxRelErrBits, maxRel);
    atomicMin(&out->firstFailure, firstFail);
    atomicMin(&out->firstUnwritten, firstUnwritten);
  }
}

// The weak-spec probe: the reference against a constant (values == nullptr) or against another buffer's values
// converted to double, as bench/elementwise.ts trivialPasses compares numbers.
template <class T>
__global__ void kp_trivial_kernel(const double* values, double constant, const T* reference, long long n, double atol, double rtol, CompareCounts* out) {
  unsigned long long failures = 0;
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) {
    const double t = values ? values[i] : constant;
    if (compare_element<double>(as_double(reference[i]), t, atol, rtol).why != WhyNone) failures++;
  }
  failures = warp_sum(failures);
  if ((threadIdx.x & 31) == 0 && failures) atomicAdd(&out->failures, failures);
}

template <class T> __global__ void kp_to_double_kernel(const T* in, double* out, long long n) {
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) out[i] = as_double(in[i]);
}

template <class T> __global__ void kp_sum_finite_kernel(const T* in, long long n, double* out) {
  double sum = 0, count = 0;
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) {
    const double v = as_double(in[i]);
    if (isfinite(v)) {
      sum += v;
      count += 1;
    }
  }
  sum = warp_dsum(sum);
  count = warp_dsum(count);
  if ((threadIdx.x & 31) == 0) {
    atomicAdd(&out[0], sum);
    atomicAdd(&out[1], count);
  }
}

template <class W> __global__ void kp_bitdiff_kernel(const W* a, const W* b, long long n, unsigned long long* out) {
  unsigned long long count = 0, first = ~0ULL;
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) {
    if (a[i] != b[i]) {
      count++;
      first = min(first, static_cast<unsigned long long>(i));
    }
  }
  count = warp_sum(count);
  first = warp_min(first);
  if ((threadIdx.x & 31) == 0) {
    if (count) atomicAdd(&out[0], count);
    atomicMin(&out[1], first);
  }
}

__global__ void kp_flush_read_kernel(const uint4* p, unsigned long long n, unsigned* sink) {
  unsigned acc = 0;
  for (unsigned long long i = blockIdx.x * 256ULL + threadIdx.x; i < n; i += 256ULL * gridDim.x) {
    const uint4 v = p[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) *sink = acc;  // Almost never true: only so the reads cannot be dropped.
}

// Calls f(T{}) with the element type of a dtype.
template <class F> void with_type(int dtype, F&& f) {
  switch (dtype) {
    case Float32: return f(float{});
    case Float16: return f(__half{});
    case BFloat16: return f(__nv_bfloat16{});
    case Float64: return f(double{});
    case Int8: return f(int8_t{});
    case UInt8: return f(uint8_t{});
    case Int16: return f(int16_t{});
    case Int32: return f(int32_t{});
    case UInt32: return f(uint32_t{});
    case Int64: return f(int64_t{});
    case UInt64: return f(uint64_t{});
    case Bool: return f(bool{});
    default: fail("args", "unknown dtype code " + std::to_string(dtype));
  }
}

}  // namespace

uint64_t own_operations() { return g_ownOperations; }
void count_own_operation() { ++g_ownOperations; }

void fill_buffer(void* dev, long long n, const BufferArg& b, uint64_t seed) {
  const uint64_t base = stream_base(seed, static_cast<uint64_t>(b.argIndex));
  with_type(b.dtype, [&](auto zero) {
    using T = decltype(zero);
    kp_fill_kernel<T><<<blocks_for(n), 256>>>(static_cast<T*>(dev), n, b.dist, b.a, b.b, base);
  });
  launched("fill");
}

void flush_read(const void* dev, size_t bytes, unsigned* sink) {
  const unsigned long long n = bytes / sizeof(uint4);
  kp_flush_read_kernel<<<blocks_for(static_cast<long long>(n)), 256>>>(static_cast<const uint4*>(dev), n, sink);
  launched("L2 flush");
}

void poison_buffer(void* dev, size_t bytes, unsigned poison) {
  check(cudaMemsetAsync(dev, static_cast<int>(poison & 0xff), bytes, 0), "copy", "cudaMemsetAsync (poison)");
  count_own_operation();
}

void checksum_buffer(const void* dev, size_t bytes, uint64_t* result) {
  kp_checksum_kernel<<<blocks_for(static_cast<long long>(bytes / 8) + 1), 256>>>(static_cast<const unsigned char*>(dev), bytes, reinterpret_cast<unsigned long long*>(result));
  launched("checksum");
}

void reset_counts(CompareCounts* dev) {
  CompareCounts zero;
  std::memset(&zero, 0, sizeof zero);
  zero.firstFailure = zero.firstUnwritten = ~0ULL;
  check(cudaMemcpy(dev, &zero, sizeof zero, cudaMemcpyHostToDevice), "copy", "cudaMemcpy (reset counts)");
  count_own_operation();
}

void compare_buffers(const BufferArg& b, const void* candidate, double constant, const void* reference, long long n, bool checkPoison, CompareCounts* out) {
  with_type(b.dtype, [&](auto zero) {
    using T = decltype(zero);
    if (candidate) {
      kp_compare_kernel<T><<<blocks_for(n), 256>>>(static_cast<const T*>(candidate), static_cast<const T*>(reference), n, b.atol, b.rtol, checkPoison, b.poison, out);
    } else {
      kp_trivial_kernel<T><<<blocks_for(n), 256>>>(nullptr, constant, static_cast<const T*>(reference), n, b.atol, b.rtol, out);
    }
  });
  launched("compare");
}

void compare_values(const BufferArg& b, const double* values, const void* reference, long long n, CompareCounts* out) {
  with_type(b.dtype, [&](auto zero) {
    using T = decltype(zero);
    kp_trivial_kernel<T><<<blocks_for(n), 256>>>(values, 0.0, static_cast<const T*>(reference), n, b.atol, b.rtol, out);
  });
  launched("compare");
}

void to_double(const BufferArg& b, const void* dev, long long n, double* out) {
  with_type(b.dtype, [&](auto zero) {
    using T = decltype(zero);
    kp_to_double_kernel<T><<<blocks_for(n), 256>>>(static_cast<const T*>(dev), out, n);
  });
  launched("convert");
}

void sum_finite(const BufferArg& b, const void* dev, long long n, double* sumAndCount) {
  with_type(b.dtype, [&](auto zero) {
    using T = decltype(zero);
    kp_sum_finite_kernel<T><<<blocks_for(n), 256>>>(static_cast<const T*>(dev), n, sumAndCount);
  });
  launched("sum");
}

void bitwise_diff(const void* a, const void* b, long long n, size_t elemSize, unsigned long long* countAndFirst) {
  switch (elemSize) {
    case 1: kp_bitdiff_kernel<uint8_t><<<blocks_for(n), 256>>>(static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b), n, countAndFirst); break;
    case 2: kp_bitdiff_kernel<uint16_t><<<blocks_for(n), 256>>>(static_cast<const uint16_t*>(a), static_cast<const uint16_t*>(b), n, countAndFirst); break;
    case 4: kp_bitdiff_kernel<uint32_t><<<blocks_for(n), 256>>>(static_cast<const uint32_t*>(a), static_cast<const uint32_t*>(b), n, countAndFirst); break;
    default: kp_bitdiff_kernel<uint64_t><<<blocks_for(n), 256>>>(static_cast<const uint64_t*>(a), static_cast<const uint64_t*>(b), n, countAndFirst); break;
  }
  launched("bitwise comparison");
}

std::string element_text(const BufferArg& b, const void* dev, long long index) {
  unsigned char bytes[8] = {0};
  check(cudaMemcpy(bytes, static_cast<const unsigned char*>(dev) + index * b.elemSize, b.elemSize, cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (element)");
  count_own_operation();
  std::string text;
  with_type(b.dtype, [&](auto zero) {
    using T = decltype(zero);
    T v;
    std::memcpy(&v, bytes, sizeof(T));
    if constexpr (std::is_integral<T>::value && sizeof(T) == 8) {
      text = json_str(std::to_string(v));  // Beyond 2^53 a JSON number would round.
    } else {
      const double d = as_double(v);
      text = std::isnan(d) ? json_str("NaN") : std::isinf(d) ? json_str(d > 0 ? "Infinity" : "-Infinity") : json_num(d);
    }
  });
  return text;
}

}  // namespace kp
