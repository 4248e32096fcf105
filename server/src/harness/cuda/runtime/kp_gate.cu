// ===================== KernelPilot gate runtime: modes and events =====================
// One process per job step, baseline and candidate side by side (server/src/harness/protocol.ts is the contract):
//   kp_gate describe VERSION.so ...         the versions' tables and device variables (no GPU needed)
//   kp_gate ceilings                        copy and FMA ceilings, timed like every kernel
//   kp_gate baseline --version B.so ...     the baseline alone: sanity and weak-spec checks, then timed samples
//   kp_gate evaluate --baseline B.so --candidate C.so ...
//        checks on fresh seeds and at the sweep sizes, then interleaved timed pairs in which EVERY candidate
//        launch is verified; stops at the first problem, so a rejected candidate is never timed further.
// Options: --seeds A,B,C  --sweep 'n=1000,m=8;n=3'  --size NAME=VALUE  --time-seed S  --warmup W
//          --iters N (baseline) --pairs N (evaluate)  --sets K  --no-time  --timing cupti|events
// Output: JSON event lines, each {"kind":...} (the last is "end", or "error" with exit code 1).
#include "kp_gate.cuh"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace kp {

// ---------------------------------------------------------------- JSON and errors

namespace {
std::string g_doing = "starting";
}

void set_doing(const std::string& what) { g_doing = what; }

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN or Infinity.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string json_int(long long v) { return std::to_string(v); }
std::string json_u64(uint64_t v) { return std::to_string(v); }

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void member(std::string& body, const std::string& key, const std::string& value) {
  if (!body.empty()) body += ",";
  body += json_str(key) + ":" + value;
}

void item(std::string& body, const std::string& value) {
  if (!body.empty()) body += ",";
  body += value;
}

// Each event goes on a fresh line: device printf output without a trailing newline must not glue onto it.
void emit(const char* kind, const std::string& body) {
  std::fflush(stdout);
  std::printf("\n{\"kind\":%s%s%s}\n", json_str(kind).c_str(), body.empty() ? "" : ",", body.c_str());
  std::fflush(stdout);
}

void fail(const char* stage, cudaError_t err, const std::string& message) {
  std::string body;
  member(body, "stage", json_str(stage));
  if (err != cudaSuccess) member(body, "cudaError", json_str(cudaGetErrorName(err)));
  member(body, "message", json_str(message));
  member(body, "doing", json_str(g_doing));
  emit("error", body);
  std::exit(1);
}

void fail(const char* stage, const std::string& message) { fail(stage, cudaSuccess, message); }

void check(cudaError_t err, const char* stage, const char* what) {
  if (err != cudaSuccess) fail(stage, err, std::string(what) + " failed: " + cudaGetErrorString(err));
}

// ---------------------------------------------------------------- device

Device open_device() {
  Device d;
  cudaDriverGetVersion(&d.driverVersion);  // Works without a device; 0 means no driver.
  cudaRuntimeGetVersion(&d.runtimeVersion);
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) fail("device", err, std::string("no usable CUDA device: cudaGetDeviceCount failed: ") + cudaGetErrorString(err));
  if (count == 0) fail("device", cudaErrorNoDevice, "no CUDA device: cudaGetDeviceCount returned 0");
  // Device 0 of what CUDA_VISIBLE_DEVICES exposes: the target picks the GPU, not the runtime.
  check(cudaSetDevice(0), "device", "cudaSetDevice(0)");
  check(cudaGetDeviceProperties(&d.prop, 0), "device", "cudaGetDeviceProperties");
  check(cudaFree(nullptr), "device", "creating the CUDA context");  // Outside any measurement.
  return d;
}

std::string device_json(const Device& d) {
  std::string body;
  member(body, "name", json_str(d.prop.name));
  member(body, "computeCapability", json_str(std::to_string(d.prop.major) + "." + std::to_string(d.prop.minor)));
  member(body, "smCount", json_int(d.prop.multiProcessorCount));
  member(body, "l2Bytes", json_int(d.prop.l2CacheSize));
  member(body, "globalMemBytes", json_int(static_cast<long long>(d.prop.totalGlobalMem)));
  member(body, "driverVersion", json_int(d.driverVersion));
  member(body, "runtimeVersion", json_int(d.runtimeVersion));
  return "{" + body + "}";
}

void* device_alloc(size_t bytes, const std::string& what) {
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, bytes ? bytes : 1);
  if (err != cudaSuccess) fail("alloc", err, "cudaMalloc of " + std::to_string(bytes) + " bytes for " + what + " failed: " + cudaGetErrorString(err));
  return p;
}

namespace {

void device_free(void* p) {
  if (p) check(cudaFree(p), "alloc", "cudaFree");
}

// ---------------------------------------------------------------- command line

typedef std::vector<std::pair<std::string, long long>> SizePoint;

struct Options {
  std::string mode;
  std::vector<std::string> versions;  // describe
  std::string baseline, candidate;
  std::vector<long long> seeds;
  std::vector<SizePoint> sweep;
  SizePoint sizes;  // --size: overrides of the spec's defaults, for everything this run does
  long long timeSeed = 1, warmup = 3, iters = 50, pairs = 50, sets = 2;
  bool time = true;
  bool cupti = true;
};

long long parse_int(const std::string& flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') fail("args", flag + " expects an integer, got '" + text + "'");
  return v;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= text.size()) {
    size_t to = text.find(sep, from);
    if (to == std::string::npos) to = text.size();
    out.push_back(text.substr(from, to - from));
    from = to + 1;
  }
  return out;
}

