// The stand-in GPU (job-fake-gpu.ts) as programs, so the shipped CLI (dist/cli.js) runs the whole gate without a
// GPU in real processes: `nvcc`, `nvidia-smi` and the gate runtime are this bundle, started through the small
// scripts fakeGpuBin() writes. nvcc "builds" kernel versions as the stand-in does and the runtime as a script that
// runs this bundle again; the runtime answers the gate's protocol for the versions it is given.
//
// KP_FAKE_N: the stand-in's default size. KP_FAKE_GPUS: how many GPUs nvidia-smi lists (1). KP_FAKE_EVALUATE_MS: how
// long each candidate's runtime process takes at least (0). KP_FAKE_HANG=nvcc: candidate builds never end; =runtime: the gate
// runtime's candidate evaluations never end (each notes its start in KP_FAKE_STARTED, a folder). A candidate that
// calls `undeclared_scripted_helper` does not compile, as with the real nvcc.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeGpuTarget } from './job-fake-gpu';

const [tool, ...args] = process.argv.slice(2);
const hang = process.env.KP_FAKE_HANG;

function hangHere(what: string): void {
  if (process.env.KP_FAKE_STARTED) writeFileSync(join(process.env.KP_FAKE_STARTED, `${what}-${process.pid}`), args.join(' '));
  setInterval(() => undefined, 1000);
}

function flag(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const candidate = join(process.cwd(), 'candidate.cu');
  const candidateBuild = tool === 'nvcc' && args.includes('version.cu') && existsSync(candidate);
  if (candidateBuild && hang === 'nvcc') return hangHere('nvcc');
  if (candidateBuild && readFileSync(candidate, 'utf8').includes('undeclared_scripted_helper')) {
    process.stderr.write(`${candidate}(5): error: identifier "undeclared_scripted_helper" is undefined\n\n1 error detected in the compilation of "version.cu".\n`);
    process.exitCode = 2;
    return;
  }
  if (tool === 'runtime' && args[0] === 'evaluate' && hang === 'runtime') return hangHere('runtime');
  const target = new FakeGpuTarget(Number(process.env.KP_FAKE_N ?? 1024), { gpus: Number(process.env.KP_FAKE_GPUS ?? 1), evaluateMs: Number(process.env.KP_FAKE_EVALUATE_MS ?? 0) });
  const result = await target.exec(tool === 'runtime' ? 'kp_gate' : tool, args, { cwd: process.cwd() });
  // The runtime "built" by nvcc is this bundle again, as an executable script.
  if (tool === 'nvcc' && args.includes('kp_gate.cu') && result.exitCode === 0) {
    const out = join(process.cwd(), flag('-o') as string);
    writeFileSync(out, `#!/bin/sh\nexec '${process.execPath}' '${__filename}' runtime "$@"\n`);
    chmodSync(out, 0o755);
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode ?? 1;
}

void main();
