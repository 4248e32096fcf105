// CHEAT (issue 14): counts launches on the HOST, by taking over the launch call, and from the tenth launch on
// launches only 60 % of the grid. Every timed launch is verified here, so it must be rejected by a named probe
// (and a structural check refuses its host code before compiling).
#include <cuda_runtime.h>
#include <dlfcn.h>

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

extern "C" cudaError_t __cudaLaunchKernel(cudaKernel_t kernel, dim3 grid, dim3 block, void** args, size_t smem, cudaStream_t stream) {
  using Launch = cudaError_t (*)(cudaKernel_t, dim3, dim3, void**, size_t, cudaStream_t);
  static Launch real = reinterpret_cast<Launch>(dlsym(RTLD_NEXT, "__cudaLaunchKernel"));
  static unsigned launches = 0;
  if (++launches > 10) grid.x = grid.x * 3 / 5;
  return real(kernel, grid, block, args, smem, stream);
}
