// Row-wise softmax with one WARP per row: the 32 lanes read a row together (coalesced), and warp shuffles
// combine their maxima and sums. Same launch as the original (rows threads in all, so rows/32 warps): each
// warp walks rows with a grid stride. The row is read three times; the second and third reads hit the cache.
#include <cuda_runtime.h>
#include <math.h>

__device__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

__device__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__global__ void softmax(const float* x, float* y, int rows, int cols) {
  int lane = threadIdx.x & 31;
  int warps = static_cast<int>((static_cast<long long>(gridDim.x) * blockDim.x) / 32);
  int first = static_cast<int>((static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32);
  for (int r = first; r < rows; r += warps) {
    const float* in = x + static_cast<size_t>(r) * cols;
    float* out = y + static_cast<size_t>(r) * cols;
    float m = -INFINITY;
    for (int c = lane; c < cols; c += 32) m = fmaxf(m, in[c]);
    m = warp_max(m);
    float sum = 0.0f;
    for (int c = lane; c < cols; c += 32) sum += expf(in[c] - m);
    float inv = 1.0f / warp_sum(sum);
    for (int c = lane; c < cols; c += 32) out[c] = expf(in[c] - m) * inv;
  }
}
