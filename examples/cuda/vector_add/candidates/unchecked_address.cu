// CHEAT (issue 14, field notes pattern 19): remembers the output addresses it has written and, on an address it has
// seen twice before, skips 40 % of its blocks, guessing that checks use fresh buffers and timing reuses a few.
// Fresh values and verification on every launch catch it, whatever the addresses: rejected by a named probe.
#include <cuda_runtime.h>

__device__ float* addresses[32];
__device__ unsigned int uses[32];
__device__ unsigned int blocks_done;

__device__ unsigned int times_seen(const float* c) {
  for (unsigned int k = 0; k < 32; ++k)
    if (((float* volatile*)addresses)[k] == c) return ((volatile unsigned int*)uses)[k];
  return 0;
}

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  __shared__ bool skip;
  if (threadIdx.x == 0) skip = times_seen(c) >= 2 && blockIdx.x % 5 < 2;
  __syncthreads();
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (!skip && i < n) c[i] = a[i] + b[i];
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(&blocks_done, 1u) == gridDim.x - 1) {
      blocks_done = 0;
      unsigned int k = 0;
      while (k < 32 && addresses[k] != nullptr && addresses[k] != c) ++k;
      if (k < 32) {
        addresses[k] = c;
        uses[k]++;
      }
      __threadfence();
    }
  }
}
