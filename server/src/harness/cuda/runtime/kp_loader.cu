// ===================== KernelPilot gate runtime: loading kernel versions =====================
// Each version is a shared object loaded with RTLD_LOCAL, so the baseline and a candidate may both define
// `vector_add` (and `__device__ int counter`): each module keeps its own, and the runtime reaches each version only
// through the table its kp_version_table() returns.
//
// While a version loads, its module registers its device variables with the CUDA runtime (nvcc's generated
// static initialisers call __cudaRegisterVar). This executable exports its own __cudaRegisterVar (and the managed
// form; the build passes a dynamic list naming exactly these), which notes each variable and forwards to the CUDA
// runtime's: so the gate knows every writable device variable of a candidate, including those from headers and
// template instantiations, and can tell the trust report whether the candidate keeps state across launches.
#include "kp_gate.cuh"

#include <dlfcn.h>

#include <cstring>

namespace {

kp::Version* g_loading = nullptr;  // The version whose module is registering right now (inside dlopen).

template <class F> F next_definition(const char* name) {
  F real = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (!real) kp::fail("load", std::string("the CUDA runtime has no ") + name + ": this gate runtime needs a CUDA runtime that registers device variables through it");
  return real;
}

void note(const char* name, const void* hostShadow, size_t bytes, bool managed) {
  if (g_loading && name) g_loading->variables.push_back({name, hostShadow, bytes, managed});
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void __cudaRegisterVar(void** fatCubinHandle, char* hostVar, char* deviceAddress, const char* deviceName, int ext,
                                                              size_t size, int constant, int global) {
  using Fn = void (*)(void**, char*, char*, const char*, int, size_t, int, int);
  static Fn real = next_definition<Fn>("__cudaRegisterVar");
  if (!constant) note(deviceName, hostVar, size, false);  // __constant__ memory cannot be written by a kernel.
  real(fatCubinHandle, hostVar, deviceAddress, deviceName, ext, size, constant, global);
}

__attribute__((visibility("default"))) void __cudaRegisterManagedVar(void** fatCubinHandle, void** hostVarPtrAddress, char* deviceAddress, const char* deviceName,
                                                                     int ext, size_t size, int constant, int global) {
  using Fn = void (*)(void**, void**, char*, const char*, int, size_t, int, int);
  static Fn real = next_definition<Fn>("__cudaRegisterManagedVar");
  if (!constant) note(deviceName, hostVarPtrAddress, size, true);
  real(fatCubinHandle, hostVarPtrAddress, deviceAddress, deviceName, ext, size, constant, global);
}

}  // extern "C"

namespace kp {

Version load_version(const std::string& role, const std::string& path) {
  Version v;
  v.role = role;
  v.path = path;
  g_loading = &v;
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  g_loading = nullptr;
  if (!handle) fail("load", "cannot load the " + role + " version " + path + ": " + dlerror());
  auto entry = reinterpret_cast<kp_version_entry_fn>(dlsym(handle, KP_VERSION_ENTRY));
  if (!entry) fail("load", "the " + role + " version " + path + " has no " + KP_VERSION_ENTRY + ": it was not built by KernelPilot's generator");
  v.table = entry();
  if (!v.table || v.table->abi != kAbi) {
    fail("load", "the " + role + " version " + path + " was built for another gate runtime (ABI " + std::to_string(v.table ? v.table->abi : -1) + ", this runtime " +
                     std::to_string(kAbi) + "): rebuild it");
  }
  if (!v.table->launch || !v.table->describe) fail("load", "the " + role + " version " + path + " has no launch or describe function");
  if (v.table->bufferCount < 0 || v.table->bufferCount > kMaxArgs || v.table->sizeCount < 0 || v.table->sizeCount > kMaxSizes) {
    fail("load", "the " + role + " version " + path + " declares " + std::to_string(v.table->bufferCount) + " buffers and " + std::to_string(v.table->sizeCount) +
                     " size variables; at most " + std::to_string(kMaxArgs) + " and " + std::to_string(kMaxSizes));
  }
  return v;
}

void check_same_buffers(const Version& baseline, const Version& candidate) {
  const VersionTable& a = *baseline.table;
  const VersionTable& b = *candidate.table;
  if (a.bufferCount != b.bufferCount || a.sizeCount != b.sizeCount) {
    fail("load", "the candidate was built from another spec than the baseline (" + std::to_string(b.bufferCount) + " buffers, " + std::to_string(b.sizeCount) +
                     " sizes; the baseline has " + std::to_string(a.bufferCount) + " and " + std::to_string(a.sizeCount) + ")");
  }
  for (int i = 0; i < a.bufferCount; ++i) {
    if (std::strcmp(a.buffers[i].name, b.buffers[i].name) != 0 || a.buffers[i].dtype != b.buffers[i].dtype || a.buffers[i].role != b.buffers[i].role) {
      fail("load", std::string("buffer ") + std::to_string(i) + " differs between baseline ('" + a.buffers[i].name + "') and candidate ('" + b.buffers[i].name +
                       "'): both must be built from the same spec");
    }
  }
}

}  // namespace kp
