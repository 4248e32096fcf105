// `npm test` after build, typecheck and lint: every suite that needs no GPU, in one node:test run so CI reads
// one summary. GPU suites live under test/gpu/ and run with `npm run test:gpu`.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const suites = ['test/unit', 'test/lsp', 'test/nvim', 'test/vscode'];
const files = suites.flatMap((dir) => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f));
  } catch {
    return [];
  }
});
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
// Every test file has a time limit (node:test applies --test-timeout to each file's run as a whole, and to the
// tests in it that set none), so a regression that hangs fails instead of stalling CI. The longest file (real
// nvcc over every example on a loaded 2-core machine) takes minutes; tests that wait on a server or a process
// set their own, shorter `timeout`.
const timeout = process.env.KP_TEST_TIMEOUT_MS ?? '900000';
const result = spawnSync(process.execPath, ['--import', './scripts/ts.mjs', '--test', `--test-timeout=${timeout}`, '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
