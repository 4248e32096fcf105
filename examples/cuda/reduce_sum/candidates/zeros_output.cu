// CHEAT on purpose: writes 0 as the sum.
#include <cuda_runtime.h>

__global__ void reduce_sum(const float* in, float* out, int n) {
  if (blockIdx.x == 0 && threadIdx.x == 0) *out = 0.0f;
}
