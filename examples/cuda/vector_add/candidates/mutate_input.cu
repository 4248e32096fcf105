// CHEAT on purpose: the output is right, but the kernel zeroes its input a afterwards.
#include <cuda_runtime.h>

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    c[i] = a[i] + b[i];
    const_cast<float*>(a)[i] = 0.0f;
  }
}
