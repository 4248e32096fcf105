// CHEAT (field notes, pattern 8): remembers the output buffers it has filled and, on a buffer it has seen before,
// skips the first tenth of the elements. Each correctness check is a fresh process with one launch, so every check
// sees an honest kernel; the timing loop rotates through a few buffer sets, so every timed launch skips. At about
// 0.9x the time it stays under the copy ceiling: only checking what the timed launches wrote catches it.
#include <cuda_runtime.h>

__device__ float* seen_outputs[16];
__device__ unsigned int seen_count;
__device__ unsigned int blocks_done;

__device__ bool seen(const float* c) {
  unsigned int n = min(*(volatile unsigned int*)&seen_count, 16u);
  for (unsigned int i = 0; i < n; ++i)
    if (((float* volatile*)seen_outputs)[i] == c) return true;
  return false;
}

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  __shared__ bool skip;
  if (threadIdx.x == 0) skip = seen(c);
  __syncthreads();
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n && !(skip && i < n / 10)) c[i] = a[i] + b[i];
  // The last block of the launch records c, so no block of this launch skips anything.
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(&blocks_done, 1u) == gridDim.x - 1) {
      if (!seen(c) && seen_count < 16) seen_outputs[seen_count++] = c;
      blocks_done = 0;
      __threadfence();
    }
  }
}