SizePoint parse_point(const std::string& flag, const std::string& text) {
  SizePoint point;
  for (const std::string& kv : split(text, ',')) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) fail("args", flag + " expects NAME=VALUE[,NAME=VALUE...], got '" + text + "'");
    point.push_back({kv.substr(0, eq), parse_int(flag + " " + kv.substr(0, eq), kv.substr(eq + 1))});
  }
  return point;
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (argc < 2) fail("args", std::string("usage: ") + argv[0] + " describe|ceilings|baseline|evaluate [options] (see kp_gate.cu)");
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail("args", flag + " needs a value");
      return argv[++i];
    };
    if (o.mode == "describe" && flag.rfind("--", 0) != 0) o.versions.push_back(flag);
    else if (flag == "--version" || flag == "--baseline") o.baseline = value();
    else if (flag == "--candidate") o.candidate = value();
    else if (flag == "--seeds") {
      for (const std::string& s : split(value(), ',')) o.seeds.push_back(parse_int("--seeds", s));
    } else if (flag == "--sweep") {
      std::string all = value();
      if (!all.empty())
        for (const std::string& p : split(all, ';')) o.sweep.push_back(parse_point("--sweep", p));
    } else if (flag == "--size") {
      for (auto& kv : parse_point("--size", value())) o.sizes.push_back(kv);
    } else if (flag == "--time-seed") o.timeSeed = parse_int(flag, value());
    else if (flag == "--warmup") o.warmup = parse_int(flag, value());
    else if (flag == "--iters") o.iters = parse_int(flag, value());
    else if (flag == "--pairs") o.pairs = parse_int(flag, value());
    else if (flag == "--sets") o.sets = parse_int(flag, value());
    else if (flag == "--no-time") o.time = false;
    else if (flag == "--timing") {
      std::string t = value();
      if (t != "cupti" && t != "events") fail("args", "--timing expects cupti or events, got '" + t + "'");
      o.cupti = t == "cupti";
    } else {
      fail("args", "unknown option '" + flag + "'");
    }
  }
  if (o.mode != "describe" && o.mode != "ceilings" && o.mode != "baseline" && o.mode != "evaluate") {
    fail("args", "unknown mode '" + o.mode + "': expected describe, ceilings, baseline or evaluate");
  }
  if ((o.mode == "baseline" || o.mode == "evaluate") && o.baseline.empty()) fail("args", o.mode + " needs --baseline (or --version) FILE.so");
  if (o.mode == "evaluate" && o.candidate.empty()) fail("args", "evaluate needs --candidate FILE.so");
  if ((o.mode == "baseline" || o.mode == "evaluate") && o.seeds.empty()) fail("args", o.mode + " needs --seeds A,B,C");
  if (o.warmup < 0 || o.iters < 1 || o.pairs < 1 || o.sets < 1) fail("args", "--warmup must be >= 0, --iters, --pairs and --sets >= 1");
  return o;
}

// ---------------------------------------------------------------- problems

std::vector<long long> sizes_for(const VersionTable& t, const SizePoint& base, const SizePoint& point) {
  std::vector<long long> sizes(static_cast<size_t>(t.sizeCount));
  for (int s = 0; s < t.sizeCount; ++s) sizes[s] = t.sizes[s].value;
  for (const SizePoint* layer : {&base, &point}) {
    for (const auto& kv : *layer) {
      int found = -1;
      for (int s = 0; s < t.sizeCount; ++s)
        if (kv.first == t.sizes[s].name) found = s;
      if (found < 0) fail("args", "'" + kv.first + "' is not a size variable of this spec");
      sizes[found] = kv.second;
    }
  }
  return sizes;
}

std::string sizes_json(const VersionTable& t, const std::vector<long long>& sizes) {
  std::string body;
  for (int s = 0; s < t.sizeCount; ++s) member(body, t.sizes[s].name, json_int(sizes[s]));
  return "{" + body + "}";
}

std::string sizes_text(const VersionTable& t, const std::vector<long long>& sizes) {
  std::string text;
  for (int s = 0; s < t.sizeCount; ++s) text += (s ? ", " : "") + std::string(t.sizes[s].name) + "=" + std::to_string(sizes[s]);
  return text.empty() ? "the default sizes" : text;
}

void check_launch_shape(const Version& v, const Problem& p) {
  const long long gridMax[3] = {2147483647LL, 65535, 65535};
  const char* axes = "xyz";
  const std::string who = "the " + v.role + "'s launch: ";
  for (int d = 0; d < 3; ++d) {
    if (p.grid[d] < 1 || p.grid[d] > gridMax[d])
      fail("args", who + "grid." + axes[d] + " evaluated to " + std::to_string(p.grid[d]) + "; it must be in [1, " + std::to_string(gridMax[d]) + "]");
    if (p.block[d] < 1 || p.block[d] > 1024) fail("args", who + "block." + axes[d] + " evaluated to " + std::to_string(p.block[d]) + "; it must be in [1, 1024]");
  }
  if (p.block[0] * p.block[1] * p.block[2] > 1024) fail("args", who + "the block has more than 1024 threads");
  if (p.smem < 0) fail("args", who + "sharedMem evaluated to a negative number");
}

Problem describe(const Version& v, const std::vector<long long>& sizes) {
  Problem p;
  std::memset(&p, 0, sizeof p);
  v.table->describe(sizes.data(), &p);
  for (int i = 0; i < v.table->bufferCount; ++i) {
    if (p.elements[i] <= 0) fail("args", std::string("'") + v.table->buffers[i].name + "' has " + std::to_string(p.elements[i]) + " elements; extents must be positive");
  }
  check_launch_shape(v, p);
  if (v.table->setup) {
    cudaError_t err = v.table->setup(&p);
    if (err != cudaSuccess) fail("launch", err, "the " + v.role + "'s shared-memory opt-in failed: " + cudaGetErrorString(err));
  }
  return p;
}

size_t bytes_of(const VersionTable& t, const Problem& p, int i) { return static_cast<size_t>(p.elements[i]) * static_cast<size_t>(t.buffers[i].elemSize); }

std::string ptr_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

// ---------------------------------------------------------------- buffers

// One set of buffers: inputs shared by both sides (a digest proves the candidate left them alone), outputs and
// inouts per side, so the reference is computed into memory the candidate never saw written.
struct BufferSet {
  std::vector<void*> candidate, baseline;  // In buffer order; inputs appear in both.
  std::vector<void*> keep;                 // A copy of the candidate's outputs, for the repeat (determinism) check.
};

BufferSet alloc_set(const VersionTable& t, const Problem& p, bool withBaseline, bool withKeep) {
  BufferSet s;
  for (int i = 0; i < t.bufferCount; ++i) {
    const BufferArg& b = t.buffers[i];
    const size_t bytes = bytes_of(t, p, i);
    void* own = device_alloc(bytes, std::string("'") + b.name + "'");
    s.candidate.push_back(own);
    s.baseline.push_back(b.role == RoleInput ? own : withBaseline ? device_alloc(bytes, std::string("the reference '") + b.name + "'") : nullptr);
    s.keep.push_back(withKeep && b.role != RoleInput ? device_alloc(bytes, std::string("the repeat copy of '") + b.name + "'") : nullptr);
  }
  return s;
}

void free_set(const VersionTable& t, BufferSet& s) {
  for (int i = 0; i < t.bufferCount; ++i) {
    if (t.buffers[i].role != RoleInput) device_free(s.baseline[i]);
    device_free(s.candidate[i]);
    device_free(s.keep[i]);
  }
  s = BufferSet{};
}

