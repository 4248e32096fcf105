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
// Every test has a time limit, so a regression that hangs fails instead of stalling CI; tests that legitimately
// take longer (real nvcc over every example, a real VS Code) say so with their own `timeout`.
const timeout = process.env.KP_TEST_TIMEOUT_MS ?? '120000';
const result = spawnSync(process.execPath, ['--import', './scripts/ts.mjs', '--test', `--test-timeout=${timeout}`, '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
