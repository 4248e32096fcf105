// ===================== KernelPilot harness runtime: the implementation =====================
// Built once per GPU architecture and compiler into kp_runtime.o and linked into every harness. It owns
// everything that is the same for all kernels: argument parsing, device checks, the seeded fill, poisoning,
// the L2 flush, the check/time/ceilings modes and the JSON reports of protocol.ts.
#include "kp_runtime.cuh"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace kp {
namespace {

// ---------------------------------------------------------------- JSON output

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
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string json_int(long long v) { return std::to_string(v); }

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Appends "key":value to an object body, with a comma when it is not the first member.
void member(std::string& body, const std::string& key, const std::string& value) {
  if (!body.empty()) body += ",";
  body += json_str(key) + ":" + value;
}

void item(std::string& body, const std::string& value) {
  if (!body.empty()) body += ",";
  body += value;
}

// The report goes on a fresh line: device printf output without a trailing newline must not glue onto it.
void print_report(const std::string& json) {
  std::fflush(stdout);
  std::printf("\n%s\n", json.c_str());
  std::fflush(stdout);
}

[[noreturn]] void fail(const char* stage, cudaError_t err, const std::string& message) { kp::fail(stage, err, message.c_str()); }
[[noreturn]] void fail(const char* stage, const std::string& message) { kp::fail(stage, cudaSuccess, message.c_str()); }

}  // namespace

void fail(const char* stage, cudaError_t err, const char* message) {
  std::string body;
  member(body, "kind", json_str("error"));
  member(body, "stage", json_str(stage));
  if (err != cudaSuccess) member(body, "cudaError", json_str(cudaGetErrorName(err)));
  member(body, "message", json_str(message));
  print_report("{" + body + "}");
  std::exit(1);
}

void check(cudaError_t err, const char* stage, const char* what) {
  if (err != cudaSuccess) fail(stage, err, std::string(what) + " failed: " + cudaGetErrorString(err));
}

long long extent(const char* what, long long v) {
  if (v <= 0) fail("args", std::string(what) + " evaluated to " + std::to_string(v) + "; extents must be positive");
  return v;
}

namespace {

// ---------------------------------------------------------------- device

struct Device {
  cudaDeviceProp prop;
  int driverVersion = 0;
  int runtimeVersion = 0;
};

Device open_device() {
  Device d;
  cudaDriverGetVersion(&d.driverVersion);  // Works without a device; 0 means no driver.
  cudaRuntimeGetVersion(&d.runtimeVersion);
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess)
    fail("device", err, std::string("no usable CUDA device: cudaGetDeviceCount failed: ") + cudaGetErrorString(err));
  if (count == 0) fail("device", cudaErrorNoDevice, "no CUDA device: cudaGetDeviceCount returned 0");
  // Device 0 of what CUDA_VISIBLE_DEVICES exposes: the target picks the GPU, not the harness.
  KP_CHECK("device", cudaSetDevice(0));
  KP_CHECK("device", cudaGetDeviceProperties(&d.prop, 0));
  KP_CHECK("device", cudaFree(nullptr));  // Create the context now, outside any measurement.
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

// ---------------------------------------------------------------- seeded fill

// Counter-based splitmix64: draw k of a stream is mix64(base + (k + 1) * gamma), so every element can be
// computed on its own. The fill is therefore split over threads and gives the same bytes on any host.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
uint64_t stream_base(uint64_t seed, uint64_t argIndex) { return mix64(seed ^ mix64(argIndex + 0x5eedULL)); }
uint64_t draw(uint64_t base, uint64_t k) { return mix64(base + (k + 1) * kGamma); }
double unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }  // [0, 1)

