// A Target that stands in for a GPU machine in the job tests: nvidia-smi lists one H100, nvcc "builds" by
// writing a stub whose content names the user file it was built from, and running a stub answers like the
// harness would (protocol.ts): check reports with real dump files, time reports, a ceilings report. What a
// stub computes depends on that file's name, one behaviour per examples/cuda/vector_add candidate, so the whole
// gate path (probes, interleaved timing, roofline, record) runs here without a GPU.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { mulberry32, normalSampler } from '../../server/src/bench/prng';
import type { CheckReport, DeviceInfo, TimeReport } from '../../server/src/harness/protocol';
import { GpuGate, type AcquireOptions } from '../../server/src/targets/gpu-gate';
import type { ExecOptions, ExecResult, Target } from '../../server/src/targets/target';

export const FAKE_DEVICE: DeviceInfo = { name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', smCount: 132, l2Bytes: 50 << 20, globalMemBytes: 80e9, driverVersion: 13000, runtimeVersion: 13000 };

type Behaviour = 'honest' | 'fast' | 'wrong' | 'partial' | 'mutate' | 'zeros' | 'nondeterministic' | 'crash-sweep' | 'crash-timed' | 'stale-timed';

const BEHAVIOUR: Record<string, Behaviour> = {
  'vector_add.cu': 'honest',
  'fast_float4.cu': 'fast',
  'wrong_offbyone.cu': 'wrong',
  'partial_half.cu': 'partial',
  'mutate_input.cu': 'mutate',
  'zeros_output.cu': 'zeros',
  // Test-made copies of fast_float4.cu: right at the default size, but they fault elsewhere.
  'crash_sweep.cu': 'crash-sweep',
  'crash_timed.cu': 'crash-timed',
  // Right in every check, but its timed launches skip work on buffers it has seen (their outputs stay poisoned).
  'stale_timed.cu': 'stale-timed',
};

/** Median times the stubs report, ms: the fast candidate is 1.6× faster than the baseline. */
const MEDIAN_MS: Record<Behaviour, number> = { honest: 1.0, fast: 0.625, wrong: 0.9, partial: 0.5, mutate: 1.0, zeros: 0.4, nondeterministic: 1.0, 'crash-sweep': 0.625, 'crash-timed': 0.625, 'stale-timed': 0.5 };

function fnv(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function inputs(seed: number, n: number): { a: Float32Array; b: Float32Array } {
  const ua = mulberry32(seed * 7919 + 1);
  const ub = normalSampler(mulberry32(seed * 7919 + 2));
  return { a: Float32Array.from({ length: n }, () => ua() * 2 - 1), b: Float32Array.from({ length: n }, () => ub()) };
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function ok(command: string, stdout: string): ExecResult {
  return { command, exitCode: 0, stdout, stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1 };
}

export class FakeGpuTarget implements Target {
  readonly name = 'fake-gpu';
  readonly runs: string[][] = [];
  /** Per run of the same stub and seed: makes 'nondeterministic' differ between two checks. */
  private counter = 0;
  /** The real GPU gate, with its lock files in a folder of this stand-in's own. */
  private readonly gate = new GpuGate({ folder: () => this.lockFolder, pollMs: 20 });
  private readonly lockFolder = mkdtempSync(join(tmpdir(), 'kp-fake-gpu-locks-'));
  constructor(private readonly defaultN: number) {}

  acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    return this.gate.acquire(index, what, options);
  }

  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = [file, ...args].join(' ');
    if (file === 'nvidia-smi') return ok(command, `${FAKE_DEVICE.name}, 9.0, 81559, 550.54.15\n`);
    if (file === 'nvcc') return this.nvcc(command, args, options.cwd ?? '.');
    this.runs.push([file, ...args]);
    const behaviour = readFileSync(file, 'utf8').trim() as Behaviour;
    const mode = args[0];
    if (mode === 'ceilings') return ok(command, JSON.stringify({ kind: 'ceilings', device: FAKE_DEVICE, copyBytesPerSecond: 3e12, fp32FlopsPerSecond: 6e13 }) + '\n');
    const sizeArg = args.find((a, i) => args[i - 1] === '--size' && a.startsWith('n='));
    const n = sizeArg ? Number(sizeArg.slice(2)) : this.defaultN;
    const seed = Number(flag(args, '--seed'));
    if ((behaviour === 'crash-sweep' && mode === 'check' && n !== this.defaultN) || (behaviour === 'crash-timed' && mode === 'time')) {
      const report = { kind: 'error', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'kernel vector_add failed while running: an illegal memory access was encountered' };
      return { ...ok(command, `${JSON.stringify(report)}\n`), exitCode: 1 };
    }
    if (mode === 'check') return ok(command, `kernel printf noise\n${JSON.stringify(this.check(behaviour, seed, n, flag(args, '--out') as string, args.includes('--dump-inputs')))}\n`);
    if (mode === 'time') {
      const report = this.time(behaviour, seed, Number(flag(args, '--iters')), Number(flag(args, '--warmup')), Number(flag(args, '--sets')), n);
      const out = flag(args, '--out');
      // The last timed launch's outputs: computed like a check of the same set, except where the stub skips work.
      if (out) report.timedOutputs = { seed, outputs: this.check(behaviour === 'stale-timed' ? 'unwritten' : behaviour, seed, n, out, false).outputs };
      return ok(command, JSON.stringify(report) + '\n');
    }
    return { ...ok(command, ''), exitCode: 2, stderr: `unknown mode ${mode}` };
  }

  private nvcc(command: string, args: readonly string[], cwd: string): ExecResult {
    if (args[0] === '--version') return ok(command, 'nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 13.0, V13.0.48 (fake)\n');
    const out = join(cwd, flag(args, '-o') as string);
    if (args.includes('-c')) {
      writeFileSync(out, 'fake runtime object\n');
      return ok(command, '');
    }
    // The generated harness #includes the user's file by absolute path, or a candidate's translation unit
    // (candidate.cu), whose #line directives name the baseline and the candidate: the candidate's name picks the behaviour.
    const candidateUnit = join(cwd, 'candidate.cu');
    const sources = readFileSync(join(cwd, 'harness.cu'), 'utf8') + (existsSync(candidateUnit) ? readFileSync(candidateUnit, 'utf8') : '');
    const named = [...sources.matchAll(/#(?:include|line \d+) "([^"]+\.cu)"/g)].map((m) => BEHAVIOUR[basename(m[1])]);
    const behaviour = named.find((b) => b && b !== 'honest') ?? 'honest';
    writeFileSync(out, `${behaviour}\n`);
    return ok(command, '');
  }

  private check(behaviour: Behaviour | 'unwritten', seed: number, n: number, outDir: string, dumpInputs: boolean): CheckReport {
    const { a, b } = inputs(seed, n);
    const before = { a: fnv(new Uint8Array(a.buffer)), b: fnv(new Uint8Array(b.buffer)) };
    const c = new Float32Array(n);
    const bytes = new Uint8Array(c.buffer);
    bytes.fill(0xff); // poison, as the harness writes it before the launch
    let poisoned = 0;
    for (let i = 0; i < n; i++) {
      if ((behaviour === 'partial' && i >= n / 2) || behaviour === 'unwritten') {
        poisoned++;
        continue;
      }
      c[i] = behaviour === 'zeros' ? 0 : behaviour === 'wrong' ? a[i] + (b[i + 1] ?? 0) : a[i] + b[i];
    }
    if (behaviour === 'nondeterministic') c[0] += ++this.counter * 1e-7;
    if (behaviour === 'mutate') a.fill(0); // the cheat zeroes an input after using it
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'c.bin'), bytes);
    const report: CheckReport = {
      kind: 'check',
      seed,
      device: FAKE_DEVICE,
      outputs: [{ name: 'c', dtype: 'float32', elements: n, file: 'c.bin', poison: '0xff', poisonedElements: poisoned }],
      inputChecksumsBefore: before,
      inputChecksumsAfter: { a: fnv(new Uint8Array(a.buffer)), b: fnv(new Uint8Array(b.buffer)) },
      pointers: { a: '0x7f0000000000', b: '0x7f0000100000', c: '0x7f0000200000' },
      kernelMs: behaviour === 'unwritten' ? 0 : MEDIAN_MS[behaviour],
      kernel: 'vector_add',
      sizes: { n },
    };
    if (dumpInputs) {
      const fresh = inputs(seed, n);
      writeFileSync(join(outDir, 'a.input.bin'), new Uint8Array(fresh.a.buffer));
      writeFileSync(join(outDir, 'b.input.bin'), new Uint8Array(fresh.b.buffer));
      report.inputs = [
        { name: 'a', dtype: 'float32', elements: n, file: 'a.input.bin' },
        { name: 'b', dtype: 'float32', elements: n, file: 'b.input.bin' },
      ];
    }
    return report;
  }

  private time(behaviour: Behaviour, seed: number, iters: number, warmup: number, sets: number, n: number): TimeReport {
    const noise = mulberry32(seed * 31 + behaviour.length);
    const median = MEDIAN_MS[behaviour];
    return {
      kind: 'time',
      seed,
      device: FAKE_DEVICE,
      warmup,
      sets,
      l2FlushBytes: 100 << 20,
      timesMs: Array.from({ length: iters }, () => median * (1 + (noise() - 0.5) * 0.02)),
      emptyKernelMs: 0.005,
      kernel: 'vector_add',
      sizes: { n },
    };
  }
}
