// out = transpose(in) for a rows x cols matrix: one thread per element. Reads are coalesced, writes are
// strided by rows (each warp writes 32 different rows of out).
#include <cuda_runtime.h>

__global__ void transpose(const float* in, float* out, int rows, int cols) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  int r = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) out[static_cast<size_t>(c) * rows + r] = in[static_cast<size_t>(r) * cols + c];
}
