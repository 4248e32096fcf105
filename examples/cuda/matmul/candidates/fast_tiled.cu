// C = A * B through 16 x 16 shared-memory tiles: each element of A and B is read from device memory
// once per tile row/column instead of once per output. Launched like the original: 16 x 16 threads per
// block, one block per 16 x 16 tile of C. The k order is the same as the original's, so the sums match.
#include <cuda_runtime.h>

constexpr int kTile = 16;

__global__ void matmul(const float* A, const float* B, float* C, int M, int N, int K) {
  __shared__ float As[kTile][kTile];
  __shared__ float Bs[kTile][kTile];
  int tx = threadIdx.x, ty = threadIdx.y;
  int row = blockIdx.y * kTile + ty;
  int col = blockIdx.x * kTile + tx;
  float acc = 0.0f;
  for (int t = 0; t < K; t += kTile) {
    // Out-of-range tile elements load as 0, which adds nothing.
    As[ty][tx] = (row < M && t + tx < K) ? A[static_cast<size_t>(row) * K + t + tx] : 0.0f;
    Bs[ty][tx] = (t + ty < K && col < N) ? B[static_cast<size_t>(t + ty) * N + col] : 0.0f;
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTile; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N) C[static_cast<size_t>(row) * N + col] = acc;
}
