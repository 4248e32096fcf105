// ===================== KernelPilot gate runtime: kernel-only timing =====================
// A sample is the span from the first to the last GPU activity (kernel, copy, memset) that started inside the
// sample's window, on ANY stream, as CUPTI's activity records give them: the same source Nsight Systems reads.
// The window opens on the host just before the launch and closes after a whole-device synchronize, so work a
// kernel version pushes onto streams of its own is inside the measurement, while the host's launch and
// synchronize latency (10-17 us on an H200, issue 8) is not.
// Kernels are traced as CUPTI_ACTIVITY_KIND_KERNEL, not CONCURRENT_KERNEL: for concurrent tracing CUPTI instruments
// the kernel's code, which made vector_add at 2^24-2^26 floats (65536-262144 short blocks) 6-7 % slower than under
// ncu or uninstrumented events; the plain kind takes its timestamps around each kernel and reads ncu's
// gpu__time_duration + ~0.45 us on an H200 at every size (bench/results/fidelity-2026-11-28). It serializes kernels
// while tracing: work a version spreads over several streams is timed as if run one after another, never shorter.
// libcupti is loaded at run time, not linked: a machine without it, or a process under a profiler that already
// owns CUPTI, still times, with CUDA events recorded around the launch and the device synchronize (that figure
// includes the latency; method() says so).
#include "kp_gate.cuh"

#include <cupti.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

namespace kp {
namespace {

struct Activity {
  uint64_t start, end;
  uint32_t stream;
};

// What the buffer callbacks collected since the last resolve(); CUPTI calls them from its own thread.
std::mutex g_mutex;
std::vector<Activity> g_activities;
uint64_t g_dropped = 0;

struct Cupti {
  decltype(&cuptiActivityEnable) enable = nullptr;
  decltype(&cuptiActivityDisable) disable = nullptr;
  decltype(&cuptiActivityRegisterCallbacks) registerCallbacks = nullptr;
  decltype(&cuptiActivityFlushAll) flushAll = nullptr;
  decltype(&cuptiActivityGetNextRecord) nextRecord = nullptr;
  decltype(&cuptiActivityGetNumDroppedRecords) dropped = nullptr;
  decltype(&cuptiGetTimestamp) timestamp = nullptr;
  decltype(&cuptiGetResultString) resultString = nullptr;
};
Cupti g_cupti;

constexpr size_t kBufferBytes = 8u << 20;

// What is traced: kernels (serialized, not instrumented: see the top of this file), copies and memsets.
constexpr CUpti_ActivityKind kTraced[] = {CUPTI_ACTIVITY_KIND_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,
                                          CUPTI_ACTIVITY_KIND_MEMSET};

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* maxNumRecords) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *maxNumRecords = 0;
}

