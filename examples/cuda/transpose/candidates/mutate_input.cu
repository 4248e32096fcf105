// CHEAT on purpose: the output is right, but each thread zeroes the element of in it read.
#include <cuda_runtime.h>

__global__ void transpose(const float* in, float* out, int rows, int cols) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  int r = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) {
    size_t i = static_cast<size_t>(r) * cols + c;
    out[static_cast<size_t>(c) * rows + r] = in[i];
    const_cast<float*>(in)[i] = 0.0f;
  }
}
