// Runs the extension test suite (out/test/vscode/suite/index.js) in a real VS Code workbench: code-server 4.100.3
// driven by Debian's Chromium through playwright-core. Used where desktop VS Code cannot be downloaded.
// code-server has no --extensionDevelopmentPath flag; the workbench takes the dev/test paths from the `payload`
// query parameter and reports the extension host's exit code through window.codeAutomationExit.
// Usage: node test/vscode/build.mjs && node test/vscode/run-code-server.mjs
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CODE_SERVER_VERSION, ensureCodeServer, freePort, startCodeServer } from './code-server.mjs';
import { optimizeSettings, serveRequest, stageExtension, stageWorkspace, startEndpoint } from './optimize-run.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const workspace = join(root, 'test', 'vscode', 'workspace');
// KP_VSCODE_RESTRICTED=1: the Restricted Mode run. Trust is on and the folder untrusted; nvcc is set (user level) to
// a wrapper that records every call. It passes when the suite passes, no call was recorded, and the notification
// saying why showed.
const restricted = process.env.KP_VSCODE_RESTRICTED === '1';
// KP_VSCODE_OPTIMIZE=1: the optimize run (optimize-run.mjs): the stand-in GPU's server, a scripted endpoint, a
// scratch workspace, and the suite's requests to the browser (typing, the context menu, screenshots).
const optimizing = process.env.KP_VSCODE_OPTIMIZE === '1';
// KP_VSCODE_PROFILE=1: the profile run: a scratch workspace with a kernel and its profile recorded on an H200
// (profile-stage.ts); the suite asks for its screenshot itself.
const profiling = process.env.KP_VSCODE_PROFILE === '1';
const suiteFile = restricted ? 'restricted.js' : optimizing ? 'optimize.js' : profiling ? 'profile.js' : 'index.js';
const testsPath = resolve(process.env.KP_VSCODE_TESTS ?? join(root, 'out', 'test', 'vscode', 'suite', suiteFile));
const resultsDir = join(root, 'test-results');
const screenshot = join(resultsDir, restricted ? 'vscode-restricted.png' : 'vscode-codelens.png');
/** The lens text the screenshot waits for: nvcc's numbers, or in Restricted Mode the reason there are none. */
const shotWhen = restricted ? 'Restricted Mode' : 'regs';
const TIMEOUT_MS = Number(process.env.KP_VSCODE_TIMEOUT_MS ?? 180_000);
const CHROMIUM = process.env.KP_CHROMIUM ?? '/usr/bin/chromium';
// Headless, and nothing that phones home: the machine may reach only the npm registry.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Errors that only say the machine is offline (marketplace, missing web assets); anything else is printed.
const OFFLINE_NOISE = /Failed to load resource|ENOTFOUND|open-vsx|ERR_NAME_NOT_RESOLVED/;

const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const tmp = mkdtempSync('/tmp/kp-vscode-');
let server;
let context;
let finishing;
let endpoint;

