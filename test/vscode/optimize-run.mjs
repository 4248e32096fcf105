// The optimize run of the VS Code suite (KP_VSCODE_OPTIMIZE=1): what the runner sets up around suite/optimize.ts.
// - a copy of the extension whose language server is the stand-in GPU's (out/test/vscode/fake-gpu/server.js, built by
//   build.mjs), so optimize runs everything but the GPU for real: spec, builds (the stand-in's), gate, loop, records;
// - a scratch workspace (the fixture and a bench spec), so accepting edits no file of the repository;
// - a scripted OpenAI-compatible endpoint on loopback: every answer is the fast kernel (the stand-in times a
//   `// stand-in: fast` candidate faster), a KernelBench task's prompt a correct ModelNew, except that a prompt holding `kp-slow-model` is answered after a minute
//   (the cancel step); GET /status says how many requests are in flight and how many were abandoned;
// - the suite's requests to the browser side (suite/util.ts's uiRequest): type into the input box, right-click a line
//   and pick a menu item, press a key, find a text or click a button inside a webview, take a screenshot.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

export const API_KEY = 'sk-kp-vscode-suite-7f3e9a';
const N = 4096;

const FAST = `__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  // stand-in: fast
  int stride = gridDim.x * blockDim.x;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) c[i] = a[i] + b[i];
}`;

export const MODEL_NEW = 'import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        return x.clamp(min=0)\n';

/** The extension as built (dist/, manifest, schemas) with the stand-in GPU's server in place of dist/server.js. */
export function stageExtension(root, tmp) {
  const ext = join(tmp, 'extension');
  const fake = join(root, 'out', 'test', 'vscode', 'fake-gpu');
  if (!existsSync(join(fake, 'server.js'))) throw new Error(`${fake}/server.js is missing; run: node test/vscode/build.mjs`);
  for (const entry of ['package.json', 'dist', 'schemas', 'syntaxes', 'media']) if (existsSync(join(root, entry))) cpSync(join(root, entry), join(ext, entry), { recursive: true });
  cpSync(fake, join(ext, 'dist'), { recursive: true });
  rmSync(join(ext, 'dist', 'server.js.map'), { force: true });
  return ext;
}

/** The fixture and the example's bench spec at the stand-in's size, in a scratch folder. */
export function stageWorkspace(root, tmp) {
  const ws = join(tmp, 'workspace');
  mkdirSync(join(ws, '.kernelpilot', 'specs'), { recursive: true });
  cpSync(join(root, 'test', 'vscode', 'workspace', 'vector_add.cu'), join(ws, 'vector_add.cu'));
  // A KernelBench task small enough for the KernelBench gate on the CPU torch of kernelpilot.python.
  cpSync(join(root, 'test', 'fixtures', 'kernelbench', 'tiny_relu.py'), join(ws, 'relu_task.py'));
  const spec = JSON.parse(readFileSync(join(root, 'examples', 'cuda', 'vector_add', 'vector_add.spec.json'), 'utf8'));
  writeFileSync(join(ws, '.kernelpilot', 'specs', 'vector_add.json'), JSON.stringify({ ...spec, file: 'vector_add.cu', sizes: { n: N }, sweep: [{ n: 1000 }] }, null, 2));
  return ws;
}