// Element i's value. Normal uses Box-Muller (cosine branch) with draws 2i and 2i + 1.
double sample(Dist dist, double a, double b, uint64_t base, uint64_t i) {
  switch (dist) {
    case Dist::Uniform: return a + (b - a) * unit(draw(base, i));
    case Dist::Normal: {
      double u1 = 1.0 - unit(draw(base, 2 * i));  // (0, 1]: the logarithm stays finite.
      double u2 = unit(draw(base, 2 * i + 1));
      return a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    case Dist::Int: {
      // Integers in [a, b): span b - a values (the generator checks that it is at least one).
      double lo = std::ceil(a), span = std::ceil(b) - lo;
      return lo + std::min(std::floor(unit(draw(base, i)) * span), span - 1.0);
    }
    case Dist::Const: return a;
    case Dist::None: break;
  }
  return 0.0;
}

template <class T> void fill_typed(void* host, size_t n, const BufferArg& b, uint64_t base) {
  T* out = static_cast<T*>(host);
  unsigned threads = n < (size_t(1) << 16) ? 1u : std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  size_t chunk = (n + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    size_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    pool.emplace_back([=] {
      for (size_t i = begin; i < end; ++i) out[i] = from_double<T>(sample(b.dist, b.a, b.b, base, i));
    });
  }
  for (std::thread& th : pool) th.join();
}

void fill(void* host, size_t n, const BufferArg& b, uint64_t base) {
  switch (b.dtype) {
    case Dtype::Float32: return fill_typed<float>(host, n, b, base);
    case Dtype::Float16: return fill_typed<__half>(host, n, b, base);
    case Dtype::BFloat16: return fill_typed<__nv_bfloat16>(host, n, b, base);
    case Dtype::Float64: return fill_typed<double>(host, n, b, base);
    case Dtype::Int8: return fill_typed<int8_t>(host, n, b, base);
    case Dtype::UInt8: return fill_typed<uint8_t>(host, n, b, base);
    case Dtype::Int16: return fill_typed<int16_t>(host, n, b, base);
    case Dtype::Int32: return fill_typed<int32_t>(host, n, b, base);
    case Dtype::UInt32: return fill_typed<uint32_t>(host, n, b, base);
    case Dtype::Int64: return fill_typed<int64_t>(host, n, b, base);
    case Dtype::UInt64: return fill_typed<uint64_t>(host, n, b, base);
    case Dtype::Bool: return fill_typed<bool>(host, n, b, base);
  }
}

// FNV-1a, 64 bit, over raw bytes.
uint64_t fnv1a64(const std::vector<unsigned char>& data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// ---------------------------------------------------------------- command line

struct Options {
  std::string mode;
  long long seed = 1;
  std::string out;
  bool dumpInputs = false;
  long long warmup = 3, iters = 20, sets = 3;
  std::vector<long long> sizes;
};

long long parse_int(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 0);
  if (text.empty() || *end != '\0' || errno == ERANGE) fail("args", flag + " expects an integer, got '" + text + "'");
  return v;
}

Options parse_args(int argc, char** argv, const Harness& h) {
  Options o;
  for (const SizeVar& s : h.sizeVars) o.sizes.push_back(s.value);
  if (argc < 2) fail("args", std::string("usage: ") + argv[0] + " check|time|ceilings [options] (see kp_runtime.cuh)");
  o.mode = argv[1];
  if (o.mode != "check" && o.mode != "time" && o.mode != "ceilings") fail("args", "unknown mode '" + o.mode + "': expected check, time or ceilings");
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail("args", flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--seed") o.seed = parse_int(flag, value());
    else if (flag == "--out") o.out = value();
    else if (flag == "--dump-inputs") o.dumpInputs = true;
    else if (flag == "--warmup") o.warmup = parse_int(flag, value());
    else if (flag == "--iters") o.iters = parse_int(flag, value());
    else if (flag == "--sets") o.sets = parse_int(flag, value());
    else if (flag == "--size") {
      std::string kv = value();
      size_t eq = kv.find('=');
      if (eq == std::string::npos) fail("args", "--size expects NAME=VALUE, got '" + kv + "'");
      std::string name = kv.substr(0, eq);
      bool found = false;
      for (size_t s = 0; s < h.sizeVars.size(); ++s) {
        if (name == h.sizeVars[s].name) {
          o.sizes[s] = parse_int("--size " + name, kv.substr(eq + 1));
          found = true;
        }
      }
      if (!found) fail("args", "--size: '" + name + "' is not a size variable of this spec");
    } else {
      fail("args", "unknown option '" + flag + "'");
    }
  }
  if (o.mode == "check" && o.out.empty()) fail("args", "check needs --out DIR");
  if (o.warmup < 0 || o.iters < 1 || o.sets < 1) fail("args", "time needs --warmup >= 0, --iters >= 1 and --sets >= 1");
  return o;
}

// ---------------------------------------------------------------- the launch shape

void check_launch_shape(const Problem& p) {
  const long long gridMax[3] = {2147483647LL, 65535, 65535};
  const char* axes = "xyz";
  for (int d = 0; d < 3; ++d) {
    if (p.grid[d] < 1 || p.grid[d] > gridMax[d])
      fail("args", std::string("grid.") + axes[d] + " evaluated to " + std::to_string(p.grid[d]) + "; it must be in [1, " + std::to_string(gridMax[d]) + "]");
    if (p.block[d] < 1 || p.block[d] > 1024)
      fail("args", std::string("block.") + axes[d] + " evaluated to " + std::to_string(p.block[d]) + "; it must be in [1, 1024]");
  }
  if (p.block[0] * p.block[1] * p.block[2] > 1024) fail("args", "the block has more than 1024 threads");
  if (p.smem < 0) fail("args", "sharedMem evaluated to a negative number");
}

std::string launch_text(const Harness& h, const Problem& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "<<<(%lld,%lld,%lld), (%lld,%lld,%lld), %lld>>>", p.grid[0], p.grid[1], p.grid[2], p.block[0], p.block[1],
                p.block[2], p.smem);
  return std::string(h.kernel) + buf;
}

