// CHEAT on purpose: updates only the first half of y (the rest keeps its input values).
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n / 2) y[i] = a * x[i] + y[i];
}
