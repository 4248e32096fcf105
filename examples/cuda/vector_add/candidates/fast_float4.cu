// c = a + b with 16-byte loads and stores and a grid-stride loop: a quarter of the memory instructions.
// Its own launch (fast_float4.launch.json): one float4 per thread, a quarter of the baseline's grid. The grid-stride
// loops keep it right under any launch, the spec's included.
#include <cuda_runtime.h>

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int stride = gridDim.x * blockDim.x;
  int first = blockIdx.x * blockDim.x + threadIdx.x;
  int n4 = n / 4;
  const float4* a4 = reinterpret_cast<const float4*>(a);
  const float4* b4 = reinterpret_cast<const float4*>(b);
  float4* c4 = reinterpret_cast<float4*>(c);
  for (int i = first; i < n4; i += stride) {
    float4 x = a4[i], y = b4[i];
    c4[i] = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
  }
  // The last n % 4 elements, one thread each.
  for (int i = 4 * n4 + first; i < n; i += stride) c[i] = a[i] + b[i];
}
