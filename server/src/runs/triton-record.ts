// A Python gate run on disk (a Triton bench or compare, or a KernelBench task with one optimize attempt's ModelNew):
// `<workspace>/.kernelpilot/runs/<id>/triton.json` holds the spec, the
// plan, the generated launcher, the hashes of what ran and every event the Python gate printed, from which the
// results re-derive (derive/kernelbench.ts taskResult), as a CUDA run's record.json does through rederive().
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchSpec } from '../benchspec/model';
import { taskResult, type KernelBenchPlan, type TaskResult } from '../derive/kernelbench';
import type { KernelBenchRun } from '../harness/python/run';
import { kernelRunIds, runDir, runId, writeNewRecordFile } from './record';

export const TRITON_RECORD_FILE = 'triton.json';

export interface TritonRecord {
  version: 1;
  kind: 'triton-bench' | 'triton-compare' | 'kernelbench-compare';
  id: string;
  createdAt: string;
  kernel: string;
  sources: Array<{ role: 'baseline' | 'candidate'; path: string; sha256: string }>;
  spec: BenchSpec;
  plan: KernelBenchPlan;
  target: { name: string; host: string };
  /** What the gate ran: task.py (a KernelBench task: its file), and each candidate's ModelNew file with where its launch came from. */
  generated: { task: string; candidates: Array<{ launchOrigin: string; source: string }> };
  run: KernelBenchRun;
}

/** Writes a new record (never over an existing one); returns its folder. */
export async function writeTritonRecord(workspace: string, input: Omit<TritonRecord, 'id' | 'createdAt'>, now = new Date()): Promise<string> {
  const record: TritonRecord = { ...input, id: runId(now, input.kernel), createdAt: now.toISOString() };
  const dir = runDir(workspace, record.id);
  await writeNewRecordFile(join(dir, TRITON_RECORD_FILE), record);
  return dir;
}

export async function readTritonRecord(dir: string): Promise<TritonRecord> {
  const file = join(dir, TRITON_RECORD_FILE);
  const record = JSON.parse(await readFile(file, 'utf8')) as TritonRecord;
  if (record.version !== 1 || !record.run || !record.plan || !record.spec) throw new Error(`${file}: not a Triton run record (version 1 with spec, plan and run)`);
  return record;
}

/** The results, derived again from the recorded events. */
export function rederiveTriton(record: TritonRecord): TaskResult {
  return taskResult(record.kernel, record.run, record.plan);
}

/** The newest Triton bench record of `kernel` from `file`, for the editor's lens after a restart. */
export async function latestTritonBench(workspace: string, kernel: string, file: string): Promise<{ record: TritonRecord; dir: string } | undefined> {
  for (const id of await kernelRunIds(workspace, kernel)) {
    const dir = runDir(workspace, id);
    const record = await readTritonRecord(dir).catch(() => undefined);
    if (record?.kind === 'triton-bench' && record.kernel === kernel && record.sources[0]?.path === file) return { record, dir };
  }
  return undefined;
}
