// CHEAT on purpose: writes into its input A (scales the first column by 2). Other threads of the same row
// may read A before or after, so some outputs are wrong too; the input checksum catches it either way.
#include <cuda_runtime.h>

__global__ void matmul(const float* A, const float* B, float* C, int M, int N, int K) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (row < M && col < N) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += A[static_cast<size_t>(row) * K + k] * B[static_cast<size_t>(k) * N + col];
    C[static_cast<size_t>(row) * N + col] = acc;
    if (col == N - 1) const_cast<float*>(A)[static_cast<size_t>(row) * K] *= 2.0f;
  }
}