// ---------------------------------------------------------------- buffers

size_t bytes_of(const Harness& h, const Problem& p, size_t i) { return static_cast<size_t>(p.elements[i]) * h.buffers[i].elemSize; }

// One full set of kernel buffers, plus pristine copies of inouts so that every launch starts from its input.
struct BufferSet {
  uint64_t seed = 0;
  std::vector<void*> dev;
  std::vector<void*> pristine;  // Inouts only; nullptr elsewhere.
};

void* device_alloc(size_t bytes, const std::string& what) {
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, bytes);
  if (err != cudaSuccess) fail("alloc", err, "cudaMalloc of " + std::to_string(bytes) + " bytes for " + what + " failed: " + cudaGetErrorString(err));
  return p;
}

BufferSet make_set(const Harness& h, const Problem& p, uint64_t seed) {
  BufferSet s;
  s.seed = seed;
  std::vector<unsigned char> staging;
  for (size_t i = 0; i < h.buffers.size(); ++i) {
    const BufferArg& b = h.buffers[i];
    size_t bytes = bytes_of(h, p, i);
    s.dev.push_back(device_alloc(bytes, std::string("'") + b.name + "'"));
    s.pristine.push_back(nullptr);
    if (b.role == Role::Output) continue;
    staging.resize(bytes);
    fill(staging.data(), static_cast<size_t>(p.elements[i]), b, stream_base(seed, static_cast<uint64_t>(b.argIndex)));
    KP_CHECK("copy", cudaMemcpy(s.dev[i], staging.data(), bytes, cudaMemcpyHostToDevice));
    if (b.role == Role::Inout) {
      s.pristine[i] = device_alloc(bytes, std::string("the pristine copy of '") + b.name + "'");
      KP_CHECK("copy", cudaMemcpy(s.pristine[i], s.dev[i], bytes, cudaMemcpyDeviceToDevice));
    }
  }
  return s;
}

void free_set(BufferSet& s) {
  for (void* p : s.dev) KP_CHECK("alloc", cudaFree(p));
  for (void* p : s.pristine)
    if (p) KP_CHECK("alloc", cudaFree(p));
  s.dev.clear();
  s.pristine.clear();
}

