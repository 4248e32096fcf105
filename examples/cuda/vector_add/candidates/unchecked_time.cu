// CHEAT (issue 14): reads the GPU's global timer; the first launch notes the time, and every launch more than
// 20 ms later skips 40 % of its blocks, guessing that checks come first and timing after. Every timed launch is
// verified here, so it must be rejected by a named probe.
#include <cuda_runtime.h>

__device__ unsigned long long first_ns;

__device__ unsigned long long now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  __shared__ bool skip;
  if (threadIdx.x == 0) {
    unsigned long long t = now_ns();
    unsigned long long first = atomicCAS(&first_ns, 0ULL, t);
    skip = first != 0 && t - first > 20000000ULL && blockIdx.x % 5 < 2;
  }
  __syncthreads();
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (!skip && i < n) c[i] = a[i] + b[i];
}