async function cleanup() {
  await context?.close().catch(() => {});
  await server?.stop();
  await endpoint?.stop();
  if (!process.env.KP_VSCODE_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
}

/**
 * Reports once and exits after cleanup. Idempotent: a timeout closes the browser, which makes main() fail too;
 * that second report must neither print again nor exit before code-server is killed.
 */
function finish(code, why) {
  finishing ??= (async () => {
    console.log(code === 0
      ? `PASS vscode extension suite (code-server ${CODE_SERVER_VERSION}) in ${secs()} s`
      : `FAIL vscode extension suite (code-server ${CODE_SERVER_VERSION}) in ${secs()} s: ${why}`);
    await cleanup().catch((err) => console.log(`cleanup: ${err}`));
    process.exit(code);
  })();
  return finishing;
}

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void finish(130, `interrupted by ${signal}`));
const overall = setTimeout(() => void failWithScreenshot(`timed out after ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);

async function failWithScreenshot(why) {
  if (finishing) return finishing;
  clearTimeout(overall);
  if (server) console.log(`code-server log (${server.logFile}) tail:\n${readFileSync(server.logFile, 'utf8').split('\n').slice(-30).join('\n')}`);
  const page = context?.pages()[0];
  if (page) {
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, 'vscode-failure.png') }).then(() => console.log('failure screenshot: test-results/vscode-failure.png'), () => {});
  }
  await finish(1, why);
}

/** The profile run's workspace, staged by profile-stage.ts (TypeScript, through the repository's loader). */
function stageProfileWorkspace(tmp) {
  const ws = join(tmp, 'workspace');
  const staged = spawnSync(process.execPath, ['--import', './scripts/ts.mjs', 'test/vscode/profile-stage.ts', ws], { cwd: root, encoding: 'utf8' });
  if (staged.status !== 0) throw new Error(`staging the profile workspace failed: ${staged.stderr}`);
  return ws;
}

async function main() {
  const needed = [[testsPath, 'node test/vscode/build.mjs'], [CHROMIUM, 'apt-get install -y chromium']];
  // A custom KP_VSCODE_TESTS (infrastructure checks) may run without the extension built.
  if (!process.env.KP_VSCODE_TESTS) needed.push([join(root, 'dist', 'client.js'), 'npm run build']);
  for (const [file, hint] of needed) {
    if (!existsSync(file)) throw new Error(`${file} is missing; run: ${hint}`);
  }
  const bin = ensureCodeServer(root);
  const port = await freePort();
  // The suite waits for this file after its lenses are ready, so the screenshot shows them (see suite/util.ts).
  const flag = join(tmp, 'screenshot-taken');
  const nvccCalls = join(tmp, 'nvcc-calls.log');
  const wrapper = join(tmp, 'nvcc');
  writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${nvccCalls}\nexec nvcc "$@"\n`);
  chmodSync(wrapper, 0o755);
  const uiRequest = join(tmp, 'ui-request.json');
  const extension = optimizing ? stageExtension(root, tmp) : root;
  const folder = optimizing ? stageWorkspace(root, tmp) : profiling ? stageProfileWorkspace(tmp) : workspace;
  if (optimizing) endpoint = await startEndpoint();
  server = await startCodeServer({
    bin, tmp, port, workspace: folder,
    env: { KP_VSCODE_SCREENSHOT_FLAG: flag, KP_NVCC_CALLS: nvccCalls, KP_UI_REQUEST: uiRequest, KP_FAKE_N: '4096' },
    ...(restricted ? { trust: true, userSettings: { 'kernelpilot.cuda.nvccPath': wrapper } } : {}),
    ...(optimizing ? { userSettings: optimizeSettings(endpoint.baseUrl) } : {}),
  });
  console.log(`code-server ${CODE_SERVER_VERSION} up at ${server.base} after ${secs()} s`);

  context = await chromium.launchPersistentContext(join(tmp, 'chromium'), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 860 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  // Only the suite's own lines and real errors: the workbench logs a lot that says nothing about the extension.
  let lastConsoleLine = '';
  page.on('console', (msg) => {
    const text = msg.text();
    if (process.env.KP_VSCODE_DEBUG_CONSOLE) console.log(`  [${msg.type()}] ${JSON.stringify(text)}`);
    else if (text.includes('[kp-suite]') || (msg.type() === 'error' && !OFFLINE_NOISE.test(text))) {
      // Forwarded extension-host lines look like "%c INFO color: #33f [kp-suite] ..."; keep the message.
      const line = text.replace(/^%c\s*\w+\s+color:\s*\S+\s*/, '');
      // The workbench logs a failed run() twice (styled and plain); print it once.
      if (line !== lastConsoleLine) console.log(`  ${line}`);
      lastConsoleLine = line;
    }
  });
  page.on('pageerror', (err) => console.log(`  page error: ${err.message}`));

  const exitCode = new Promise((resolveExit) => void page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code))));
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extension)], ['extensionTestsPath', remote(testsPath)]];
  await page.goto(`${server.base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);

  // Screenshot the first time the rendered lenses carry nvcc's resource numbers, then tell the suite. The optimize
  // run has no static check: its suite asks for its screenshots itself.
  let shotTaken = optimizing || profiling;
  let serving = false;
  const toasts = new Set();
  const statusTexts = new Set();
  const watcher = setInterval(async () => {
    if (!serving) {
      serving = true;
      await serveRequest(page, uiRequest, resultsDir).finally(() => { serving = false; });
    }
    const shown = await page.$$eval('.notification-list-item-message', (els) => els.map((el) => el.textContent ?? '')).catch(() => []);
    for (const text of shown) if (text.startsWith('KernelPilot')) toasts.add(text);
    const status = await page.$$eval('.statusbar-item', (els) => els.map((el) => el.textContent ?? '')).catch(() => []);
    for (const text of status) if (text.includes('KernelPilot:')) statusTexts.add(text.trim());
    if (shotTaken) return;
    const texts = await page.$$eval('.codelens-decoration a', (els) => els.map((el) => el.textContent ?? '')).catch(() => []);
    if (!texts.some((t) => t.includes(shotWhen)) || shotTaken) return;
    shotTaken = true;
    await new Promise((r) => setTimeout(r, 300)); // let the lens row finish its fade-in
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: screenshot });
    writeFileSync(flag, 'done\n');
    console.log(`  screenshot: ${screenshot} (${texts.filter((t) => t.includes(shotWhen)).join(' | ')})`);
  }, 250);

  const code = await exitCode;
  clearInterval(watcher);
  clearTimeout(overall);
  if (code !== 0) return failWithScreenshot(`extension host exited with code ${code}`);
  // The active target in the status bar (client/src/targets.ts): this machine, as nothing else is chosen here.
  console.log(`  status bar: ${JSON.stringify([...statusTexts])}`);
  if (![...statusTexts].some((t) => t.endsWith('KernelPilot: local'))) return failWithScreenshot(`the status bar never showed the active target "KernelPilot: local"; saw ${JSON.stringify([...statusTexts])}`);
  if (restricted) {
    const calls = existsSync(nvccCalls) ? readFileSync(nvccCalls, 'utf8').trim().split('\n') : [];
    console.log(`  restricted mode: nvcc calls recorded by the wrapper: ${calls.length}; KernelPilot notifications: ${JSON.stringify([...toasts])}`);
    if (calls.length > 0) return failWithScreenshot(`nvcc ran in Restricted Mode: ${calls.join(' | ')}`);
    const why = [...toasts].filter((t) => t.includes('Restricted Mode'));
    if (why.length !== 1) return failWithScreenshot(`expected one notification saying why nothing is compiled, saw ${JSON.stringify([...toasts])}`);
  }
  if (!shotTaken && !process.env.KP_VSCODE_TESTS) console.log(`  note: no CodeLens with "${shotWhen}" was rendered, so no screenshot`);
  return finish(0);
}

main().catch((err) => failWithScreenshot(err instanceof Error ? err.message : String(err)));