// Before EVERY launch: outputs get the poison pattern (a kernel that skips elements leaves it visible) and
// inouts get their input back (no launch sees what an earlier launch wrote).
void prepare(const Harness& h, const Problem& p, BufferSet& s) {
  for (size_t i = 0; i < h.buffers.size(); ++i) {
    const BufferArg& b = h.buffers[i];
    if (b.role == Role::Output) KP_CHECK("copy", cudaMemsetAsync(s.dev[i], b.poison, bytes_of(h, p, i), 0));
    if (b.role == Role::Inout) KP_CHECK("copy", cudaMemcpyAsync(s.dev[i], s.pristine[i], bytes_of(h, p, i), cudaMemcpyDeviceToDevice, 0));
  }
}

std::vector<unsigned char> copy_back(const void* dev, size_t bytes) {
  std::vector<unsigned char> host(bytes);
  KP_CHECK("copy", cudaMemcpy(host.data(), dev, bytes, cudaMemcpyDeviceToHost));
  return host;
}

std::string ptr_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

void write_file(const std::string& path, const std::vector<unsigned char>& data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("io", "cannot open " + path + " for writing: " + std::strerror(errno));
  size_t wrote = data.empty() ? 0 : std::fwrite(data.data(), 1, data.size(), f);
  bool ok = wrote == data.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) fail("io", "cannot write " + path + ": " + std::strerror(errno));
}

long long count_poisoned(const std::vector<unsigned char>& data, size_t elemSize, unsigned char poison) {
  long long n = 0;
  for (size_t off = 0; off + elemSize <= data.size(); off += elemSize) {
    size_t k = 0;
    while (k < elemSize && data[off + k] == poison) ++k;
    if (k == elemSize) ++n;
  }
  return n;
}

// Writes one buffer as DIR/<name><suffix>.bin and returns its OutputDump JSON. Outputs also say how many
// elements still hold the poison pattern (elements the kernel never wrote, unless it wrote that very pattern).
std::string dump(const std::string& dir, const BufferArg& b, long long elements, const void* dev, size_t bytes, const char* suffix) {
  std::vector<unsigned char> host = copy_back(dev, bytes);
  std::string file = std::string(b.name) + suffix + ".bin";
  write_file(dir + "/" + file, host);
  std::string body;
  member(body, "name", json_str(b.name));
  member(body, "dtype", json_str(b.dtypeName));
  member(body, "elements", json_int(elements));
  member(body, "file", json_str(file));
  if (b.role == Role::Output && *suffix == '\0') {
    char poison[8];
    std::snprintf(poison, sizeof poison, "0x%02x", b.poison);
    member(body, "poison", json_str(poison));
    member(body, "poisonedElements", json_int(count_poisoned(host, b.elemSize, b.poison)));
  }
  return "{" + body + "}";
}

std::string sizes_json(const Harness& h, const Problem& p) {
  std::string body;
  for (size_t s = 0; s < h.sizeVars.size(); ++s) member(body, h.sizeVars[s].name, json_int(p.sizes[s]));
  return "{" + body + "}";
}

// ---------------------------------------------------------------- launching

// Launch, then check the launch itself (bad configuration, too much shared memory, ...).
void launch_checked(const Harness& h, const Problem& p, const BufferSet& s) {
  h.launch(p, s.dev.data());
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) fail("launch", err, "launching " + launch_text(h, p) + " failed: " + cudaGetErrorString(err));
}

// Wait for the WHOLE device (work the kernel started on other streams included) and check how it ended.
void sync_checked(const Harness& h, const Problem& p) {
  cudaError_t err = cudaDeviceSynchronize();
  if (err == cudaSuccess) err = cudaGetLastError();
  if (err != cudaSuccess) fail("sync", err, "kernel " + launch_text(h, p) + " failed while running: " + cudaGetErrorString(err));
}

