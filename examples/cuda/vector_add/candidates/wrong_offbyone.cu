// WRONG on purpose: reads b one element too far (a typical indexing slip).
#include <cuda_runtime.h>

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i + 1 < n ? i + 1 : i];
}
