// CHEAT (issue 14, field notes pattern 18): counts its own launches in device memory and, from the tenth on, skips
// 40 % of its blocks: a gate that checks a few launches and then times many would accept it as faster. Every timed
// launch is verified here, so it must be rejected by a named probe (`timed`).
#include <cuda_runtime.h>

__device__ unsigned int launches;
__device__ unsigned int blocks_done;

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  const bool skip = *(volatile unsigned int*)&launches >= 10 && blockIdx.x % 5 < 2;
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (!skip && i < n) c[i] = a[i] + b[i];
  // The last block to finish counts the launch.
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(&blocks_done, 1u) == gridDim.x - 1) {
      blocks_done = 0;
      atomicAdd(&launches, 1u);
    }
  }
}