double now_ms() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Events {
  cudaEvent_t start, end;
  Events() {
    KP_CHECK("device", cudaEventCreate(&start));
    KP_CHECK("device", cudaEventCreate(&end));
  }
  ~Events() {
    cudaEventDestroy(start);
    cudaEventDestroy(end);
  }
  float elapsed() const {
    float ms = 0;
    KP_CHECK("sync", cudaEventElapsedTime(&ms, start, end));
    return ms;
  }
};

// ---------------------------------------------------------------- mode: check

int run_check(const Harness& h, const Device& dev, const Options& o, const Problem& p) {
  BufferSet s = make_set(h, p, static_cast<uint64_t>(o.seed));
  prepare(h, p, s);

  std::string inputs, before, after, outputs, pointers;
  for (size_t i = 0; i < h.buffers.size(); ++i) {
    const BufferArg& b = h.buffers[i];
    member(pointers, b.name, json_str(ptr_text(s.dev[i])));
    if (o.dumpInputs && b.role != Role::Output) item(inputs, dump(o.out, b, p.elements[i], s.dev[i], bytes_of(h, p, i), ".input"));
    // Checksums over what is really on the device, read back, not over the host copy.
    if (b.role == Role::Input) member(before, b.name, json_str(hex64(fnv1a64(copy_back(s.dev[i], bytes_of(h, p, i))))));
  }

  Events ev;
  KP_CHECK("sync", cudaDeviceSynchronize());
  double t0 = now_ms();
  KP_CHECK("launch", cudaEventRecord(ev.start, 0));
  launch_checked(h, p, s);
  sync_checked(h, p);
  double wall = now_ms() - t0;
  KP_CHECK("sync", cudaEventRecord(ev.end, 0));
  KP_CHECK("sync", cudaEventSynchronize(ev.end));

  for (size_t i = 0; i < h.buffers.size(); ++i) {
    const BufferArg& b = h.buffers[i];
    if (b.role == Role::Input) member(after, b.name, json_str(hex64(fnv1a64(copy_back(s.dev[i], bytes_of(h, p, i))))));
    else item(outputs, dump(o.out, b, p.elements[i], s.dev[i], bytes_of(h, p, i), ""));
  }
  std::string body;
  member(body, "kind", json_str("check"));
  member(body, "seed", json_int(o.seed));
  member(body, "device", device_json(dev));
  member(body, "outputs", "[" + outputs + "]");
  member(body, "inputChecksumsBefore", "{" + before + "}");
  member(body, "inputChecksumsAfter", "{" + after + "}");
  member(body, "pointers", "{" + pointers + "}");
  member(body, "kernelMs", json_num(ev.elapsed()));
  member(body, "wallMs", json_num(wall));
  member(body, "kernel", json_str(h.kernel));
  member(body, "sizes", sizes_json(h, p));
  if (o.dumpInputs) member(body, "inputs", "[" + inputs + "]");
  print_report("{" + body + "}");
  free_set(s);
  return 0;
}

// ---------------------------------------------------------------- mode: time

// Bytes written before each timed launch to push the kernel's data out of L2: twice the L2 size, at least 64 MiB.
size_t l2_flush_bytes(const Device& d) {
  size_t l2 = static_cast<size_t>(std::max(d.prop.l2CacheSize, 0));
  return std::max<size_t>(2 * l2, size_t(64) << 20);
}

// A persisting-L2 carve-out would keep a kernel's data in L2 through the flush: allow none while timing,
// and turn lines a kernel marked persisting back into normal ones before each flush. Devices without the
// feature say "not supported": there is nothing to undo then.
bool unsupported(cudaError_t err) {
  if (err != cudaErrorNotSupported && err != cudaErrorUnsupportedLimit) return false;
  cudaGetLastError();
  return true;
}
void no_persisting_l2_limit() {
  cudaError_t err = cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0);
  if (!unsupported(err)) check(err, "device", "cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0)");
}
void reset_persisting_l2() {
  cudaError_t err = cudaCtxResetPersistingL2Cache();
  if (!unsupported(err)) check(err, "sync", "cudaCtxResetPersistingL2Cache()");
}

