// Runs the same extension test suite in desktop VS Code through @vscode/test-electron, for machines that can
// download VS Code (this one cannot: use run-code-server.mjs there). On a headless Linux box wrap it in
// `xvfb-run -a`. KP_VSCODE_VERSION picks the build (default 1.100.3, the one code-server 4.100.3 embeds, so both
// runners test the same VS Code); KP_VSCODE_EXECUTABLE uses an installed VS Code instead of downloading.
// Usage: node test/vscode/build.mjs && node test/vscode/run-electron.mjs
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const extensionTestsPath = join(root, 'out', 'test', 'vscode', 'suite', 'index.js');
const workspace = join(root, 'test', 'vscode', 'workspace');

for (const [file, hint] of [[extensionTestsPath, 'node test/vscode/build.mjs'], [join(root, 'dist', 'client.js'), 'npm run build']]) {
  if (!existsSync(file)) {
    console.log(`FAIL vscode extension suite (electron): ${file} is missing; run: ${hint}`);
    process.exit(1);
  }
}

// Fresh profile per run so settings or extensions from an earlier run cannot change the result.
const tmp = mkdtempSync('/tmp/kp-vscode-electron-');
const started = Date.now();
const version = process.env.KP_VSCODE_VERSION ?? '1.100.3';
let code = 1;
let why = '';
try {
  code = await runTests({
    version,
    // Downloads go to a cache outside the repo (default would be ./.vscode-test, untracked clutter).
    cachePath: process.env.KP_VSCODE_TEST_CACHE ?? join(homedir(), '.cache', 'kernelpilot', 'vscode-test'),
    ...(process.env.KP_VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.KP_VSCODE_EXECUTABLE } : {}),
    extensionDevelopmentPath: root,
    extensionTestsPath,
    launchArgs: [
      workspace,
      '--disable-extensions', // other installed extensions must not add lenses, hovers or symbols
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--user-data-dir', join(tmp, 'user-data'),
      '--extensions-dir', join(tmp, 'extensions'),
    ],
  });
} catch (err) {
  // runTests rejects both when VS Code cannot be downloaded and when the suite fails (TestRunFailedError).
  why = err instanceof Error ? err.message : String(err);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(code === 0
  ? `PASS vscode extension suite (electron, VS Code ${version}) in ${secs} s`
  : `FAIL vscode extension suite (electron, VS Code ${version}) in ${secs} s${why ? `: ${why}` : ''}`);
process.exit(code === 0 ? 0 : 1);
