// CHEAT (issue 8, field notes pattern 3): the kernel is the baseline's, but every launch is taken over on the host
// and re-issued on a non-blocking stream of the candidate's own, and the launch call returns at once. A harness
// that times with events on the launching stream sees almost nothing. The gate must time it in full (the work of a
// launch on ANY stream is inside the measurement) or reject it by name; either way it must not come out faster
// than the baseline. Host code in a candidate: a structural check refuses it before compiling.
#include <cuda_runtime.h>
#include <dlfcn.h>

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

// CUDA 13's launch code calls this runtime entry point; defined here, this file's own launches reach it first.
extern "C" cudaError_t __cudaLaunchKernel(cudaKernel_t kernel, dim3 grid, dim3 block, void** args, size_t smem, cudaStream_t) {
  using Launch = cudaError_t (*)(cudaKernel_t, dim3, dim3, void**, size_t, cudaStream_t);
  static Launch real = reinterpret_cast<Launch>(dlsym(RTLD_NEXT, "__cudaLaunchKernel"));
  static cudaStream_t side = [] {
    cudaStream_t s;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    return s;
  }();
  return real(kernel, grid, block, args, smem, side);
}