__global__ void kp_empty_kernel() {}

int run_time(const Harness& h, const Device& dev, const Options& o, const Problem& p) {
  // As many buffer sets as asked for and as fit, beside the flush buffer and some room for the kernel.
  size_t perSet = 0;
  for (size_t i = 0; i < h.buffers.size(); ++i) perSet += bytes_of(h, p, i) * (h.buffers[i].role == Role::Inout ? 2 : 1);
  size_t flushBytes = l2_flush_bytes(dev);
  size_t freeBytes = 0, totalBytes = 0;
  KP_CHECK("alloc", cudaMemGetInfo(&freeBytes, &totalBytes));
  size_t slack = size_t(256) << 20;
  size_t usable = freeBytes > flushBytes + slack ? freeBytes - flushBytes - slack : 0;
  long long sets = std::min(o.sets, perSet ? static_cast<long long>(usable / perSet) : o.sets);
  if (sets < 1)
    fail("alloc", "one buffer set needs " + std::to_string(perSet) + " bytes but only " + std::to_string(usable) +
                      " are free beside the L2 flush buffer; use smaller sizes (--size)");
  std::string warnings;
  if (sets < o.sets) item(warnings, json_str("only " + std::to_string(sets) + " of " + std::to_string(o.sets) + " buffer sets fit in device memory"));
  if (sets == 1) item(warnings, json_str("one buffer set: every launch reads the same input values"));

  std::vector<BufferSet> all;
  for (long long k = 0; k < sets; ++k) all.push_back(make_set(h, p, static_cast<uint64_t>(o.seed + k)));
  void* scratch = device_alloc(flushBytes, "the L2 flush buffer");
  no_persisting_l2_limit();
  Events ev;

  // Warm-up: module load, first touch and clock ramp stay out of the numbers. Same rotation as timed launches.
  for (long long i = 0; i < o.warmup; ++i) {
    BufferSet& s = all[static_cast<size_t>(i % sets)];
    prepare(h, p, s);
    launch_checked(h, p, s);
    sync_checked(h, p);
  }

  // One timed sample. Untimed: poison outputs, restore inouts, un-persist L2, flush L2, wait for all that.
  // Timed: start event, launch, cudaDeviceSynchronize (the WHOLE device, so work the kernel pushed to other
  // streams is inside the window), end event on the legacy stream. Recording the end event after the sync
  // costs a few microseconds of launch and sync latency in every sample, the same for every version being
  // compared; emptyKernelMs reports that floor. wallMs is the host clock over the same window.
  auto sample_once = [&](BufferSet& s, long long i, auto&& body, double& wallMs) -> float {
    prepare(h, p, s);
    reset_persisting_l2();
    KP_CHECK("copy", cudaMemsetAsync(scratch, static_cast<int>(i & 0xff), flushBytes, 0));
    KP_CHECK("sync", cudaDeviceSynchronize());
    double t0 = now_ms();
    KP_CHECK("launch", cudaEventRecord(ev.start, 0));
    body();
    wallMs = now_ms() - t0;
    KP_CHECK("sync", cudaEventRecord(ev.end, 0));
    KP_CHECK("sync", cudaEventSynchronize(ev.end));
    return ev.elapsed();
  };

  // The rotation continues from the warm-up, so the first timed launch does not reuse the last warm-up's set.
  std::string times, walls;
  size_t last = 0;
  for (long long i = 0; i < o.iters; ++i) {
    last = static_cast<size_t>((o.warmup + i) % sets);
    double wall = 0;
    float ms = sample_once(all[last], i, [&] { launch_checked(h, p, all[last]); sync_checked(h, p); }, wall);
    item(times, json_num(ms));
    item(walls, json_num(wall));
  }

  // What the last timed launch wrote, for the driver to check against the reference: a kernel that is only
  // right when it is not being timed is caught here.
  std::string timedOutputs;
  if (!o.out.empty()) {
    for (size_t i = 0; i < h.buffers.size(); ++i) {
      if (h.buffers[i].role != Role::Input) item(timedOutputs, dump(o.out, h.buffers[i], p.elements[i], all[last].dev[i], bytes_of(h, p, i), ""));
    }
  }

  // The fixed cost inside every sample: an empty kernel timed the same way, median of 21.
  std::vector<float> empty;
  for (int i = 0; i < 21; ++i) {
    double wall = 0;
    empty.push_back(sample_once(all[0], i, [&] {
      kp_empty_kernel<<<1, 1>>>();
      KP_CHECK("launch", cudaGetLastError());
      KP_CHECK("sync", cudaDeviceSynchronize());
    }, wall));
  }
  std::sort(empty.begin(), empty.end());

  std::string body;
  member(body, "kind", json_str("time"));
  member(body, "seed", json_int(o.seed));
  member(body, "device", device_json(dev));
  member(body, "warmup", json_int(o.warmup));
  member(body, "sets", json_int(sets));
  member(body, "l2FlushBytes", json_int(static_cast<long long>(flushBytes)));
  member(body, "timesMs", "[" + times + "]");
  member(body, "wallMs", "[" + walls + "]");
  member(body, "emptyKernelMs", json_num(empty[empty.size() / 2]));
  member(body, "setsRequested", json_int(o.sets));
  member(body, "kernel", json_str(h.kernel));
  member(body, "sizes", sizes_json(h, p));
  member(body, "warnings", "[" + warnings + "]");
  if (!o.out.empty()) member(body, "timedOutputs", "{\"seed\":" + json_int(static_cast<long long>(all[last].seed)) + ",\"outputs\":[" + timedOutputs + "]}");
  print_report("{" + body + "}");
  for (BufferSet& s : all) free_set(s);
  KP_CHECK("alloc", cudaFree(scratch));
  return 0;
}