/** The scripted endpoint; resolves with its base URL and a stop function. */
export async function startEndpoint() {
  const status = { requests: 0, inFlight: 0, abandoned: 0 };
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      return;
    }
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      status.requests++;
      status.inFlight++;
      let answered = false;
      const answer = () => {
        answered = true;
        status.inFlight--;
        const body = JSON.parse(raw);
        // A KernelBench task's prompt gets a whole ModelNew file; a kernel's, the fast kernel.
        const content = raw.includes('You write `ModelNew`') ? `Clamp instead of relu:\n\`\`\`python\n${MODEL_NEW}\`\`\`` : `Grid-stride loop:\n\`\`\`cuda\n${FAST}\n\`\`\``;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          id: `scripted-${status.requests}`, object: 'chat.completion', created: 0, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
        }));
      };
      const timer = setTimeout(answer, raw.includes('kp-slow-model') ? 60_000 : 0);
      res.on('close', () => {
        if (answered) return;
        clearTimeout(timer);
        status.inFlight--;
        status.abandoned++;
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { baseUrl: `http://127.0.0.1:${port}/v1`, stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}

/**
 * User settings of the run: the endpoint, small runs, no static check (no nvcc process beside the job's), and no
 * auto-save (code-server's default is afterDelay), so the steps decide when the file on disk changes.
 */
export function optimizeSettings(baseUrl) {
  return {
    'files.autoSave': 'off',
    'kernelpilot.optimize.baseUrl': baseUrl,
    'kernelpilot.optimize.model': 'scripted',
    'kernelpilot.optimize.rounds': 2,
    'kernelpilot.optimize.candidates': 2,
    'kernelpilot.check.onOpen': false,
    'kernelpilot.check.onSave': false,
    // The KernelBench step's gate: a python with torch (CI installs Debian's python3-torch).
    'kernelpilot.python': process.env.KERNELPILOT_TEST_PYTHON ?? '/usr/bin/python3',
  };
}

/**
 * Carries out the suite's request in `file` (JSON: {action, …}) in the browser, then removes the file (the suite waits
 * for that). Screenshots go to `resultsDir`/vscode-NAME.png.
 */
export async function serveRequest(page, file, resultsDir) {
  if (!existsSync(file)) return;
  const request = JSON.parse(readFileSync(file, 'utf8'));
  let outcome = 'done';
  try {
    switch (request.action) {
      case 'type': {
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(request.text === '$API_KEY' ? API_KEY : request.text);
        await page.keyboard.press('Enter');
        break;
      }
      case 'context-menu': {
        const line = page.locator('.view-line', { hasText: request.line }).first();
        await line.click({ button: 'right' });
        const item = page.getByRole('menuitem', { name: request.item }).first();
        await item.waitFor({ state: 'visible', timeout: 10_000 });
        await item.click();
        // VS Code's menu can ignore a click that lands while it is still opening: the item is then highlighted and
        // the menu stays open (seen once in CI). Enter runs the highlighted item, as a user would press it.
        const closed = await item.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false);
        if (!closed) {
          console.log(`  context menu still open after clicking ${JSON.stringify(request.item)}: pressing Enter on it`);
          await item.hover();
          await page.keyboard.press('Enter');
          await item.waitFor({ state: 'hidden', timeout: 5_000 });
        }
        break;
      }
      case 'key': {
        await page.locator(request.waitFor ?? 'body').first().waitFor({ state: 'visible', timeout: 10_000 });
        await page.keyboard.press(request.key);
        break;
      }
      case 'frame-text':
      case 'frame-click': {
        // The webview's page is an iframe inside an iframe; look through every frame until one shows the text.
        const deadline = Date.now() + 15_000;
        let found;
        while (!found && Date.now() < deadline) {
          for (const frame of page.frames()) {
            const hit = request.action === 'frame-click' ? frame.getByRole('button', { name: request.text }).first() : frame.getByText(request.text).first();
            if (await hit.isVisible().catch(() => false)) found = hit;
          }
          if (!found) await new Promise((r) => setTimeout(r, 250));
        }
        if (!found) throw new Error(`no frame shows ${JSON.stringify(request.text)}`);
        if (request.action === 'frame-click') await found.click();
        break;
      }
      case 'screenshot': {
        if (request.waitFor) await page.locator(request.waitFor).first().waitFor({ state: 'visible', timeout: 10_000 });
        await new Promise((r) => setTimeout(r, request.settleMs ?? 600));
        mkdirSync(resultsDir, { recursive: true });
        await page.screenshot({ path: join(resultsDir, `vscode-${request.name}.png`) });
        outcome = `screenshot test-results/vscode-${request.name}.png`;
        break;
      }
      default:
        outcome = `unknown action ${request.action}`;
    }
  } catch (error) {
    outcome = `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  console.log(`  ui request ${JSON.stringify(request)}: ${outcome}`);
  writeFileSync(`${file}.done`, outcome);
  rmSync(file, { force: true });
}
