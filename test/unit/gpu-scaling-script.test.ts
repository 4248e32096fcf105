// bench/gpu-scaling.sh run whole, as the lead runs it on a 2- or 4-GPU machine, but on the stand-in GPU with two
// GPUs whose candidate processes each take EVALUATE_MS: the script, the shipped CLI (dist/cli.js) and the summary run
// for real, so the two GPUs must gate the same candidate set about twice as fast as one. A failed compare fails it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliPath } from '../lsp/client';
import { fakeGpuBin } from './fake-gpu-bin';
import { REPO, tempDir } from './harness-helpers';
import { vectorAddAs } from './stand-in-examples';

const EVALUATE_MS = 2000;

test('bench/gpu-scaling.sh on a two-GPU stand-in: the same candidates, 1 GPU then 2, candidates per minute and the ratio', { timeout: 300_000 }, (t) => {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  const root = tempDir('gpu-scaling-script');
  const examples = join(root, 'examples');
  vectorAddAs(examples, 'vector_add');
  for (const d of ['tmp', 'cache']) mkdirSync(join(root, d));
  const out = join(root, 'out');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...fakeGpuBin(root, { gpus: 2, evaluateMs: EVALUATE_MS }),
    EXAMPLES: examples,
    SCALE_EXAMPLES: 'vector_add',
    CANDS: '^(fast_float4|wrong_offbyone|mutate_input|partial_half)$',
    COPIES: '1',
    CLI_ARGS: '--no-sandbox',
    TMPDIR: join(root, 'tmp'),
    XDG_CACHE_HOME: join(root, 'cache'),
  };
  delete env.CUDA_VISIBLE_DEVICES;
  const run = spawnSync('bash', [join(REPO, 'bench', 'gpu-scaling.sh'), process.execPath, out], { cwd: REPO, env, encoding: 'utf8', timeout: 280_000 });
  const said = `${run.stdout}\n${run.stderr}`;
  assert.ok(run.status === 0 || run.status === 1, said);
  assert.match(run.stdout, /== 1 GPU\(s\): 0 /);
  assert.match(run.stdout, /== 2 GPU\(s\): 0,1 /);
  const rows = JSON.parse(readFileSync(join(out, 'scaling.json'), 'utf8')) as Array<{ count: number; candidates: number; perMinute: number; ratio: number; problems: string[] }>;
  assert.deepEqual(rows.map((r) => [r.count, r.candidates, r.problems]), [[1, 4, []], [2, 4, []]], said);
  // Four candidates of EVALUATE_MS each: one GPU needs four turns, two GPUs two.
  assert.ok(rows[1].ratio > 1.4, `2 GPUs gave ${rows[1].ratio.toFixed(2)}× the candidates per minute of 1\n${said}`);
  assert.equal(run.status, rows[1].ratio >= 1.8 ? 0 : 1, 'the exit code says whether the target was met');
  const table = readFileSync(join(out, 'scaling.txt'), 'utf8');
  t.diagnostic(table);
  assert.match(table, /^(PASS|FAIL) 2 GPU\(s\)/m);

  // A compare that failed fails its GPU count.
  writeFileSync(join(out, 'scaling-2gpu-vector_add.run.json'), JSON.stringify({ example: 'vector_add', gpus: '0,1', seconds: 1, exitCode: 1 }));
  const broken = spawnSync(process.execPath, [join(REPO, 'bench', 'scaling-summary.mjs'), out, '1', '2'], { encoding: 'utf8' });
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /^FAIL 2 GPU\(s\): vector_add: compare failed \(exit 1/m);
});