// ---------------------------------------------------------------- mode: ceilings

// The ceilings are upper bounds (the bench calls a time that beats them impossible), so each is the BEST of
// several ways to move the bytes, not one kernel's figure: a copy kernel at several grid sizes and the
// runtime's own device-to-device cudaMemcpy. Memory that is read more than written streams faster than a
// pure copy on HBM, so a 2-read/1-write kernel (c = a + b) is measured and reported beside it.

// Device-to-device copy with 16-byte accesses and four independent loads in flight per thread.
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

// c = a + b over float4s, two independent elements per thread per step: two bytes read per byte written.
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

// FP32 FMA throughput: 8 independent chains per thread hide the FMA latency; the operands are kernel
// arguments and the result is stored under a condition the host never meets, so nothing folds away.
constexpr int kFmaChains = 8;
constexpr int kFmaSteps = 4096;
__global__ void kp_fma_kernel(float m, float c, float never, float* out) {
  float acc[kFmaChains];
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) acc[j] = threadIdx.x * 1e-3f + j;
#pragma unroll 16  // Keeps the loop counter and branch a small fraction of the issued instructions.
  for (int s = 0; s < kFmaSteps; ++s) {
#pragma unroll
    for (int j = 0; j < kFmaChains; ++j) acc[j] = fmaf(acc[j], m, c);
  }
  float sum = 0;
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) sum += acc[j];
  if (sum == never) out[0] = sum;
}

