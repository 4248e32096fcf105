// Re-derives a recorded `kernelpilot kernelbench --json` output (its tasks' runs and plans) with this checkout's
// derive/kernelbench.ts and prints the fast_p lines: how a change of the derivation reads on recorded GPU runs.
// Usage: node --import ./scripts/ts.mjs bench/kernelbench-rederive.ts OURS.json [...]
import { readFileSync } from 'node:fs';
import type { KernelBenchTaskRun } from '../server/src/bench/kernelbench';
import { summaryLines } from '../server/src/bench/kernelbench-format';
import { taskResult } from '../server/src/derive/kernelbench';

for (const file of process.argv.slice(2)) {
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as { tasks: KernelBenchTaskRun[] };
  const tasks = recorded.tasks.map((t) => (t.run ? { ...t, result: taskResult(t.result.task, t.run, t.plan) } : t));
  process.stdout.write(`${file}\n${summaryLines(tasks).map((l) => `  ${l}`).join('\n')}\n`);
}
