// The Nsight Compute recordings of test/fixtures/profile/ncu (bench/results/profile-2026-11-29-h200 says how they were
// made): six examples and three hint kernels, one launch each on an H200.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES, REPO } from './harness-helpers';

export const NCU_DIR = join(REPO, 'test/fixtures/profile/ncu');
export const KERNELS_DIR = join(REPO, 'test/fixtures/profile/kernels');

export interface Recorded {
  name: string;
  /** The kernel's file in this checkout (the recordings name it under /work/main/). */
  file: string;
  kernel: string;
  spec: string;
}

const examples = ['matmul', 'reduce_sum', 'saxpy', 'softmax', 'transpose', 'vector_add'];
const hints: Record<string, string> = { strided: 'gather_strided', spill: 'spill_accumulate', small_grid: 'scale_few_blocks' };

export const RECORDED: Recorded[] = [
  ...examples.map((name) => ({ name, file: join(EXAMPLES, name, `${name}.cu`), kernel: name, spec: join(EXAMPLES, name, `${name}.spec.json`) })),
  ...Object.entries(hints).map(([name, kernel]) => ({ name, file: join(KERNELS_DIR, `${name}.cu`), kernel, spec: join(KERNELS_DIR, `${name}.spec.json`) })),
];

export function recording(name: string, kind: 'raw.csv' | 'details.csv' | 'source.csv' | 'source-cuda.csv' | 'sass.txt' | 'nvdisasm.txt' | 'ncu.log'): string {
  return readFileSync(join(NCU_DIR, `${name}.${kind}`), 'utf8');
}