template <class F> float median_ms(int warmup, int reps, F launch) {
  Events ev;
  std::vector<float> ms;
  for (int i = 0; i < warmup + reps; ++i) {
    KP_CHECK("launch", cudaEventRecord(ev.start, 0));
    launch();
    KP_CHECK("launch", cudaGetLastError());
    KP_CHECK("sync", cudaEventRecord(ev.end, 0));
    KP_CHECK("sync", cudaEventSynchronize(ev.end));
    if (i >= warmup) ms.push_back(ev.elapsed());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int run_ceilings(const Device& dev) {
  size_t freeBytes = 0, totalBytes = 0;
  KP_CHECK("alloc", cudaMemGetInfo(&freeBytes, &totalBytes));
  // Three buffers of up to 1 GiB each (copy uses two, the 2:1 stream three), far beyond any L2.
  size_t bytes = std::min<size_t>(size_t(1) << 30, freeBytes / 5) & ~size_t(15);
  void* a = device_alloc(bytes, "the first bandwidth buffer");
  void* b = device_alloc(bytes, "the second bandwidth buffer");
  void* c = device_alloc(bytes, "the third bandwidth buffer");
  KP_CHECK("copy", cudaMemset(a, 0x3c, bytes));
  KP_CHECK("copy", cudaMemset(b, 0x3d, bytes));
  size_t n4 = bytes / 16;
  const float4* a4 = static_cast<const float4*>(a);
  const float4* b4 = static_cast<const float4*>(b);
  float4* c4 = static_cast<float4*>(c);

  std::string variants;
  double bestCopy = 0;
  auto copyVariant = [&](const std::string& name, float ms) {
    double rate = 2.0 * static_cast<double>(bytes) / (ms * 1e-3);
    member(variants, name, json_num(rate));
    bestCopy = std::max(bestCopy, rate);
  };
  for (int perSm : {4, 8, 16, 32}) {
    int blocks = dev.prop.multiProcessorCount * perSm;
    copyVariant("kernel-" + std::to_string(perSm) + "-blocks-per-sm",
                median_ms(2, 15, [&] { kp_copy_kernel<<<blocks, 256>>>(a4, c4, n4); }));
  }
  copyVariant("cudaMemcpy", median_ms(2, 15, [&] { KP_CHECK("copy", cudaMemcpyAsync(c, a, bytes, cudaMemcpyDeviceToDevice, 0)); }));
  double bestTriad = 0;
  for (int perSm : {8, 16}) {
    int blocks = dev.prop.multiProcessorCount * perSm;
    float ms = median_ms(2, 15, [&] { kp_triad_kernel<<<blocks, 256>>>(a4, b4, c4, n4); });
    bestTriad = std::max(bestTriad, 3.0 * static_cast<double>(bytes) / (ms * 1e-3));
  }
  KP_CHECK("alloc", cudaFree(a));
  KP_CHECK("alloc", cudaFree(b));
  KP_CHECK("alloc", cudaFree(c));

  float* out = static_cast<float*>(device_alloc(sizeof(float), "the FMA output"));
  int fmaBlocks = dev.prop.multiProcessorCount * 16;
  float fmaMs = median_ms(2, 15, [&] { kp_fma_kernel<<<fmaBlocks, 256>>>(0.999f, 1e-3f, -1.0f, out); });
  KP_CHECK("alloc", cudaFree(out));
  double flops = 2.0 * kFmaChains * kFmaSteps * static_cast<double>(fmaBlocks) * 256;

  std::string body;
  member(body, "kind", json_str("ceilings"));
  member(body, "device", device_json(dev));
  member(body, "copyBytesPerSecond", json_num(bestCopy));
  member(body, "fp32FlopsPerSecond", json_num(flops / (fmaMs * 1e-3)));
  member(body, "readWrite21BytesPerSecond", json_num(bestTriad));
  member(body, "copyVariants", "{" + variants + "}");
  member(body, "copyBytes", json_int(static_cast<long long>(bytes)));
  member(body, "fmaMs", json_num(fmaMs));
  print_report("{" + body + "}");
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- entry

int harness_main(int argc, char** argv, const Harness& h) {
  Options o = parse_args(argc, argv, h);
  Device dev = open_device();
  if (o.mode == "ceilings") return run_ceilings(dev);
  Problem p = h.describe(o.sizes);
  check_launch_shape(p);
  if (h.setup) h.setup(p);
  return o.mode == "check" ? run_check(h, dev, o, p) : run_time(h, dev, o, p);
}

}  // namespace kp
