// The extension's own suite in a real VS Code (code-server + Chromium), as one node:test case so `npm test`
// reports it with everything else. Needs `npm run build` first (npm test does it).
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import test from 'node:test';

const root = join(__dirname, '..', '..');

function runSuite(env: Record<string, string> = {}): void {
  const build = spawnSync(process.execPath, [join(root, 'test/vscode/build.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, `building the suite failed:\n${build.stderr}`);
  const run = spawnSync(process.execPath, [join(root, 'test/vscode/run-code-server.mjs')], { cwd: root, encoding: 'utf8', timeout: 280_000, env: { ...process.env, ...env } });
  process.stdout.write(run.stdout.split('\n').map((l) => `# ${l}`).join('\n') + '\n');
  assert.equal(run.status, 0, `the VS Code suite failed:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
}

test('VS Code (code-server 4.100.3 + Chromium): activation, CodeLens, hover, symbols, context-menu command', { timeout: 300_000 }, () => runSuite());

test('VS Code in Restricted Mode (trust on, folder untrusted): lenses and one notification say why; nvcc never runs', { timeout: 300_000 }, () => runSuite({ KP_VSCODE_RESTRICTED: '1' }));

test('VS Code optimize (stand-in GPU, scripted endpoint): Set API Key, right-click Optimize, lens, Review diff, Accept/Undo, stale refusals, candidates, cancel', { timeout: 300_000 }, () => runSuite({ KP_VSCODE_OPTIMIZE: '1' }));

test('VS Code profile (recorded H200 report): the ◎ lens, the hover with live figures (screenshot), the diagnostic on the strided load, Open Profile Report', { timeout: 300_000 }, () => runSuite({ KP_VSCODE_PROFILE: '1' }));