// Before a side's launch: fresh values into the inputs (when asked) and that side's inouts, poison over its outputs.
void prepare_side(const VersionTable& t, const Problem& p, const std::vector<void*>& ptrs, uint64_t seed, bool fillInputs) {
  for (int i = 0; i < t.bufferCount; ++i) {
    const BufferArg& b = t.buffers[i];
    if (b.role == RoleOutput) poison_buffer(ptrs[i], bytes_of(t, p, i), b.poison);
    else if (b.role == RoleInout || fillInputs) fill_buffer(ptrs[i], p.elements[i], b, seed);
  }
}

// Digests of the pure inputs, read back to the host (the read also waits for everything queued before it).
std::vector<uint64_t> input_digests(const VersionTable& t, const Problem& p, const std::vector<void*>& ptrs, uint64_t* scratch) {
  std::vector<uint64_t> out(static_cast<size_t>(t.bufferCount), 0);
  check(cudaMemsetAsync(scratch, 0, sizeof(uint64_t) * kMaxArgs, 0), "copy", "cudaMemsetAsync (digests)");
  count_own_operation();
  for (int i = 0; i < t.bufferCount; ++i)
    if (t.buffers[i].role == RoleInput) checksum_buffer(ptrs[i], bytes_of(t, p, i), scratch + i);
  check(cudaMemcpy(out.data(), scratch, sizeof(uint64_t) * t.bufferCount, cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (digests)");
  count_own_operation();
  return out;
}

// ---------------------------------------------------------------- launching

void launch_timed(const Version& v, const Problem& p, const std::vector<void*>& ptrs, Timer& timer, Window& w) {
  timer.begin(w);
  cudaError_t err = v.table->launch(&p, ptrs.data());
  timer.launched(w);
  if (err != cudaSuccess) {
    char shape[160];
    std::snprintf(shape, sizeof shape, "<<<(%lld,%lld,%lld), (%lld,%lld,%lld), %lld>>>", p.grid[0], p.grid[1], p.grid[2], p.block[0], p.block[1], p.block[2], p.smem);
    fail("launch", err, "launching the " + v.role + " " + v.table->kernel + shape + " failed: " + cudaGetErrorString(err));
  }
  timer.end(w);
}

// Bytes written before each timed launch to push earlier data out of L2: twice the L2, at least 64 MiB.
size_t l2_flush_bytes(const Device& d) {
  size_t l2 = static_cast<size_t>(std::max(d.prop.l2CacheSize, 0));
  return std::max<size_t>(2 * l2, size_t(64) << 20);
}

// A persisting-L2 carve-out would keep a kernel's data in L2 through the flush: allow none, and turn lines a
// kernel marked persisting back into normal ones before each flush. Devices without the feature say so.
bool unsupported(cudaError_t err) {
  if (err != cudaErrorNotSupported && err != cudaErrorUnsupportedLimit) return false;
  cudaGetLastError();
  return true;
}

// Before every timed launch: write 2x the L2 (dirty data from the fills and the previous launch goes back to
// memory), then read the same bytes (L2 ends up holding clean lines only, so the timed kernel never pays for
// someone else's write-backs). Measured on an H200 (bench/results/gate-2026-11-28-h200-run2): against ncu's
// gpu__time_duration, a write-only flush left vector_add 8-14 % slow at 2^24-2^26, write-then-read 6.5 %. That
// 6.5 % was CUPTI instrumenting the kernel (kp_timing.cu), not L2: ncu without its own cache control reads the same
// after this flush as with it (2^24: 58.1 vs 58.2 us; 2^26: 232.8 vs 232.8 us), and dropping L2's lines of the
// flush buffer afterwards (discard.global.L2) moved the kernel by < 0.5 % (bench/results/fidelity-2026-11-28).
struct Flush {
  void* scratch = nullptr;
  unsigned* sink = nullptr;
  size_t bytes = 0;
  explicit Flush(const Device& d) : bytes(l2_flush_bytes(d)) {
    scratch = device_alloc(bytes, "the L2 flush buffer");
    sink = static_cast<unsigned*>(device_alloc(sizeof(unsigned), "the L2 flush sink"));
    cudaError_t err = cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0);
    if (!unsupported(err)) check(err, "device", "cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0)");
    err = cudaCtxResetPersistingL2Cache();
    if (!unsupported(err)) check(err, "sync", "cudaCtxResetPersistingL2Cache()");
  }
  ~Flush() {
    cudaFree(scratch);
    cudaFree(sink);
  }
  void operator()(long long i) {
    check(cudaMemsetAsync(scratch, static_cast<int>(i & 0xff), bytes, 0), "copy", "cudaMemsetAsync (L2 flush)");
    count_own_operation();
    flush_read(scratch, bytes, sink);
    check(cudaDeviceSynchronize(), "sync", "cudaDeviceSynchronize before a timed launch");
  }
};

std::string span_json(const Span& s) {
  std::string body;
  member(body, "kernelMs", json_num(s.kernelMs));
  member(body, "launchMs", json_num(s.launchMs));
  member(body, "wallMs", json_num(s.wallMs));
  member(body, "activities", json_int(s.activities));
  member(body, "streams", json_int(s.streams));
  return "{" + body + "}";
}

// Per-sample series of one side, as the timing event carries them.
struct Series {
  std::string kernelMs, launchMs, wallMs, activities, streams;
  void add(const Span& s) {
    item(kernelMs, json_num(s.kernelMs));
    item(launchMs, json_num(s.launchMs));
    item(wallMs, json_num(s.wallMs));
    item(activities, json_int(s.activities));
    item(streams, json_int(s.streams));
  }
  std::string json() const {
    std::string body;
    member(body, "kernelMs", "[" + kernelMs + "]");
    member(body, "launchMs", "[" + launchMs + "]");
    member(body, "wallMs", "[" + wallMs + "]");
    member(body, "activities", "[" + activities + "]");
    member(body, "streams", "[" + streams + "]");
    return "{" + body + "}";
  }
};

// ---------------------------------------------------------------- comparing

struct Comparison {
  CompareCounts counts;
  std::string json;  // One output's entry in a check event.
  bool bad() const { return counts.failures > 0 || counts.unwritten > 0; }
};

double bits_double(unsigned long long bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Compares every output and inout of the candidate with the reference; counts come back to the host.
std::vector<Comparison> compare_outputs(const VersionTable& t, const Problem& p, const BufferSet& s, CompareCounts* dev) {
  std::vector<int> which;
  for (int i = 0; i < t.bufferCount; ++i)
    if (t.buffers[i].role != RoleInput) which.push_back(i);
  for (size_t k = 0; k < which.size(); ++k) {
    const int i = which[k];
    reset_counts(dev + k);
    compare_buffers(t.buffers[i], s.candidate[i], 0.0, s.baseline[i], p.elements[i], t.buffers[i].role == RoleOutput, dev + k);
  }
  std::vector<CompareCounts> host(which.size());
  check(cudaMemcpy(host.data(), dev, sizeof(CompareCounts) * which.size(), cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (comparison)");
  count_own_operation();
  std::vector<Comparison> out;
  for (size_t k = 0; k < which.size(); ++k) {
    const int i = which[k];
    const BufferArg& b = t.buffers[i];
    const CompareCounts& c = host[k];
    std::string body;
    member(body, "name", json_str(b.name));
    member(body, "elements", json_int(p.elements[i]));
    member(body, "failures", json_u64(c.failures));
    member(body, "nonFiniteBaseline", json_u64(c.nonFiniteBaseline));
    member(body, "nonFiniteCandidate", json_u64(c.nonFiniteCandidate));
    member(body, "maxAbsErr", json_num(bits_double(c.maxAbsErrBits)));
    member(body, "maxRelErr", json_num(bits_double(c.maxRelErrBits)));
    if (b.role == RoleOutput) {
      member(body, "unwritten", json_u64(c.unwritten));
      member(body, "baselineUnwritten", json_u64(c.baselineUnwritten));
      if (c.firstUnwritten != ~0ULL) member(body, "firstUnwritten", json_u64(c.firstUnwritten));
    }
    if (c.firstFailure != ~0ULL) {
      const long long at = static_cast<long long>(c.firstFailure);
      std::string first;
      member(first, "index", json_int(at));
      member(first, "baseline", element_text(b, s.baseline[i], at));
      member(first, "candidate", element_text(b, s.candidate[i], at));
      member(body, "first", "{" + first + "}");
    }
    out.push_back({c, "{" + body + "}"});
  }
  return out;
}

std::string inputs_json(const VersionTable& t, const std::vector<uint64_t>& before, const std::vector<uint64_t>& after, int* changed) {
  std::string body;
  *changed = 0;
  for (int i = 0; i < t.bufferCount; ++i) {
    if (t.buffers[i].role != RoleInput) continue;
    std::string one;
    member(one, "name", json_str(t.buffers[i].name));
    member(one, "before", json_str(hex64(before[i])));
    member(one, "after", json_str(hex64(after[i])));
    item(body, "{" + one + "}");
    if (before[i] != after[i]) ++*changed;
  }
  return "[" + body + "]";
}

// ---------------------------------------------------------------- device state of a version

struct Snapshot {
  std::vector<std::vector<unsigned char>> bytes;
};

constexpr size_t kSnapshotLimit = size_t(256) << 20;

Snapshot snapshot(const Version& v) {
  Snapshot s;
  size_t total = 0;
  for (const DeviceVariable& var : v.variables) {
    std::vector<unsigned char> data;
    if (total + var.bytes <= kSnapshotLimit) {
      data.resize(var.bytes);
      cudaError_t err;
      if (var.managed) {
        void* managed = *static_cast<void* const*>(var.hostShadow);
        err = managed ? cudaMemcpy(data.data(), managed, var.bytes, cudaMemcpyDefault) : cudaErrorInvalidSymbol;
      } else {
        err = cudaMemcpyFromSymbol(data.data(), var.hostShadow, var.bytes);
      }
      count_own_operation();
      if (err != cudaSuccess) {
        cudaGetLastError();
        data.clear();  // Unreadable: reported as not compared.
      }
      total += var.bytes;
    }
    s.bytes.push_back(std::move(data));
  }
  return s;
}

void emit_state(const Version& v, const char* phase, const Snapshot& before, const Snapshot& after) {
  std::string vars;
  for (size_t i = 0; i < v.variables.size(); ++i) {
    std::string one;
    member(one, "name", json_str(v.variables[i].name));
    member(one, "bytes", json_int(static_cast<long long>(v.variables[i].bytes)));
    member(one, "managed", v.variables[i].managed ? "true" : "false");
    const bool compared = !before.bytes[i].empty() && !after.bytes[i].empty();
    member(one, "compared", compared ? "true" : "false");
    if (compared) member(one, "changed", before.bytes[i] != after.bytes[i] ? "true" : "false");
    item(vars, "{" + one + "}");
  }
  std::string body;
  member(body, "role", json_str(v.role));
  member(body, "phase", json_str(phase));
  member(body, "variables", "[" + vars + "]");
  emit("state", body);
}

std::string variables_json(const Version& v) {
  std::string vars;
  for (const DeviceVariable& var : v.variables) {
    std::string one;
    member(one, "name", json_str(var.name));
    member(one, "bytes", json_int(static_cast<long long>(var.bytes)));
    member(one, "managed", var.managed ? "true" : "false");
    item(vars, "{" + one + "}");
  }
  return "[" + vars + "]";
}

// ---------------------------------------------------------------- mode: describe

int run_describe(const Options& o) {
  std::string versions;
  for (const std::string& path : o.versions) {
    Version v = load_version("kernel", path);
    const VersionTable& t = *v.table;
    std::string sizes, buffers;
    for (int s = 0; s < t.sizeCount; ++s) {
      std::string one;
      member(one, "name", json_str(t.sizes[s].name));
      member(one, "value", json_int(t.sizes[s].value));
      item(sizes, "{" + one + "}");
    }
    for (int i = 0; i < t.bufferCount; ++i) {
      const BufferArg& b = t.buffers[i];
      std::string one;
      member(one, "name", json_str(b.name));
      member(one, "role", json_int(b.role));
      member(one, "dtype", json_str(b.dtypeName));
      member(one, "argIndex", json_int(b.argIndex));
      member(one, "atol", json_num(b.atol));
      member(one, "rtol", json_num(b.rtol));
      item(buffers, "{" + one + "}");
    }
    std::string body;
    member(body, "path", json_str(path));
    member(body, "kernel", json_str(t.kernel));
    member(body, "launch", json_str(ptr_text(reinterpret_cast<const void*>(t.launch))));
    member(body, "sizes", "[" + sizes + "]");
    member(body, "buffers", "[" + buffers + "]");
    member(body, "variables", variables_json(v));
    item(versions, "{" + body + "}");
  }
  std::string body;
  member(body, "versions", "[" + versions + "]");
  emit("describe", body);
  emit("end", "");
  return 0;
}

// ---------------------------------------------------------------- mode: ceilings

// The ceilings are upper bounds (a time that beats them is called impossible), so each is the BEST of several
// ways to move the bytes: a copy kernel at several grid sizes and the runtime's device-to-device copy. Memory read
// more than written streams faster than a pure copy on HBM, so a 2-read/1-write kernel is measured beside it.
// They are timed exactly like every kernel version (Timer), so no honest kernel lands above 100 %.

__global__ void kp_copy_kernel(const float4* __restrict__ src, float4* __restrict__ dst, size_t n) {
  size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {
    float4 a = src[i], b = src[i + stride], c = src[i + 2 * stride], d = src[i + 3 * stride];
    dst[i] = a;
    dst[i + stride] = b;
    dst[i + 2 * stride] = c;
    dst[i + 3 * stride] = d;
  }
  for (; i < n; i += stride) dst[i] = src[i];
}

__global__ void kp_triad_kernel(const float4* __restrict__ a, const float4* __restrict__ b, float4* __restrict__ c, size_t n) {
  size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + stride < n; i += 2 * stride) {
    float4 x0 = a[i], y0 = b[i], x1 = a[i + stride], y1 = b[i + stride];
    c[i] = make_float4(x0.x + y0.x, x0.y + y0.y, x0.z + y0.z, x0.w + y0.w);
    c[i + stride] = make_float4(x1.x + y1.x, x1.y + y1.y, x1.z + y1.z, x1.w + y1.w);
  }
  for (; i < n; i += stride) {
    float4 x = a[i], y = b[i];
    c[i] = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
  }
}

// FP32 FMA throughput: 8 independent chains per thread hide the latency; the operands are kernel arguments and
// the result is stored under a condition the host never meets, so nothing folds away.
constexpr int kFmaChains = 8;
constexpr int kFmaSteps = 4096;
__global__ void kp_fma_kernel(float m, float c, float never, float* out) {
  float acc[kFmaChains];
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) acc[j] = threadIdx.x * 1e-3f + j;
#pragma unroll 16
  for (int s = 0; s < kFmaSteps; ++s) {
#pragma unroll
    for (int j = 0; j < kFmaChains; ++j) acc[j] = fmaf(acc[j], m, c);
  }
  float sum = 0;
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) sum += acc[j];
  if (sum == never) out[0] = sum;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median kernel time of `launch`, timed like any version (2 warm-ups, 15 samples).
double median_ms(Timer& timer, const std::function<void()>& launch) {
  std::vector<Window> windows;
  for (int i = 0; i < 17; ++i) {
    Window w;
    timer.begin(w);
    launch();
    count_own_operation();
    timer.launched(w);
    check(cudaGetLastError(), "launch", "a ceilings kernel");
    timer.end(w);
    if (i >= 2) windows.push_back(w);
  }
  std::vector<Span> spans = timer.resolve(windows, nullptr);
  std::vector<double> ms;
  for (const Span& s : spans) ms.push_back(s.kernelMs);
  return median(ms);
}

int run_ceilings(const Device& dev, Timer& timer) {
  set_doing("measuring the ceilings");
  size_t freeBytes = 0, totalBytes = 0;
  check(cudaMemGetInfo(&freeBytes, &totalBytes), "alloc", "cudaMemGetInfo");
  size_t bytes = std::min<size_t>(size_t(1) << 30, freeBytes / 5) & ~size_t(15);
  void* a = device_alloc(bytes, "the first bandwidth buffer");
  void* b = device_alloc(bytes, "the second bandwidth buffer");
  void* c = device_alloc(bytes, "the third bandwidth buffer");
  check(cudaMemset(a, 0x3c, bytes), "copy", "cudaMemset");
  check(cudaMemset(b, 0x3d, bytes), "copy", "cudaMemset");
  count_own_operation();
  count_own_operation();
  size_t n4 = bytes / 16;
  const float4* a4 = static_cast<const float4*>(a);
  const float4* b4 = static_cast<const float4*>(b);
  float4* c4 = static_cast<float4*>(c);

  std::string variants;
  double bestCopy = 0;
  auto copyVariant = [&](const std::string& name, double ms) {
    double rate = 2.0 * static_cast<double>(bytes) / (ms * 1e-3);
    member(variants, name, json_num(rate));
    bestCopy = std::max(bestCopy, rate);
  };
  for (int perSm : {4, 8, 16, 32}) {
    int blocks = dev.prop.multiProcessorCount * perSm;
    copyVariant("kernel-" + std::to_string(perSm) + "-blocks-per-sm", median_ms(timer, [&] { kp_copy_kernel<<<blocks, 256>>>(a4, c4, n4); }));
  }
  copyVariant("cudaMemcpy", median_ms(timer, [&] { check(cudaMemcpyAsync(c, a, bytes, cudaMemcpyDeviceToDevice, 0), "copy", "cudaMemcpyAsync"); }));
  double bestTriad = 0;
  for (int perSm : {8, 16}) {
    int blocks = dev.prop.multiProcessorCount * perSm;
    double ms = median_ms(timer, [&] { kp_triad_kernel<<<blocks, 256>>>(a4, b4, c4, n4); });
    bestTriad = std::max(bestTriad, 3.0 * static_cast<double>(bytes) / (ms * 1e-3));
  }
  device_free(a);
  device_free(b);
  device_free(c);

  float* out = static_cast<float*>(device_alloc(sizeof(float), "the FMA output"));
  int fmaBlocks = dev.prop.multiProcessorCount * 16;
  double fmaMs = median_ms(timer, [&] { kp_fma_kernel<<<fmaBlocks, 256>>>(0.999f, 1e-3f, -1.0f, out); });
  device_free(out);
  double flops = 2.0 * kFmaChains * kFmaSteps * static_cast<double>(fmaBlocks) * 256;

  std::string body;
  member(body, "device", device_json(dev));
  member(body, "method", json_str(timer.method()));
  member(body, "copyBytesPerSecond", json_num(bestCopy));
  member(body, "fp32FlopsPerSecond", json_num(flops / (fmaMs * 1e-3)));
  member(body, "readWrite21BytesPerSecond", json_num(bestTriad));
  member(body, "copyVariants", "{" + variants + "}");
  member(body, "copyBytes", json_int(static_cast<long long>(bytes)));
  member(body, "fmaMs", json_num(fmaMs));
  emit("ceilings", body);
  emit("end", "");
  return 0;
}

// ---------------------------------------------------------------- mode: baseline

// The baseline alone at one point: does it write all its outputs, leave its inputs alone, and would a trivial
// output (zeros, a constant, one of the inputs) pass the spec's tolerance against it? The last is the weak-spec
// probe: it judges the spec, so it runs once here rather than for every candidate.
void baseline_check(const Version& v, const std::vector<long long>& sizes, long long seed, Timer& timer, uint64_t* digestScratch, CompareCounts* counts) {
  const VersionTable& t = *v.table;
  set_doing("checking the baseline (seed " + std::to_string(seed) + ", " + sizes_text(t, sizes) + ")");
  Problem p = describe(v, sizes);
  BufferSet s = alloc_set(t, p, false, false);
  prepare_side(t, p, s.candidate, static_cast<uint64_t>(seed), true);
  std::vector<uint64_t> before = input_digests(t, p, s.candidate, digestScratch);
  Window w;
  launch_timed(v, p, s.candidate, timer, w);
  std::vector<uint64_t> after = input_digests(t, p, s.candidate, digestScratch);
  std::vector<Span> span = timer.resolve({w}, nullptr);

  std::string outputs;
  double* values = nullptr;
  double* sum = static_cast<double*>(device_alloc(2 * sizeof(double), "a sum"));
  for (int i = 0; i < t.bufferCount; ++i) {
    const BufferArg& b = t.buffers[i];
    if (b.role == RoleInput) continue;
    const long long n = p.elements[i];
    // Unwritten: the output compared with itself counts its poisoned elements as the baseline's own.
    reset_counts(counts);
    compare_buffers(b, s.candidate[i], 0.0, s.candidate[i], n, b.role == RoleOutput, counts);
    CompareCounts self;
    check(cudaMemcpy(&self, counts, sizeof self, cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (counts)");
    count_own_operation();
    // The constant "write the mean" output: integers round it, as the TypeScript probe did.
    check(cudaMemset(sum, 0, 2 * sizeof(double)), "copy", "cudaMemset");
    count_own_operation();
    sum_finite(b, s.candidate[i], n, sum);
    double sc[2];
    check(cudaMemcpy(sc, sum, sizeof sc, cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (sum)");
    count_own_operation();
    double mean = sc[1] > 0 ? sc[0] / sc[1] : 0.0;
    const bool isFloat = b.dtype == Float32 || b.dtype == Float16 || b.dtype == BFloat16 || b.dtype == Float64;
    if (!isFloat) mean = std::round(mean);
    auto trivial = [&](const double* vals, double constant) {
      reset_counts(counts);
      if (vals) compare_values(b, vals, s.candidate[i], n, counts);
      else compare_buffers(b, nullptr, constant, s.candidate[i], n, false, counts);
      CompareCounts c;
      check(cudaMemcpy(&c, counts, sizeof c, cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (counts)");
      count_own_operation();
      return c.failures;
    };
    std::string inputs;
    for (int j = 0; j < t.bufferCount; ++j) {
      const BufferArg& in = t.buffers[j];
      // An inout compared with its own initial values is the "kernel did nothing" case: kept on purpose, so the
      // inout's start values are regenerated from the seed into scratch first.
      if (in.role == RoleOutput || p.elements[j] != n) continue;
      if (!values) values = static_cast<double*>(device_alloc(sizeof(double) * static_cast<size_t>(n), "the weak-spec scratch"));
      if (in.role == RoleInout) {
        void* fresh = device_alloc(bytes_of(t, p, j), "the initial values of an inout");
        fill_buffer(fresh, n, in, static_cast<uint64_t>(seed));
        to_double(in, fresh, n, values);
        check(cudaDeviceSynchronize(), "sync", "cudaDeviceSynchronize");
        device_free(fresh);
      } else {
        to_double(in, s.candidate[j], n, values);
      }
      std::string one;
      member(one, "name", json_str(in.name));
      member(one, "failures", json_u64(trivial(values, 0.0)));
      item(inputs, "{" + one + "}");
    }
    if (values) {
      device_free(values);
      values = nullptr;
    }
    std::string one;
    member(one, "name", json_str(b.name));
    member(one, "elements", json_int(n));
    member(one, "unwritten", json_u64(b.role == RoleOutput ? self.baselineUnwritten : 0));
    member(one, "zerosFailures", json_u64(trivial(nullptr, 0.0)));
    member(one, "mean", json_num(mean));
    member(one, "meanFailures", json_u64(trivial(nullptr, mean)));
    member(one, "inputs", "[" + inputs + "]");
    item(outputs, "{" + one + "}");
  }
  device_free(sum);
  int changed = 0;
  std::string body;
  member(body, "seed", json_int(seed));
  member(body, "sizes", sizes_json(t, sizes));
  member(body, "launch", span_json(span[0]));
  member(body, "inputs", inputs_json(t, before, after, &changed));
  member(body, "outputs", "[" + outputs + "]");
  emit("baseline-check", body);
  free_set(t, s);
}

int run_baseline(const Options& o, const Device& dev, Timer& timer) {
  Version v = load_version("baseline", o.baseline);
  const VersionTable& t = *v.table;
  uint64_t* digests = static_cast<uint64_t*>(device_alloc(sizeof(uint64_t) * kMaxArgs, "the digests"));
  CompareCounts* counts = static_cast<CompareCounts*>(device_alloc(sizeof(CompareCounts), "the counts"));
  for (long long seed : o.seeds) baseline_check(v, sizes_for(t, o.sizes, {}), seed, timer, digests, counts);
  for (const SizePoint& point : o.sweep) baseline_check(v, sizes_for(t, o.sizes, point), o.seeds[0], timer, digests, counts);
  if (o.time) {
    const std::vector<long long> sizes = sizes_for(t, o.sizes, {});
    Problem p = describe(v, sizes);
    Flush flush(dev);
    std::vector<BufferSet> sets;
    for (long long k = 0; k < o.sets; ++k) sets.push_back(alloc_set(t, p, false, false));
    Series series;
    std::vector<Window> windows;
    for (long long i = 0; i < o.warmup + o.iters; ++i) {
      set_doing(i < o.warmup ? "a warm-up launch" : "timed launch " + std::to_string(i - o.warmup));
      BufferSet& s = sets[static_cast<size_t>(i % o.sets)];
      prepare_side(t, p, s.candidate, static_cast<uint64_t>(o.timeSeed + i), true);
      flush(i);
      Window w;
      launch_timed(v, p, s.candidate, timer, w);
      if (i >= o.warmup) windows.push_back(w);
      if (windows.size() == 32 || i + 1 == o.warmup + o.iters) {
        for (const Span& sp : timer.resolve(windows, nullptr)) series.add(sp);
        windows.clear();
      }
      if (i + 1 == o.warmup) timer.resolve({}, nullptr);  // The warm-ups' activity is not a sample's.
    }
    std::string body;
    member(body, "method", json_str(timer.method()));
    member(body, "sizes", sizes_json(t, sizes));
    member(body, "seed", json_int(o.timeSeed));
    member(body, "warmup", json_int(o.warmup));
    member(body, "sets", json_int(o.sets));
    member(body, "l2FlushBytes", json_int(static_cast<long long>(flush.bytes)));
    member(body, "l2Flush", json_str("write-then-read"));
    member(body, "baseline", series.json());
    emit("timing", body);
    for (BufferSet& s : sets) free_set(t, s);
  }
  device_free(digests);
  device_free(counts);
  emit("end", "");
  return 0;
}

// ---------------------------------------------------------------- mode: evaluate

struct Evaluation {
  const Options& o;
  const Device& dev;
  Timer& timer;
  Version base, cand;
  uint64_t* digests = nullptr;
  CompareCounts* counts = nullptr;
};

// One check: candidate first, on fresh values; its inputs' digests before and after; then the baseline computes
// the reference for the same values into its own freshly poisoned buffers; then every element is compared.
// Returns true when the candidate failed it. `repeat` also runs the candidate a second time on the same values
// and reports how many elements differ bitwise (float atomics do this legitimately).
bool evaluate_check(Evaluation& e, const std::vector<long long>& sizes, long long seed, bool repeat) {
  const VersionTable& t = *e.base.table;
  set_doing("checking the candidate (seed " + std::to_string(seed) + ", " + sizes_text(t, sizes) + ")");
  const Problem pb = describe(e.base, sizes);
  const Problem pc = describe(e.cand, sizes);
  for (int i = 0; i < t.bufferCount; ++i) {
    if (pb.elements[i] != pc.elements[i]) fail("args", std::string("'") + t.buffers[i].name + "' has different extents for the baseline and the candidate");
  }
  BufferSet s = alloc_set(t, pb, true, repeat);
  prepare_side(t, pc, s.candidate, static_cast<uint64_t>(seed), true);
  const std::vector<uint64_t> before = input_digests(t, pc, s.candidate, e.digests);
  Window wc, wb;
  launch_timed(e.cand, pc, s.candidate, e.timer, wc);
  const std::vector<uint64_t> after = input_digests(t, pc, s.candidate, e.digests);
  prepare_side(t, pb, s.baseline, static_cast<uint64_t>(seed), false);
  launch_timed(e.base, pb, s.baseline, e.timer, wb);
  std::vector<Span> spans = e.timer.resolve({wc, wb}, nullptr);
  std::vector<Comparison> cmp = compare_outputs(t, pb, s, e.counts);

  std::string outputs, pointers;
  bool bad = false;
  for (const Comparison& c : cmp) {
    item(outputs, c.json);
    bad = bad || c.bad();
  }
  for (int i = 0; i < t.bufferCount; ++i) member(pointers, t.buffers[i].name, json_str(ptr_text(s.candidate[i])));
  int changed = 0;
  std::string body;
  member(body, "seed", json_int(seed));
  member(body, "sizes", sizes_json(t, sizes));
  member(body, "candidateLaunch", span_json(spans[0]));
  member(body, "baselineLaunch", span_json(spans[1]));
  member(body, "inputs", inputs_json(t, before, after, &changed));
  member(body, "outputs", "[" + outputs + "]");
  member(body, "pointers", "{" + pointers + "}");
  emit("check", body);
  bad = bad || changed > 0;

  if (repeat && !bad) {
    set_doing("repeating the candidate (seed " + std::to_string(seed) + ")");
    for (int i = 0; i < t.bufferCount; ++i) {
      if (t.buffers[i].role == RoleInput) continue;
      check(cudaMemcpy(s.keep[i], s.candidate[i], bytes_of(t, pc, i), cudaMemcpyDeviceToDevice), "copy", "cudaMemcpy (repeat copy)");
      count_own_operation();
    }
    prepare_side(t, pc, s.candidate, static_cast<uint64_t>(seed), true);
    Window wr;
    launch_timed(e.cand, pc, s.candidate, e.timer, wr);
    e.timer.resolve({wr}, nullptr);
    unsigned long long* diff = static_cast<unsigned long long*>(device_alloc(2 * sizeof(unsigned long long), "the repeat counts"));
    std::string rep;
    for (int i = 0; i < t.bufferCount; ++i) {
      if (t.buffers[i].role == RoleInput) continue;
      const unsigned long long init[2] = {0, ~0ULL};
      check(cudaMemcpy(diff, init, sizeof init, cudaMemcpyHostToDevice), "copy", "cudaMemcpy");
      count_own_operation();
      bitwise_diff(s.keep[i], s.candidate[i], pc.elements[i], static_cast<size_t>(t.buffers[i].elemSize), diff);
      unsigned long long got[2];
      check(cudaMemcpy(got, diff, sizeof got, cudaMemcpyDeviceToHost), "copy", "cudaMemcpy (repeat counts)");
      count_own_operation();
      std::string one;
      member(one, "name", json_str(t.buffers[i].name));
      member(one, "differing", json_u64(got[0]));
      if (got[0]) member(one, "firstIndex", json_u64(got[1]));
      item(rep, "{" + one + "}");
    }
    device_free(diff);
    std::string rbody;
    member(rbody, "seed", json_int(seed));
    member(rbody, "outputs", "[" + rep + "]");
    emit("repeat", rbody);
  }
  free_set(t, s);
  return bad;
}

// Interleaved timed pairs, every candidate launch verified. A pair: fresh values (seed timeSeed + pair) into a
// rotating buffer set; the inputs' digests read back; L2 flushed; the CANDIDATE timed; its inputs' digests again;
// then the BASELINE, timed, computes the reference for the same values into its own poisoned buffers (so nothing
// the candidate did can reach the reference); then every element is compared. All of it but the two launches is
// outside the timed windows. The previous pair's counts are read back before the next candidate launch, so a
// later launch cannot rewrite them. Stops at the first pair with a problem.
bool evaluate_timing(Evaluation& e) {
  const VersionTable& t = *e.base.table;
  const std::vector<long long> sizes = sizes_for(t, e.o.sizes, {});
  const Problem pb = describe(e.base, sizes);
  const Problem pc = describe(e.cand, sizes);
  Flush flush(e.dev);
  std::vector<BufferSet> sets;
  for (long long k = 0; k < e.o.sets; ++k) sets.push_back(alloc_set(t, pb, true, false));
  Series cs, bs;
  std::string failures, unwritten, changedInputs;
  std::vector<std::string> perOutputFailures, perOutputUnwritten;
  std::vector<Window> windows;
  std::string firstBad;
  long long unaccountedTotal = 0;
  bool unaccountedKnown = true;
  long long verified = 0, pairsDone = 0;
  bool stopped = false;
  const long long total = e.o.warmup + e.o.pairs;
  std::vector<bool> recorded;  // Per window pair: a timed pair (true) or a warm-up (false).
  auto resolve = [&]() {
    long long unaccounted = 0;
    std::vector<Span> spans = e.timer.resolve(windows, &unaccounted);
    if (unaccounted < 0) unaccountedKnown = false;
    else unaccountedTotal += unaccounted;
    for (size_t k = 0; k + 1 < spans.size(); k += 2) {
      if (!recorded[k / 2]) continue;
      cs.add(spans[k]);
      bs.add(spans[k + 1]);
    }
    windows.clear();
    recorded.clear();
  };
  for (long long i = 0; i < total && !stopped; ++i) {
    const bool warm = i < e.o.warmup;
    set_doing(warm ? "verified warm-up pair " + std::to_string(i) : "timed pair " + std::to_string(i - e.o.warmup));
    BufferSet& s = sets[static_cast<size_t>(i % e.o.sets)];
    const uint64_t seed = static_cast<uint64_t>(e.o.timeSeed + i);
    prepare_side(t, pc, s.candidate, seed, true);
    const std::vector<uint64_t> before = input_digests(t, pc, s.candidate, e.digests);
    flush(2 * i);
    Window wc, wb;
    launch_timed(e.cand, pc, s.candidate, e.timer, wc);
    const std::vector<uint64_t> after = input_digests(t, pc, s.candidate, e.digests);
    prepare_side(t, pb, s.baseline, seed, false);
    flush(2 * i + 1);
    launch_timed(e.base, pb, s.baseline, e.timer, wb);
    std::vector<Comparison> cmp = compare_outputs(t, pb, s, e.counts);
    int changed = 0;
    inputs_json(t, before, after, &changed);
    bool bad = changed > 0;
    for (const Comparison& c : cmp) bad = bad || c.bad();
    ++verified;
    windows.push_back(wc);
    windows.push_back(wb);
    recorded.push_back(!warm);
    if (!warm) {
      perOutputFailures.resize(cmp.size());
      perOutputUnwritten.resize(cmp.size());
      for (size_t k = 0; k < cmp.size(); ++k) {
        item(perOutputFailures[k], json_u64(cmp[k].counts.failures));
        item(perOutputUnwritten[k], json_u64(cmp[k].counts.unwritten));
      }
      item(changedInputs, json_int(changed));
      ++pairsDone;
    }
    if (bad) {
      std::string outs;
      for (const Comparison& c : cmp) item(outs, c.json);
      member(firstBad, "pair", json_int(i - e.o.warmup));
      member(firstBad, "warmup", warm ? "true" : "false");
      member(firstBad, "seed", json_u64(seed));
      member(firstBad, "inputsChanged", json_int(changed));
      member(firstBad, "outputs", "[" + outs + "]");
      stopped = true;
    }
    if (windows.size() >= 64) resolve();
  }
  if (!windows.empty()) resolve();
  std::string outputs;
  size_t k = 0;
  for (int i = 0; i < t.bufferCount; ++i) {
    if (t.buffers[i].role == RoleInput) continue;
    std::string one;
    member(one, "name", json_str(t.buffers[i].name));
    member(one, "failures", "[" + (k < perOutputFailures.size() ? perOutputFailures[k] : std::string()) + "]");
    member(one, "unwritten", "[" + (k < perOutputUnwritten.size() ? perOutputUnwritten[k] : std::string()) + "]");
    item(outputs, "{" + one + "}");
    ++k;
  }
  std::string body;
  member(body, "method", json_str(e.timer.method()));
  member(body, "note", json_str(e.timer.note()));
  member(body, "sizes", sizes_json(t, sizes));
  member(body, "seed", json_int(e.o.timeSeed));
  member(body, "warmup", json_int(e.o.warmup));
  member(body, "sets", json_int(e.o.sets));
  member(body, "l2FlushBytes", json_int(static_cast<long long>(flush.bytes)));
  member(body, "l2Flush", json_str("write-then-read"));
  member(body, "pairs", json_int(pairsDone));
  member(body, "verifiedLaunches", json_int(verified));
  member(body, "candidate", cs.json());
  member(body, "baseline", bs.json());
  member(body, "verification", "{\"outputs\":[" + outputs + "],\"inputsChanged\":[" + changedInputs + "]}");
  if (unaccountedKnown) member(body, "unaccountedActivities", json_int(unaccountedTotal));
  if (stopped) member(body, "stoppedAt", "{" + firstBad + "}");
  emit("timing", body);
  for (BufferSet& s : sets) free_set(t, s);
  return stopped;
}

int run_evaluate(const Options& o, const Device& dev, Timer& timer) {
  Evaluation e{o, dev, timer, load_version("baseline", o.baseline), load_version("candidate", o.candidate)};
  check_same_buffers(e.base, e.cand);
  {
    std::string body;
    member(body, "kernel", json_str(e.cand.table->kernel));
    member(body, "variables", variables_json(e.cand));
    emit("loaded", body);
  }
  e.digests = static_cast<uint64_t*>(device_alloc(sizeof(uint64_t) * kMaxArgs, "the digests"));
  e.counts = static_cast<CompareCounts*>(device_alloc(sizeof(CompareCounts) * kMaxArgs, "the counts"));
  const Snapshot atLoad = snapshot(e.cand);
  const VersionTable& t = *e.base.table;
  bool bad = false;
  // Cheapest first: one seed at the default sizes (and a repeat), the other seeds, then the sweep points.
  for (size_t k = 0; k < o.seeds.size() && !bad; ++k) bad = evaluate_check(e, sizes_for(t, o.sizes, {}), o.seeds[k], k == 0);
  for (size_t k = 0; k < o.sweep.size() && !bad; ++k) bad = evaluate_check(e, sizes_for(t, o.sizes, o.sweep[k]), o.seeds[0], false);
  const Snapshot afterChecks = snapshot(e.cand);
  emit_state(e.cand, "checks", atLoad, afterChecks);
  if (bad) {
    emit("end", "\"stopped\":\"check\"");
    return 0;
  }
  bool stopped = false;
  if (o.time) {
    stopped = evaluate_timing(e);
    emit_state(e.cand, "timing", afterChecks, snapshot(e.cand));
  }
  device_free(e.digests);
  device_free(e.counts);
  emit("end", stopped ? "\"stopped\":\"timing\"" : "");
  return 0;
}

}  // namespace
}  // namespace kp

int main(int argc, char** argv) {
  using namespace kp;
  Options o = parse_args(argc, argv);
  if (o.mode == "describe") return run_describe(o);
  Device dev = open_device();
  Timer timer(o.cupti);
  std::string start;
  member(start, "mode", json_str(o.mode));
  member(start, "device", device_json(dev));
  member(start, "timing", "{\"method\":" + json_str(timer.method()) + ",\"note\":" + json_str(timer.note()) + "}");
  emit("start", start);
  if (o.mode == "ceilings") return run_ceilings(dev, timer);
  if (o.mode == "baseline") return run_baseline(o, dev, timer);
  return run_evaluate(o, dev, timer);
}
