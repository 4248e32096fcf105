// CHEAT on purpose: y is right, but the kernel zeroes its input x afterwards.
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    y[i] = a * x[i] + y[i];
    const_cast<float*>(x)[i] = 0.0f;
  }
}
