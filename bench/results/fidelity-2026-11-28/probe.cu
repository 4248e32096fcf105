// Fidelity probe (helper "fidelity", issue 8): why does the gate's CUPTI kernel time of vector_add differ from
// ncu's gpu__time_duration? One standalone program that reproduces the gate's per-sample sequence (fresh inputs,
// poisoned output, an L2 flush, a sync, the launch, a sync) with the L2 flush varied, and times each launch three
// ways at once: CUPTI's kernel activity record (the gate's method), CUDA events recorded right around the launch
// (no host latency inside), and the host window. After each sample a one-warp kernel reads the SM clock
// (clock64 over 20 us of %globaltimer).
//   probe [--no-cupti] [--serial] [--iters N] [--warmup N] [--modes a,b] [--sizes n,m] [--dump]
// --serial traces kernels with CUPTI_ACTIVITY_KIND_KERNEL (serialized, timestamps without instrumenting the kernel)
// instead of CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL (the kernel's code is instrumented: run 1 found it slows
// vector_add by ~7 %). The CUPTI figure is the span of the timed kernel's own records (by name).
// size 0 is an empty kernel <<<1,1>>>. Modes (what runs between the fills and the launch):
//   none   nothing (warm L2: the fills' dirty lines are still there)
//   w      memset 2x L2 of scratch            r    read 2x L2 of scratch         wr   memset then read (the gate now)
//   wrd    memset, read, discard.global.L2 over scratch (L2 left invalid, nothing written back)
//   wd     memset, discard                    rd   read, discard
//   wr_idle  wr, then 2 ms of host sleep before the launch
//   wr_clk   wr, then the clock kernel BEFORE the launch (the SM clock the kernel starts at)
//   wr_blk   wr, then a kernel spinning on a host-mapped flag, the events and the launch queued behind it, then the
//            flag set: the events bracket the kernel with no host submission gap (nvbench's blocking kernel)
//   b2b    200 back-to-back launches, no flush, timed by one pair of events (the per-launch cost in a stream)
// Output: one CSV line per sample (sample,...), one summary line per mode and size (summary,...).
#include <cuda_runtime.h>
#include <cupti.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); std::exit(1); } } while (0)

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}
__global__ void empty_kernel() {}
__global__ void fill_kernel(float* p, long long n, unsigned seed) {
  for (long long i = blockIdx.x * 256LL + threadIdx.x; i < n; i += 256LL * gridDim.x) {
    unsigned x = (unsigned)i * 2654435761u ^ seed;
    x ^= x >> 13; x *= 0x5bd1e995u; x ^= x >> 15;
    p[i] = (x >> 8) * (1.0f / 16777216.0f) - 0.5f;
  }
}
__global__ void flush_read_kernel(const uint4* p, unsigned long long n, unsigned* sink) {
  unsigned acc = 0;
  for (unsigned long long i = blockIdx.x * 256ULL + threadIdx.x; i < n; i += 256ULL * gridDim.x) {
    const uint4 v = p[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) *sink = acc;
}
__global__ void discard_kernel(char* p, unsigned long long lines) {
  for (unsigned long long i = blockIdx.x * 256ULL + threadIdx.x; i < lines; i += 256ULL * gridDim.x)
    asm volatile("discard.global.L2 [%0], 128;" ::"l"(p + i * 128) : "memory");
}
__global__ void blocking_kernel(volatile int* flag) {
  unsigned long long t0, t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t)); } while (*flag == 0 && t - t0 < 100000000ULL);
}
__global__ void clock_kernel(unsigned long long* out) {
  unsigned long long t0, t1;
  long long c0 = clock64();
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t1)); } while (t1 - t0 < 20000);
  long long c1 = clock64();
  if (threadIdx.x == 0) { out[0] = (unsigned long long)(c1 - c0); out[1] = t1 - t0; }
}

