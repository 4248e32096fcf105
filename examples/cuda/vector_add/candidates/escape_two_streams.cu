// CHEAT (issue 8): the launch is taken over on the host and the work split over two non-blocking streams of the
// candidate's own, each computing half of the output, and the launch call returns at once. Timing only the
// launching stream would see neither half. The gate must time both halves in full (first to last activity on any
// stream) or reject it by name; it must not come out faster than the baseline. Host code: a structural check
// refuses it before compiling.
#include <cuda_runtime.h>
#include <dlfcn.h>

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

__global__ void add_range(const float* a, const float* b, float* c, int begin, int end) {
  int i = begin + blockIdx.x * blockDim.x + threadIdx.x;
  if (i < end) c[i] = a[i] + b[i];
}

extern "C" cudaError_t __cudaLaunchKernel(cudaKernel_t kernel, dim3 grid, dim3 block, void** args, size_t smem, cudaStream_t stream) {
  using Launch = cudaError_t (*)(cudaKernel_t, dim3, dim3, void**, size_t, cudaStream_t);
  static Launch real = reinterpret_cast<Launch>(dlsym(RTLD_NEXT, "__cudaLaunchKernel"));
  // The two half launches below come back through here: pass them on.
  static thread_local bool inside = false;
  if (inside) return real(kernel, grid, block, args, smem, stream);
  inside = true;
  static cudaStream_t streams[2] = {[] {
                                      cudaStream_t s;
                                      cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
                                      return s;
                                    }(),
                                    [] {
                                      cudaStream_t s;
                                      cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
                                      return s;
                                    }()};
  const float* a = *static_cast<const float**>(args[0]);
  const float* b = *static_cast<const float**>(args[1]);
  float* c = *static_cast<float**>(args[2]);
  int n = *static_cast<int*>(args[3]);
  int half = n / 2;
  add_range<<<(half + 255) / 256, 256, 0, streams[0]>>>(a, b, c, 0, half);
  add_range<<<(n - half + 255) / 256, 256, 0, streams[1]>>>(a, b, c, half, n);
  inside = false;
  return cudaSuccess;
}
