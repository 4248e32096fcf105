// The Nsight Compute recordings of test/fixtures/profile/ncu (bench/results/profile-2026-11-29-h200 says how they were
// made): six examples and three hint kernels, one launch each on an H200.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../server/src/kernels/discover';
import { buildReport, liveFromExports } from '../../server/src/profile/build-report';
import { parseRawPage, rawNumber } from '../../server/src/profile/ncu-csv';
import type { KernelIdentity, KernelResources, ProfileReport } from '../../server/src/profile/report';
import { kernelTextHash, sha256Hex } from '../../server/src/profile/stale';
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

/** What ptxas says of the recorded build, as ncu read it back (profile-static.test.ts compares ptxas with ncu). */
export function resourcesAsNcuSaw(name: string): KernelResources {
  const [launch] = parseRawPage(recording(name, 'raw.csv'));
  const n = (metric: string) => rawNumber(launch, metric) ?? NaN;
  return { registersPerThread: n('launch__registers_per_thread'), staticSharedBytes: n('launch__shared_mem_per_block_static'), stackFrameBytes: 0, spillStoreBytes: 0, spillLoadBytes: 0, barriers: n('launch__barrier_count') };
}

/** The report of a recording; `identity` overrides the kernel's (its file and hashes, for a copy in a workspace). */
export function recordedReport(name: string, resources = resourcesAsNcuSaw(name), identity: Partial<KernelIdentity> = {}): ProfileReport {
  const r = RECORDED.find((x) => x.name === name);
  assert.ok(r, `no recording named ${name}`);
  const file = identity.file ?? r.file;
  const { live, lines, carveoutBytes } = liveFromExports({ raw: recording(name, 'raw.csv'), details: recording(name, 'details.csv'), source: recording(name, 'source.csv') }, file, { clockControl: 'none' });
  return buildReport({
    identity: { name: r.kernel, qualifiedName: r.kernel, file, kernelHash: '0', fileHash: '0', line: 0, target: 'recorded', arch: 'sm_90', launch: live.launch, ...identity },
    static: { arch: 'sm_90', launch: live.launch, ...(carveoutBytes !== undefined ? { carveoutBytes } : {}), resources },
    live,
    liveLines: lines,
  });
}

/** The report of a recording for `file`, a copy of the recorded kernel's source: hashed and placed as a profile run would. */
export async function recordedReportFor(name: string, file: string): Promise<ProfileReport> {
  const text = readFileSync(file, 'utf8');
  const r = RECORDED.find((x) => x.name === name);
  const kernel = (await discover(file, text)).kernels.find((k) => k.qualifiedName === r?.kernel);
  assert.ok(kernel, `${file} has no kernel ${r?.kernel}`);
  return recordedReport(name, resourcesAsNcuSaw(name), { file, kernelHash: kernelTextHash(text, kernel.range), fileHash: sha256Hex(text), line: kernel.range.start.line });
}
