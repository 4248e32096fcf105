// ===================== KernelPilot gate runtime: its parts' interfaces =====================
// The gate runtime is one executable, built once per GPU architecture, compiler and host flags, that holds
// everything that checks and times: kp_gate.cu (command line, modes, JSON events), kp_device.cu (the fill,
// checksum and comparison kernels), kp_timing.cu (kernel-only timing through CUPTI, CUDA events where CUPTI
// cannot work), kp_loader.cpp (loading kernel versions, and noting the device variables each one registers).
// Nothing here is compiled into a kernel version: a version's macros and code never reach it.
#pragma once
#include "kp_version.cuh"

#include <cstdint>
#include <string>
#include <vector>

namespace kp {

// ---------------------------------------------------------------- errors and JSON

// Prints one {"kind":"error",...} line and exits 1. stage: device, alloc, copy, launch, sync, io, args, load.
[[noreturn]] void fail(const char* stage, cudaError_t err, const std::string& message);
[[noreturn]] void fail(const char* stage, const std::string& message);
void check(cudaError_t err, const char* stage, const char* what);
// What the runtime is doing, for error reports: "check seed 12 at n=1000", "timed pair 17".
void set_doing(const std::string& what);

std::string json_str(const std::string& s);
std::string json_num(double v);
std::string json_int(long long v);
std::string json_u64(uint64_t v);
std::string hex64(uint64_t v);
void member(std::string& body, const std::string& key, const std::string& value);
void item(std::string& body, const std::string& value);
// Prints one event line {"kind":KIND,...body}; every line is flushed at once, so a crash keeps what came before.
void emit(const char* kind, const std::string& body);

// ---------------------------------------------------------------- device

struct Device {
  cudaDeviceProp prop;
  int driverVersion = 0;
  int runtimeVersion = 0;
};
Device open_device();
std::string device_json(const Device& d);
void* device_alloc(size_t bytes, const std::string& what);

// ---------------------------------------------------------------- kernel versions

struct DeviceVariable {
  std::string name;  // As the module names it (mangled).
  const void* hostShadow;
  size_t bytes;
  bool managed;
};

struct Version {
  std::string role;  // "baseline" or "candidate"
  std::string path;
  const VersionTable* table = nullptr;
  // Writable device variables the version's module registered (__device__ and __managed__, not __constant__).
  std::vector<DeviceVariable> variables;
};

// dlopens the shared object with RTLD_LOCAL (two versions may define the same kernel and variable names) and
// checks its table against this runtime's ABI.
Version load_version(const std::string& role, const std::string& path);
// A kernel version's interface must match the baseline's: the same buffers in the same order and dtypes.
void check_same_buffers(const Version& baseline, const Version& candidate);

// ---------------------------------------------------------------- device work (kp_device.cu)

// Fills `n` elements of buffer `b` from the seeded counter-based PRNG: element i's value depends only on
// (seed, b.argIndex, i), so the baseline's and the candidate's copies of an inout get the same values.
void fill_buffer(void* dev, long long n, const BufferArg& b, uint64_t seed);
void poison_buffer(void* dev, size_t bytes, unsigned poison);
// An order-independent 64-bit digest of the bytes (mixed per 8-byte word and position, then summed), into
// *result (device memory, accumulated: zero it first).
void checksum_buffer(const void* dev, size_t bytes, uint64_t* result);

// Counts of one comparison of a candidate's output with the reference, in device memory (all 64-bit so
// atomics apply). The maxima are the bit patterns of non-negative doubles, which order like the doubles.
struct CompareCounts {
  unsigned long long failures, nonFiniteBaseline, nonFiniteCandidate, unwritten, baselineUnwritten;
  unsigned long long maxAbsErrBits, maxRelErrBits;
  unsigned long long firstFailure, firstUnwritten;  // ~0ULL when none.
};
void reset_counts(CompareCounts* dev);
// candidate == nullptr compares with the constant `constant` instead (the weak-spec probe: would a constant
// output pass?). checkPoison: a pure output, poisoned before the launch.
void compare_buffers(const BufferArg& b, const void* candidate, double constant, const void* reference, long long n, bool checkPoison, CompareCounts* out);
// The weak-spec probe against another buffer: `values` (device doubles, see to_double) against the reference.
void compare_values(const BufferArg& reference, const double* values, const void* referenceDev, long long n, CompareCounts* out);
void to_double(const BufferArg& b, const void* dev, long long n, double* out);
// Sum and count of the finite elements (the constant a "write the mean" output would hold).
void sum_finite(const BufferArg& b, const void* dev, long long n, double* sumAndCount);
// Elements whose bytes differ, and the first of them.
void bitwise_diff(const void* a, const void* b, long long n, size_t elemSize, unsigned long long* countAndFirst);
// Reads element `index` of a buffer as the text JavaScript would print for it (for the first failing element).
std::string element_text(const BufferArg& b, const void* dev, long long index);

// Reads `bytes` of `dev` (a sum goes to *sink, so the reads stay): leaves L2 holding clean lines of it.
void flush_read(const void* dev, size_t bytes, unsigned* sink);

// GPU operations this runtime issued itself (launches, memsets, copies), so the timing module can tell them from
// work nobody here asked for.
uint64_t own_operations();
void count_own_operation();

// ---------------------------------------------------------------- timing (kp_timing.cu)

struct Window {
  uint64_t begin = 0, launched = 0, end = 0;  // Host timestamps (ns), on CUPTI's clock when CUPTI is on.
  double eventMs = 0;                         // The events method's reading.
};

struct Span {
  double kernelMs = 0;  // First to last GPU activity that started inside the window, any stream.
  double launchMs = 0;  // Host time inside the launch call: what a caller pays per call.
  double wallMs = 0;    // Host time from before the launch to the end of a whole-device synchronize.
  int activities = 0;   // Kernels, copies and memsets that started inside the window.
  int streams = 0;      // Distinct streams they ran on.
};

class Timer {
 public:
  // Tries CUPTI's activity records; where they cannot work (no libcupti, a profiler already attached, a
  // sandbox) it times with CUDA events and says why in note().
  explicit Timer(bool allowCupti);
  ~Timer();
  const char* method() const;  // "cupti-activity" or "cuda-events"
  const std::string& note() const { return note_; }
  // One timed window: begin(), the launch, launched(), then end() synchronizes the whole device.
  void begin(Window& w);
  void launched(Window& w);
  void end(Window& w);
  // Turns windows into spans (flushes CUPTI's buffers first). Also counts activities that started outside every
  // window given since the last resolve() and beyond what this runtime issued itself there (`unaccounted`).
  std::vector<Span> resolve(const std::vector<Window>& windows, long long* unaccounted);

 private:
  bool cupti_ = false;
  std::string note_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  uint64_t ownAtResolve_ = 0;
};

}  // namespace kp
