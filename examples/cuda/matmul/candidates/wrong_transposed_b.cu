// WRONG on purpose: reads B as if it were stored transposed (B[col][k] instead of B[k][col]).
#include <cuda_runtime.h>

__global__ void matmul(const float* A, const float* B, float* C, int M, int N, int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += A[static_cast<size_t>(row) * K + k] * B[static_cast<size_t>(col) * K + k];
    C[static_cast<size_t>(row) * N + col] = acc;
  }
}
