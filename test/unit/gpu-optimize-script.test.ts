// bench/gpu-optimize.sh run whole, as the lead runs it on the GPU machine, but on the stand-in GPU: its nvcc,
// nvidia-smi and gate runtime are first on PATH (fake-gpu-bin.ts), so the script, the scripted endpoint, the shipped
// CLI (dist/cli.js), the reports and the summary all run for real. The stand-in knows vector_add's buffers, so the
// examples are two copies of vector_add at a small size, their candidates marked with what the stand-in should make
// of them (`// stand-in: fast`, `wrong`, …). The summary must pass both; a doctored result must fail it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliPath } from '../lsp/client';
import { fakeGpuBin } from './fake-gpu-bin';
import { vectorAddAs } from './stand-in-examples';
import { REPO, tempDir } from './harness-helpers';

test('bench/gpu-optimize.sh on the stand-in GPU: the scripted loop chooses the fast candidate, the search says nothing faster, every record re-derives', { timeout: 300_000 }, () => {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  const root = tempDir('gpu-optimize-script');
  const examples = join(root, 'examples');
  for (const name of ['vector_add', 'vadd_copy']) vectorAddAs(examples, name);
  for (const d of ['tmp', 'cache']) mkdirSync(join(root, d));
  const out = join(root, 'out');
  const env = { ...process.env, ...fakeGpuBin(root), EXAMPLES: examples, CLI_ARGS: '--no-sandbox', TMPDIR: join(root, 'tmp'), XDG_CACHE_HOME: join(root, 'cache'), KERNELPILOT_API_KEY: '', OPENAI_API_KEY: '' };
  const run = spawnSync('bash', [join(REPO, 'bench', 'gpu-optimize.sh'), process.execPath, out], { cwd: REPO, env, encoding: 'utf8', timeout: 280_000 });
  const summary = readFileSync(join(out, 'summary.txt'), 'utf8');
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(summary, /^PASS vadd_copy$/m);
  assert.match(summary, /^PASS vector_add$/m);
  assert.match(summary, /vector_add +\| fast_float4 1\.[56]\d× \| 12\/12 rejected +\| compile error → no significant difference \(1\.00×\) \| no significant difference \(1\.00×\) \| 16 re-derived/);
  assert.match(summary, /vector_add +\| nothing faster found +\| 8 in [\d.]+ s \| [\d.]+ +\| 8 re-derived/);
  const served = readFileSync(join(out, 'vector_add.endpoint.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; served: string });
  assert.equal(served.filter((s) => s.kind === 'first').length, 15, 'one first answer per slot');
  assert.ok(served.some((s) => s.kind === 'repair' && s.served === 'repaired'));
  for (const part of ['scripted', 'search']) assert.ok(existsSync(join(out, `vector_add.${part}.report.json`)));

  // A cheat the gate had accepted as faster, and a record that does not re-derive: the summary fails the example.
  const scripted = JSON.parse(readFileSync(join(out, 'vector_add.scripted.json'), 'utf8')) as { attempts: Array<{ description?: string; accepted: boolean; result: string }> };
  const zeros = scripted.attempts.find((a) => a.description?.startsWith('Scripted answer zeros_output')) ?? assert.fail('the zeros_output attempt');
  Object.assign(zeros, { accepted: true, result: 'accepted: 2.50× faster, 0.400 ms' });
  writeFileSync(join(out, 'vector_add.scripted.json'), JSON.stringify(scripted));
  const report = JSON.parse(readFileSync(join(out, 'vadd_copy.search.report.json'), 'utf8')) as { mismatches: string[] };
  report.mismatches.push('r01-c01-a0: speedup is 1.5 in the attempt record, 1 re-derived from its gate record');
  writeFileSync(join(out, 'vadd_copy.search.report.json'), JSON.stringify(report));
  const doctored = spawnSync(process.execPath, [join(REPO, 'bench', 'optimize-summary.mjs'), out], { encoding: 'utf8' });
  assert.equal(doctored.status, 1);
  assert.match(doctored.stdout, /^FAIL vector_add: scripted: cheats accepted as faster: zeros_output$/m);
  assert.match(doctored.stdout, /^FAIL vadd_copy: search: the report does not re-derive: r01-c01-a0: speedup is 1\.5/m);
});