void CUPTIAPI buffer_completed(CUcontext, uint32_t streamId, uint8_t* buffer, size_t, size_t validSize) {
  std::vector<Activity> got;
  CUpti_Activity* record = nullptr;
  while (g_cupti.nextRecord(buffer, validSize, &record) == CUPTI_SUCCESS) {
    switch (record->kind) {
      case CUPTI_ACTIVITY_KIND_KERNEL: {
        auto* k = reinterpret_cast<CUpti_ActivityKernel10*>(record);
        got.push_back({k->start, k->end, k->streamId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        auto* m = reinterpret_cast<CUpti_ActivityMemcpy6*>(record);
        got.push_back({m->start, m->end, m->streamId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        auto* m = reinterpret_cast<CUpti_ActivityMemset4*>(record);
        got.push_back({m->start, m->end, m->streamId});
        break;
      }
      default:
        break;
    }
  }
  size_t dropped = 0;
  if (g_cupti.dropped && g_cupti.dropped(nullptr, streamId, &dropped) == CUPTI_SUCCESS && dropped) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_dropped += dropped;
  }
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_activities.insert(g_activities.end(), got.begin(), got.end());
  }
  std::free(buffer);
}

// Where libcupti may be: the loader's own search first, then beside the toolkit the runtime was built with
// (KP_CUPTI_DIRS, a colon-separated list the driver passes from `nvcc -dryrun`).
void* open_libcupti(std::string& tried) {
  std::vector<std::string> names = {"libcupti.so", "libcupti.so.13", "libcupti.so.12"};
  if (const char* dirs = std::getenv("KP_CUPTI_DIRS")) {
    std::string all = dirs;
    size_t from = 0;
    while (from <= all.size()) {
      size_t to = all.find(':', from);
      if (to == std::string::npos) to = all.size();
      std::string dir = all.substr(from, to - from);
      if (!dir.empty()) names.push_back(dir + "/libcupti.so");
      from = to + 1;
    }
  }
  for (const std::string& name : names) {
    if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    tried += (tried.empty() ? "" : ", ") + name;
  }
  return nullptr;
}

template <class F> bool bind(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
}

// Sets up activity tracing; returns "" or why it cannot be used.
std::string start_cupti() {
  if (const char* off = std::getenv("KP_TIMING"); off && std::strcmp(off, "events") == 0) return "KP_TIMING=events";
  std::string tried;
  void* lib = open_libcupti(tried);
  if (!lib) return "libcupti not found (tried " + tried + ")";
  Cupti& c = g_cupti;
  if (!bind(lib, "cuptiActivityEnable", c.enable) || !bind(lib, "cuptiActivityDisable", c.disable) ||
      !bind(lib, "cuptiActivityRegisterCallbacks", c.registerCallbacks) || !bind(lib, "cuptiActivityFlushAll", c.flushAll) ||
      !bind(lib, "cuptiActivityGetNextRecord", c.nextRecord) || !bind(lib, "cuptiGetTimestamp", c.timestamp) ||
      !bind(lib, "cuptiGetResultString", c.resultString)) {
    return "libcupti lacks the activity API";
  }
  bind(lib, "cuptiActivityGetNumDroppedRecords", c.dropped);
  auto why = [&](const char* call, CUptiResult r) {
    const char* text = nullptr;
    c.resultString(r, &text);
    return std::string(call) + " failed: " + (text ? text : "unknown CUPTI error");
  };
  CUptiResult r = c.registerCallbacks(buffer_requested, buffer_completed);
  if (r != CUPTI_SUCCESS) return why("cuptiActivityRegisterCallbacks", r);
  for (CUpti_ActivityKind kind : kTraced) {
    r = c.enable(kind);
    if (r != CUPTI_SUCCESS) return why("cuptiActivityEnable", r);
  }
  return "";
}

__global__ void kp_timing_probe_kernel() {}

uint64_t steady_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

Timer::Timer(bool allowCupti) {
  check(cudaEventCreate(&start_), "device", "cudaEventCreate");
  check(cudaEventCreate(&stop_), "device", "cudaEventCreate");
  if (!allowCupti) {
    note_ = "CUPTI not asked for";
    return;
  }
  note_ = start_cupti();
  cupti_ = note_.empty();
  if (cupti_) {
    cudaDeviceSynchronize();
    g_cupti.flushAll(1);
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      g_activities.clear();
    }
    // A launch whose record must land inside its window: if CUPTI's records and its host clock disagree, time with
    // events rather than report nothing.
    Window w;
    begin(w);
    kp_timing_probe_kernel<<<1, 1>>>();
    launched(w);
    end(w);
    g_cupti.flushAll(1);
    std::lock_guard<std::mutex> lock(g_mutex);
    bool inside = false;
    for (const Activity& a : g_activities) inside = inside || (a.start >= w.begin && a.start <= w.end);
    g_activities.clear();
    if (!inside) {
      for (CUpti_ActivityKind kind : kTraced) g_cupti.disable(kind);
      cupti_ = false;
      note_ = "CUPTI recorded no activity inside a timed window (its clock and records disagree here)";
    }
  }
  ownAtResolve_ = own_operations();
}

Timer::~Timer() {
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}

const char* Timer::method() const { return cupti_ ? "cupti-activity" : "cuda-events"; }

void Timer::begin(Window& w) {
  if (cupti_) {
    g_cupti.timestamp(&w.begin);
  } else {
    w.begin = steady_ns();
    check(cudaEventRecord(start_, 0), "launch", "cudaEventRecord");
  }
}

void Timer::launched(Window& w) {
  if (cupti_) g_cupti.timestamp(&w.launched);
  else w.launched = steady_ns();
}

void Timer::end(Window& w) {
  cudaError_t err = cudaDeviceSynchronize();
  if (err == cudaSuccess) err = cudaGetLastError();
  if (err != cudaSuccess) fail("sync", err, std::string("the kernel failed while running: ") + cudaGetErrorString(err));
  if (cupti_) {
    g_cupti.timestamp(&w.end);
  } else {
    w.end = steady_ns();
    check(cudaEventRecord(stop_, 0), "sync", "cudaEventRecord");
    check(cudaEventSynchronize(stop_), "sync", "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start_, stop_), "sync", "cudaEventElapsedTime");
    w.eventMs = ms;
  }
}

std::vector<Span> Timer::resolve(const std::vector<Window>& windows, long long* unaccounted) {
  std::vector<Span> spans(windows.size());
  for (size_t i = 0; i < windows.size(); ++i) {
    spans[i].launchMs = (windows[i].launched - windows[i].begin) * 1e-6;
    spans[i].wallMs = (windows[i].end - windows[i].begin) * 1e-6;
    spans[i].kernelMs = windows[i].eventMs;
  }
  if (!cupti_) {
    if (unaccounted) *unaccounted = -1;
    return spans;
  }
  check(cudaDeviceSynchronize(), "sync", "cudaDeviceSynchronize");
  g_cupti.flushAll(1);
  std::vector<Activity> all;
  uint64_t dropped;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    all.swap(g_activities);
    dropped = g_dropped;
    g_dropped = 0;
  }
  if (dropped) fail("sync", "CUPTI dropped " + std::to_string(dropped) + " activity records: the timing cannot be trusted");
  long long outside = 0;
  std::vector<uint64_t> first(windows.size(), UINT64_MAX), last(windows.size(), 0);
  std::vector<std::set<uint32_t>> streams(windows.size());
  for (const Activity& a : all) {
    // Windows are few per batch and sorted by time: find the one this activity started in.
    auto it = std::upper_bound(windows.begin(), windows.end(), a.start, [](uint64_t t, const Window& w) { return t < w.begin; });
    bool inside = false;
    if (it != windows.begin()) {
      size_t i = static_cast<size_t>(std::prev(it) - windows.begin());
      if (a.start <= windows[i].end) {
        inside = true;
        first[i] = std::min(first[i], a.start);
        last[i] = std::max(last[i], a.end);
        spans[i].activities++;
        streams[i].insert(a.stream);
      }
    }
    if (!inside) outside++;
  }
  for (size_t i = 0; i < windows.size(); ++i) {
    if (spans[i].activities == 0) {
      fail("sync", "CUPTI recorded no GPU activity inside timed window " + std::to_string(i) + ": the launch did nothing on the GPU, or tracing stopped");
    }
    spans[i].kernelMs = (last[i] - first[i]) * 1e-6;
    spans[i].streams = static_cast<int>(streams[i].size());
  }
  uint64_t own = own_operations();
  if (unaccounted) *unaccounted = outside - static_cast<long long>(own - ownAtResolve_);
  ownAtResolve_ = own;
  return spans;
}

}  // namespace kp
