// The prompt a model gets: the kernel with just what it depends on (not the rest of the file), its launch sites,
// the spec with sizes, sweep, dtypes and tolerance, the GPU and its ceilings, the baseline's figures, the profiler
// block when there is one, the strategy's guidance, and what was already tried.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discover } from '../../server/src/kernels/discover';
import { conversation, proposalPrompt } from '../../server/src/llm/prompt';
import type { ProposalRequest } from '../../server/src/optimize/proposer';
import { tempDir } from './harness-helpers';
import { vectorAddProblem } from './optimize-helpers';

const T = { timeout: 30_000 };
const FILE = `#include <cuda_runtime.h>
#define SCALE 2.0f
struct Pair { float x, y; };
__device__ float twice(float v) { return SCALE * v; }
__device__ float unused_helper(float v) { return v; }
static void host_only() {}

__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = twice(a[i]) + b[i];
}

void launch(const float* a, const float* b, float* c, int n) {
  vector_add<<<(n + 255) / 256, 256>>>(a, b, c, n);
}
`;

test('the proposal prompt carries the kernel in context, the spec, the GPU, the baseline, the profile and the history', T, async () => {
  const file = join(tempDir('llm-prompt'), 'k.cu');
  writeFileSync(file, FILE);
  const base = await vectorAddProblem();
  const kernel = (await discover(file, FILE)).kernels[0];
  const request: ProposalRequest = {
    id: 'r02-c01-a0',
    problem: { ...base, file, source: FILE, kernel, profile: 'dram__throughput 61 %' },
    parent: { id: 'baseline', candidate: { source: FILE }, speedup: 1 },
    strategy: 'memory-coalescing',
    tried: [
      { id: 'r01-c01-a0', strategy: 'fusion', parent: 'baseline', result: 'rejected at probes (match): outputs differ' },
      { id: 'r01-c02-a0', strategy: 'block-size', parent: 'baseline', result: 'accepted: 1.10× faster', description: 'block size 512 instead of 256' },
      { id: 'r01-c03-a0', strategy: 'tensor-cores', parent: 'baseline', result: 'accepted: 1.20× faster', description: `${'Use mma.sync '.repeat(20)}\nSecond paragraph.` },
    ],
    seen: new Set(),
  };
  const prompt = await proposalPrompt(request);
  assert.match(prompt, /^# Make `vector_add` faster/);
  assert.match(prompt, /Strategy for this candidate: \*\*memory coalescing \/ vectorized access\*\*/);
  assert.match(prompt, /vector loads and\s+stores \(`float4`/, 'the strategy guidance from strategies.md');
  assert.match(prompt, /```cuda\n__global__ void vector_add[\s\S]*twice\(a\[i\]\)[\s\S]*?\n}\n```/);
  assert.match(prompt, /#include <cuda_runtime.h>\n#define SCALE 2.0f\n__device__ float twice/, 'the includes, the macro and the device function it uses');
  assert.doesNotMatch(prompt, /unused_helper|host_only|struct Pair/, 'nothing it does not use');
  assert.match(prompt, /- line 14: `vector_add<<<\(n \+ 255\) \/ 256, 256>>>\(a, b, c, n\);`/);
  assert.match(prompt, /Sizes: n = 67108864; also checked at n = 1048576; n = 16777216; n = 67108863/);
  assert.match(prompt, /`a`: input float32\[n\], filled uniform\[-1, 1\)/);
  assert.match(prompt, /Launch: <<<grid \(\(n \+ 255\) \/ 256\), block \(256\)>>>/);
  assert.match(prompt, /Tolerance: float32: rtol [\d.e-]+, atol [\d.e-]+/);
  assert.match(prompt, /GPU: Fake H200 \(compute capability 9.0\); measured ceilings: 4.00 TB\/s copy, 60.00 TFLOP\/s FP32/);
  assert.match(prompt, /The original kernel: 0.250 ms median, 60 % of the roofline \(memory-bound\)/);
  assert.match(prompt, /## Profiler report\n\n```\ndram__throughput 61 %\n```/);
  assert.match(prompt, /- r01-c01-a0 \(fusion, from baseline\): rejected at probes \(match\): outputs differ/);
  // What each attempt changed, where it said so: a variant of the search exactly, a model's prose by its first line, cut.
  assert.match(prompt, /- r01-c02-a0 \(block-size, from baseline: block size 512 instead of 256\): accepted: 1\.10× faster/);
  assert.match(prompt, /- r01-c03-a0 \(tensor-cores, from baseline: (Use mma\.sync ){12}Use…\): accepted: 1\.20× faster/);
  assert.doesNotMatch(prompt, /Second paragraph/);

  const messages = await conversation(request, [{ proposal: { kind: 'unusable', problem: 'x', exchange: { messages: [], response: 'I think…', model: 'm', usage: { inputTokens: 1, outputTokens: 1 } } }, feedback: 'It did not compile:\n- line 3: error: boom' }]);
  assert.deepEqual(messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
  assert.match(messages[0].content, /one ```cuda code block/);
  assert.equal(messages[2].content, 'I think…');
  assert.match(messages[3].content, /^It did not compile:\n- line 3: error: boom\n\nFix this and answer again/);
  const plain = await proposalPrompt({ ...request, problem: { ...request.problem, profile: undefined }, tried: [] });
  assert.doesNotMatch(plain, /Profiler report|Already tried/);
  // The round's parent's own profile wins over the run's.
  const parentProfiled = await proposalPrompt({ ...request, parent: { ...request.parent, profile: 'hint ~79 % Uncoalesced global load' }, tried: [] });
  assert.match(parentProfiled, /## Profiler report\n\n```\nhint ~79 % Uncoalesced global load\n```/);
  assert.doesNotMatch(parentProfiled, /dram__throughput 61 %/);
});
