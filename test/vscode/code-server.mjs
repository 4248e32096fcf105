// Starting and stopping a throwaway code-server for the test runner: installed via scripts/install-code-server.sh,
// bound to a free loopback port, with its own user-data and extensions dirs so no state leaks between runs.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';

/** Returns the code-server binary, installing it first (idempotent, ~45 s the first time) if needed. */
export function ensureCodeServer(root) {
  const prefix = process.env.KP_CODE_SERVER_DIR ?? join(homedir(), '.cache', 'kernelpilot', `code-server-${CODE_SERVER_VERSION}`);
  if (!existsSync(join(prefix, '.kernelpilot-install-complete'))) {
    console.log(`code-server not installed at ${prefix}; running scripts/install-code-server.sh`);
    const res = spawnSync('bash', [join(root, 'scripts', 'install-code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (res.status !== 0) throw new Error('scripts/install-code-server.sh failed');
  }
  return join(prefix, 'bin', 'code-server');
}

/** Asks the OS for a free port; there is a small race before code-server binds it, acceptable for tests. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server in its own process group (so stop() kills its extension hosts and language servers too).
 * `env` reaches the extension host, which is how the suite learns about the screenshot flag file. With `trust`,
 * workspace trust is on and the folder opens untrusted (Restricted Mode, no startup prompt); `userSettings` are
 * added to the user-level settings.
 */
export async function startCodeServer({ bin, tmp, port, workspace, env, trust = false, userSettings = {} }) {
  const userData = join(tmp, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  // A calm workbench: no welcome page, tips or update checks in the screenshot or in the timings.
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': trust,
    'security.workspace.trust.startupPrompt': 'never',
    'editor.minimap.enabled': false,
    'chat.commandCenter.enabled': false,
    // The repo's own .git sits above the workspace; without this a "open the repository?" toast covers the editor.
    'git.openRepositoryInParentFolders': 'never',
    ...userSettings,
  }, null, 2));
  // An empty config file keeps ~/.config/code-server/config.yaml (password auth, other ports) out of the run.
  const config = join(tmp, 'config.yaml');
  writeFileSync(config, '');
  const logFile = join(tmp, 'code-server.log');
  const logFd = openSync(logFile, 'w');
  const child = spawn(bin, [
    '--config', config,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', userData,
    '--extensions-dir', join(tmp, 'extensions'),
    workspace,
  ], { detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, ...env } });
  closeSync(logFd);
  let exited = false;
  child.once('exit', () => { exited = true; });

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited early:\n${readFileSync(logFile, 'utf8')}`);
    try {
      const res = await globalThis.fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server not healthy after 30 s:\n${readFileSync(logFile, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    base,
    logFile,
    stop: async () => {
      const kill = (signal) => { try { process.kill(-child.pid, signal); } catch { /* group already gone */ } };
      kill('SIGTERM');
      if (!exited) await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
      // Always: extension hosts and language servers share the group and may outlive code-server itself.
      kill('SIGKILL');
    },
  };
}
