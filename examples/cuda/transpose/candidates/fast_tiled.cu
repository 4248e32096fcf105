// out = transpose(in) through a 32 x 32 shared-memory tile: both the reads and the writes are coalesced.
// The tile has 33 columns so that reading a tile column touches 32 different banks. Launched like the
// original: 32 x 32 threads per block, one block per 32 x 32 tile.
#include <cuda_runtime.h>

constexpr int kTile = 32;

__global__ void transpose(const float* in, float* out, int rows, int cols) {
  __shared__ float tile[kTile][kTile + 1];
  int c = blockIdx.x * kTile + threadIdx.x;
  int r = blockIdx.y * kTile + threadIdx.y;
  if (r < rows && c < cols) tile[threadIdx.y][threadIdx.x] = in[static_cast<size_t>(r) * cols + c];
  __syncthreads();
  // Swap the block's roles: this thread now writes row (blockIdx.x * 32 + y) of out.
  int oc = blockIdx.y * kTile + threadIdx.x;  // Column of out = row of in.
  int orow = blockIdx.x * kTile + threadIdx.y;  // Row of out = column of in.
  if (orow < cols && oc < rows) out[static_cast<size_t>(orow) * rows + oc] = tile[threadIdx.x][threadIdx.y];
}
