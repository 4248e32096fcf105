// Examples for the GPU scripts' tests on the stand-in GPU (job-fake-gpu.ts), which knows vector_add's buffers: copies
// of examples/cuda/vector_add under other names, at a small size, their candidates marked with what the stand-in
// should make of them (`// stand-in: fast`, `wrong`, …).
import { cpSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES } from './harness-helpers';

/** What the stand-in makes of each kind of example candidate (escape_ ones are host code: the check refuses them). */
const STAND_IN: Record<string, string> = { fast: 'fast', wrong: 'wrong', partial: 'partial', mutate: 'mutate', zeros: 'zeros', cache: 'wrong', unchecked: 'stale-timed' };

/** examples/cuda/vector_add copied as `name`, at n = 1024 without sweep points, its candidates marked for the stand-in. */
export function vectorAddAs(examples: string, name: string): void {
  const dir = join(examples, name);
  cpSync(join(EXAMPLES, 'vector_add'), dir, { recursive: true });
  renameSync(join(dir, 'vector_add.cu'), join(dir, `${name}.cu`));
  const spec = JSON.parse(readFileSync(join(dir, 'vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, `${name}.spec.json`), JSON.stringify({ ...spec, file: `${name}.cu`, sizes: { n: 1024 }, sweep: undefined }));
  for (const file of readdirSync(join(dir, 'candidates')).filter((f) => f.endsWith('.cu'))) {
    const mark = STAND_IN[file.split('_')[0]];
    if (!mark) continue;
    const path = join(dir, 'candidates', file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/(__global__ void vector_add\([^)]*\) \{)/, `$1\n  // stand-in: ${mark}`));
  }
}
