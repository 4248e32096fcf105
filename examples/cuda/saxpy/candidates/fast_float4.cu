// y = a * x + y with 16-byte accesses, fused multiply-add and a grid-stride loop.
// Its own launch (fast_float4.launch.json): one float4 per thread, a quarter of the baseline's grid. The grid-stride
// loops keep it right under any launch, the spec's included.
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float* x, float* y) {
  int stride = gridDim.x * blockDim.x;
  int first = blockIdx.x * blockDim.x + threadIdx.x;
  int n4 = n / 4;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float4* y4 = reinterpret_cast<float4*>(y);
  for (int i = first; i < n4; i += stride) {
    float4 u = x4[i], v = y4[i];
    y4[i] = make_float4(fmaf(a, u.x, v.x), fmaf(a, u.y, v.y), fmaf(a, u.z, v.z), fmaf(a, u.w, v.w));
  }
  for (int i = 4 * n4 + first; i < n; i += stride) y[i] = fmaf(a, x[i], y[i]);
}
