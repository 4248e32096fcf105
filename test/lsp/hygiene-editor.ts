// An editor for hygiene.test.ts to kill with SIGKILL: starts the language server as its child (with its own pid as
// the LSP processId), opens FILE so a static check starts with the slow fake nvcc, prints "server <pid>" once the
// compiler runs, then waits to be killed. Usage: hygiene-editor.ts ROOT FILE NVCC STARTED_DIR
import { readdirSync, readFileSync } from 'node:fs';
import { LspClient, sleep, uriOf } from './client';

async function main(): Promise<void> {
  const [root, file, nvcc, startedDir] = process.argv.slice(2);
  const client = await LspClient.start({ root, settings: { cuda: { nvccPath: nvcc }, check: { debounceMs: 10 } } });
  await client.open(uriOf(file), 'cuda-cpp', readFileSync(file, 'utf8'));
  while (!readdirSync(startedDir).some((f) => f.startsWith('nvcc-'))) await sleep(50);
  process.stdout.write(`server ${client.process.pid}\n`);
  setInterval(() => undefined, 1000);
}

void main();
