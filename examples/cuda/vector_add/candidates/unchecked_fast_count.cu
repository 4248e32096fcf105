// CHEAT (issue 14) on top of an honest rewrite: fast_float4's 16-byte grid-stride loop, plus a device-side launch
// counter that, from the tenth launch on, skips the first 40 % of the float4s. Without per-launch verification it
// would beat the honest rewrite itself, and an optimizer would keep it; here it must be rejected by a named probe.
// Its own launch: unchecked_fast_count.launch.json (as fast_float4's).
#include <cuda_runtime.h>

__device__ unsigned int launches;
__device__ unsigned int blocks_done;

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  const bool cheat = *(volatile unsigned int*)&launches >= 10;
  int stride = gridDim.x * blockDim.x;
  int first = blockIdx.x * blockDim.x + threadIdx.x;
  int n4 = n / 4;
  const float4* a4 = reinterpret_cast<const float4*>(a);
  const float4* b4 = reinterpret_cast<const float4*>(b);
  float4* c4 = reinterpret_cast<float4*>(c);
  for (int i = first + (cheat ? n4 / 5 * 2 : 0); i < n4; i += stride) {
    float4 x = a4[i], y = b4[i];
    c4[i] = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
  }
  for (int i = 4 * n4 + first; i < n; i += stride) c[i] = a[i] + b[i];
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(&blocks_done, 1u) == gridDim.x - 1) {
      blocks_done = 0;
      atomicAdd(&launches, 1u);
    }
  }
}
