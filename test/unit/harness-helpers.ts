// Shared by the harness-*.test.ts files: the examples as data, throwaway build caches, a Target that counts
// what it runs.
import { ThisMachine } from '../../server/src/targets/this-machine';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { candidateSpec } from '../../server/src/bench/job-prepare';
import type { BenchSpec, LaunchConfig } from '../../server/src/benchspec/model';
import type { ExecOptions, ExecResult, Target } from '../../server/src/targets/target';

export const REPO = resolve(__dirname, '../..');
export const EXAMPLES = join(REPO, 'examples/cuda');
export const FIXTURES = join(REPO, 'test/fixtures/harness');

export interface ExampleFile {
  example: string;
  /** `vector_add.cu` or `candidates/fast_float4.cu`. */
  relative: string;
  path: string;
  spec: BenchSpec;
}

export function readSpec(path: string): BenchSpec {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchSpec;
}

/** Every example and every candidate, each with its example's spec (with the candidate's own launch, if it has one). */
export function exampleFiles(): ExampleFile[] {
  const out: ExampleFile[] = [];
  for (const example of readdirSync(EXAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const spec = readSpec(join(EXAMPLES, example, `${example}.spec.json`));
    const candidates = readdirSync(join(EXAMPLES, example, 'candidates')).filter((f) => f.endsWith('.cu')).sort();
    out.push({ example, relative: `${example}.cu`, path: join(EXAMPLES, example, `${example}.cu`), spec });
    for (const c of candidates) {
      const relative = `candidates/${c}`;
      const launchFile = join(EXAMPLES, example, relative.replace(/\.cu$/, '.launch.json'));
      const launch = existsSync(launchFile) ? (JSON.parse(readFileSync(launchFile, 'utf8')) as LaunchConfig) : undefined;
      out.push({ example, relative, path: join(EXAMPLES, example, relative), spec: candidateSpec(spec, launch, launchFile) });
    }
  }
  return out;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kp-${prefix}-`));
}

/** Wraps a Target and records every command it runs. */
export class CountingTarget extends ThisMachine {
  readonly name: string;
  readonly calls: Array<{ file: string; args: readonly string[] }> = [];
  constructor(private readonly inner: Target) {
    super();
    this.name = inner.name;
  }
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ file, args });
    return this.inner.exec(file, args, options);
  }
}

/** Runs `work` over `items` with at most `limit` in flight (nvcc on a 2-core machine). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The shipped CLI run without blocking this process (a test's scripted endpoint must keep answering it): its exit
 * status and output.
 */
export function runCliAsync(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, 'dist/cli.js'), ...args], { ...(options.cwd ? { cwd: options.cwd } : {}), env: options.env ?? process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (status) => done({ status, stdout, stderr })));
}
