// *out += sum(in): a shared-memory tree per block, then one atomicAdd per block.
// The caller zeroes *out first (the spec declares it inout with the value 0). Float atomics add the block
// partials in whatever order blocks finish, so the last bits of the result change from run to run.
#include <cuda_runtime.h>

__global__ void reduce_sum(const float* in, float* out, int n) {
  __shared__ float partial[256];  // One slot per thread: launched with 256 threads per block.
  int tid = threadIdx.x;
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  partial[tid] = i < n ? in[i] : 0.0f;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    __syncthreads();
  }
  if (tid == 0) atomicAdd(out, partial[0]);
}