// ------------------------------------------------------------------ CUPTI (dlopen, as the gate does)
struct Rec { int kind; std::string name; uint64_t start, end; uint32_t stream; };
std::mutex g_mu;
std::vector<Rec> g_recs;
decltype(&cuptiActivityGetNextRecord) p_next;
decltype(&cuptiActivityFlushAll) p_flush;
decltype(&cuptiGetTimestamp) p_ts;
void CUPTIAPI req(uint8_t** b, size_t* s, size_t* m) { *b = (uint8_t*)aligned_alloc(8, 8 << 20); *s = 8 << 20; *m = 0; }
void CUPTIAPI done(CUcontext, uint32_t, uint8_t* b, size_t, size_t valid) {
  CUpti_Activity* r = nullptr;
  std::vector<Rec> got;
  while (p_next(b, valid, &r) == CUPTI_SUCCESS) {
    if (r->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || r->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
      auto* k = (CUpti_ActivityKernel10*)r;
      got.push_back({1, k->name ? k->name : "?", k->start, k->end, k->streamId});
    } else if (r->kind == CUPTI_ACTIVITY_KIND_MEMSET) {
      auto* k = (CUpti_ActivityMemset4*)r;
      got.push_back({2, "memset", k->start, k->end, k->streamId});
    } else if (r->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
      auto* k = (CUpti_ActivityMemcpy6*)r;
      got.push_back({3, "memcpy", k->start, k->end, k->streamId});
    }
  }
  std::lock_guard<std::mutex> l(g_mu);
  g_recs.insert(g_recs.end(), got.begin(), got.end());
  free(b);
}
bool g_cupti = false;
bool g_serial = false;
std::string start_cupti() {
  std::vector<std::string> names = {"libcupti.so", "libcupti.so.13", "libcupti.so.12"};
  if (const char* d = getenv("KP_CUPTI_DIRS")) {
    std::stringstream ss(d); std::string x;
    while (std::getline(ss, x, ':')) if (!x.empty()) names.push_back(x + "/libcupti.so");
  }
  void* lib = nullptr;
  for (auto& n : names) if ((lib = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
  if (!lib) return "no libcupti";
  auto reg = (decltype(&cuptiActivityRegisterCallbacks))dlsym(lib, "cuptiActivityRegisterCallbacks");
  auto en = (decltype(&cuptiActivityEnable))dlsym(lib, "cuptiActivityEnable");
  p_next = (decltype(p_next))dlsym(lib, "cuptiActivityGetNextRecord");
  p_flush = (decltype(p_flush))dlsym(lib, "cuptiActivityFlushAll");
  p_ts = (decltype(p_ts))dlsym(lib, "cuptiGetTimestamp");
  if (!reg || !en || !p_next || !p_flush || !p_ts) return "libcupti lacks the API";
  CUptiResult r = reg(req, done);
  if (r != CUPTI_SUCCESS) return "register failed " + std::to_string(r);
  for (auto k : {g_serial ? CUPTI_ACTIVITY_KIND_KERNEL : CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMSET, CUPTI_ACTIVITY_KIND_MEMCPY}) {
    r = en(k);
    if (r != CUPTI_SUCCESS) return "enable failed " + std::to_string(r);
  }
  return "";
}
uint64_t now_ns() {
  if (g_cupti) { uint64_t t; p_ts(&t); return t; }
  return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::vector<Rec> take() {
  if (!g_cupti) return {};
  CK(cudaDeviceSynchronize());
  p_flush(1);
  std::lock_guard<std::mutex> l(g_mu);
  std::vector<Rec> out;
  out.swap(g_recs);
  return out;
}

// ------------------------------------------------------------------ the run
double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out; std::stringstream ss(s); std::string x;
  while (std::getline(ss, x, ',')) out.push_back(x);
  return out;
}
unsigned grid_for(unsigned long long n, int sms) { unsigned long long w = (n + 255) / 256, cap = 8ULL * sms; return (unsigned)std::max(1ULL, std::min(w, cap)); }

int main(int argc, char** argv) {
  bool useCupti = true, dump = false;
  int iters = 30, warmup = 3;
  std::string modes = "none,w,r,wr,wrd,wd,rd,wr_idle,wr_clk,b2b", sizes = "0,4096,65536,1048576,16777216,67108864";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-cupti") useCupti = false;
    else if (a == "--dump") dump = true;
    else if (a == "--serial") g_serial = true;
    else if (a == "--iters") iters = atoi(argv[++i]);
    else if (a == "--warmup") warmup = atoi(argv[++i]);
    else if (a == "--modes") modes = argv[++i];
    else if (a == "--sizes") sizes = argv[++i];
  }
  CK(cudaFree(nullptr));
  if (useCupti) {
    std::string why = start_cupti();
    g_cupti = why.empty();
    std::printf("cupti,%s,%s\n", g_cupti ? "on" : why.c_str(), g_serial ? "serial" : "concurrent");
  } else std::printf("cupti,off\n");
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  const int sms = prop.multiProcessorCount;
  const size_t flushBytes = std::max<size_t>(2 * (size_t)prop.l2CacheSize, 64u << 20);
  std::printf("device,%s,l2=%d,flushBytes=%zu,sms=%d\n", prop.name, prop.l2CacheSize, flushBytes, sms);
  std::vector<long long> ns;
  for (auto& s : split(sizes)) ns.push_back(atoll(s.c_str()));
  const long long maxN = *std::max_element(ns.begin(), ns.end());
  float *a[2], *b[2], *c[2];
  for (int s = 0; s < 2; ++s) {
    CK(cudaMalloc(&a[s], std::max<long long>(maxN, 1) * 4));
    CK(cudaMalloc(&b[s], std::max<long long>(maxN, 1) * 4));
    CK(cudaMalloc(&c[s], std::max<long long>(maxN, 1) * 4));
  }
  char* scratch; unsigned* sink; unsigned long long* clk;
  CK(cudaMalloc(&scratch, flushBytes));
  CK(cudaMalloc(&sink, 4));
  CK(cudaMalloc(&clk, 16));
  int* flag;
  CK(cudaHostAlloc(&flag, sizeof(int), cudaHostAllocMapped));
  int* flagDev;
  CK(cudaHostGetDevicePointer(&flagDev, flag, 0));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
  auto read_clock = [&]() {
    clock_kernel<<<1, 32>>>(clk);
    unsigned long long h[2];
    CK(cudaMemcpy(h, clk, 16, cudaMemcpyDeviceToHost));
    return h[1] ? h[0] * 1000.0 / h[1] : -1.0;
  };
  auto launch = [&](long long n, int s) {
    if (n == 0) empty_kernel<<<1, 1>>>();
    else vector_add<<<(unsigned)((n + 255) / 256), 256>>>(a[s], b[s], c[s], (int)n);
  };
  take();
  std::printf("columns,sample,mode,n,i,cupti_us,events_us,launch_us,wall_us,clk_after_mhz,clk_before_mhz,activities\n");
  for (const std::string& mode : split(modes)) {
    for (long long n : ns) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<double> cu, ev, clkA, clkB;
      if (mode == "b2b") {
        const int reps = 200;
        launch(n, 0);
        CK(cudaDeviceSynchronize());
        take();
        CK(cudaEventRecord(e0));
        for (int r = 0; r < reps; ++r) launch(n, 0);
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        float ms; CK(cudaEventElapsedTime(&ms, e0, e1));
        for (const Rec& r : take()) if (r.kind == 1) cu.push_back((r.end - r.start) * 1e-3);
        std::printf("summary,%s,%lld,perLaunchEvents_us=%.4f,cuptiMedian_us=%.4f,records=%zu\n", mode.c_str(), n, ms * 1e3 / reps, median(cu), cu.size());
        continue;
      }
      struct W { uint64_t b, l, e; double evUs, clkA, clkB; };
      std::vector<W> ws;
      for (int i = 0; i < warmup + iters; ++i) {
        const int s = i % 2;
        if (n > 0) {
          fill_kernel<<<grid_for(n, sms), 256>>>(a[s], n, 17 * i + 1);
          fill_kernel<<<grid_for(n, sms), 256>>>(b[s], n, 17 * i + 2);
          CK(cudaMemsetAsync(c[s], 0xff, n * 4));
        }
        const bool w = mode[0] == 'w', r = mode == "r" || mode == "rd" || mode.rfind("wr", 0) == 0, d = mode == "wrd" || mode == "wd" || mode == "rd";
        if (w) CK(cudaMemsetAsync(scratch, i & 0xff, flushBytes));
        if (r) flush_read_kernel<<<grid_for(flushBytes / 16, sms), 256>>>((const uint4*)scratch, flushBytes / 16, sink);
        if (d) discard_kernel<<<grid_for(flushBytes / 128, sms), 256>>>(scratch, flushBytes / 128);
        CK(cudaDeviceSynchronize());
        double cb = -1;
        if (mode == "wr_clk") cb = read_clock();
        if (mode == "wr_idle") usleep(2000);
        const bool blk = mode == "wr_blk";
        if (blk) {
          *(volatile int*)flag = 0;
          blocking_kernel<<<1, 1>>>(flagDev);
        }
        W x{};
        x.b = now_ns();
        CK(cudaEventRecord(e0));
        launch(n, s);
        CK(cudaEventRecord(e1));
        x.l = now_ns();
        if (blk) *(volatile int*)flag = 1;
        CK(cudaGetLastError());
        CK(cudaDeviceSynchronize());
        x.e = now_ns();
        float ms; CK(cudaEventElapsedTime(&ms, e0, e1));
        x.evUs = ms * 1e3;
        x.clkB = cb;
        x.clkA = read_clock();
        if (i >= warmup) ws.push_back(x);
      }
      std::vector<Rec> recs = take();
      if (dump && mode == "wr") {
        // Every activity from 2 ms before the last window to its end: what ran around one timed launch.
        const W& last = ws.back();
        for (const Rec& r : recs)
          if (r.start + 2000000 >= last.b && r.start <= last.e)
            std::printf("dump,%s,%lld,%s,kind=%d,stream=%u,start_rel_us=%.3f,end_rel_us=%.3f,dur_us=%.3f\n", mode.c_str(), n, r.name.c_str(), r.kind, r.stream,
                        ((double)r.start - (double)last.b) * 1e-3, ((double)r.end - (double)last.b) * 1e-3, (r.end - r.start) * 1e-3);
      }
      for (size_t k = 0; k < ws.size(); ++k) {
        const W& x = ws[k];
        double first = 1e300, last = 0; int acts = 0;
        for (const Rec& r : recs)
          if (r.kind == 1 && (r.name.find("vector_add") != std::string::npos || r.name.find("empty_kernel") != std::string::npos) && r.start >= x.b && r.start <= x.e) { first = std::min(first, (double)r.start); last = std::max(last, (double)r.end); ++acts; }
        const double cupti = acts ? (last - first) * 1e-3 : -1;
        cu.push_back(cupti); ev.push_back(x.evUs); clkA.push_back(x.clkA); clkB.push_back(x.clkB);
        std::printf("sample,%s,%lld,%zu,%.4f,%.4f,%.3f,%.3f,%.0f,%.0f,%d\n", mode.c_str(), n, k, cupti, x.evUs, (x.l - x.b) * 1e-3, (x.e - x.b) * 1e-3, x.clkA, x.clkB, acts);
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("summary,%s,%lld,cupti_us=%.4f,events_us=%.4f,clk_after_mhz=%.0f,clk_before_mhz=%.0f,seconds=%.2f\n", mode.c_str(), n, median(cu), median(ev), median(clkA), median(clkB), secs);
      std::fflush(stdout);
    }
  }
  return 0;
}
