// A Target that stands in for a GPU machine in the job tests: nvidia-smi lists one H100; nvcc "builds" the gate
// runtime and each kernel version by writing stubs (a version's stub names the behaviour of the file its shim
// #includes); running the runtime stub answers like the gate runtime would (harness/protocol.ts): check events
// with comparison counts computed by bench/elementwise.ts on real vector_add arrays, repeat and state events,
// timing events with every pair verified, a ceilings event — and, like the real runtime, it stops at the first
// problem. So the whole gate (prepare, evaluate, probes, interleaved timing, roofline, record) runs without a GPU.
//
// It also keeps what a test needs to see: every command run, the GPU stages' time spans (to prove they never
// overlap), the most version compiles in flight at once, and processes still running (to prove a cancel leaves none).
import { ThisMachine } from '../../server/src/targets/this-machine';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { matchValues } from '../../server/src/bench/elementwise';
import { mulberry32, normalSampler } from '../../server/src/derive/prng';
import type { DeviceInfo, GateEvent, OutputComparison, SampleSeries } from '../../server/src/harness/protocol';
import { GpuGate, type AcquireOptions } from '../../server/src/targets/gpu-gate';
import type { ExecOptions, ExecResult, SandboxPolicy, Target } from '../../server/src/targets/target';
import { bytesOf, compareOutput } from './gate-evidence';

export const FAKE_DEVICE: DeviceInfo = { name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', smCount: 132, l2Bytes: 50 << 20, globalMemBytes: 80e9, driverVersion: 13000, runtimeVersion: 13000 };

type Behaviour =
  | 'honest'
  | 'fast'
  | 'wrong'
  | 'partial'
  | 'mutate'
  | 'zeros'
  | 'nondeterministic'
  | 'crash-sweep'
  | 'crash-timed'
  | 'stale-timed'
  | 'stateful'
  | 'hang'
  | 'no-compile';

const BEHAVIOUR: Record<string, Behaviour> = {
  'vector_add.cu': 'honest',
  'fast_float4.cu': 'fast',
  'wrong_offbyone.cu': 'wrong',
  'partial_half.cu': 'partial',
  'mutate_input.cu': 'mutate',
  'zeros_output.cu': 'zeros',
  // Test-made copies of fast_float4.cu, named for what they do.
  'crash_sweep.cu': 'crash-sweep',
  'crash_timed.cu': 'crash-timed',
  // Right in every check, but a timed launch skips its work (its outputs stay poisoned).
  'stale_timed.cu': 'stale-timed',
  // Right everywhere, but keeps a device-side counter.
  'stateful.cu': 'stateful',
  'nondeterministic.cu': 'nondeterministic',
  // Its GPU process never ends on its own.
  'hang.cu': 'hang',
  'no_compile.cu': 'no-compile',
};

/** Median kernel times the stubs report, ms: the fast candidate is 1.6× faster than the baseline. */
const MEDIAN_MS: Record<Behaviour, number> = {
  honest: 1.0,
  fast: 0.625,
  wrong: 0.9,
  partial: 0.5,
  mutate: 1.0,
  zeros: 0.4,
  nondeterministic: 1.0,
  'crash-sweep': 0.625,
  'crash-timed': 0.625,
  'stale-timed': 0.5,
  stateful: 0.625,
  hang: 1,
  'no-compile': 1,
};

function inputs(seed: number, n: number): { a: Float32Array; b: Float32Array } {
  const ua = mulberry32(seed * 7919 + 1);
  const ub = normalSampler(mulberry32(seed * 7919 + 2));
  return { a: Float32Array.from({ length: n }, () => ua() * 2 - 1), b: Float32Array.from({ length: n }, () => ub()) };
}

function digest(bytes: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(bytes.buffer)).digest('hex').slice(0, 16);
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function ok(command: string, stdout: string): ExecResult {
  return { command, exitCode: 0, stdout, stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1 };
}

function lines(events: GateEvent[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join('');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FakeGpuOptions {
  /** Milliseconds each version compile takes (to see compiles overlap). */
  compileMs?: number;
  /** GPUs nvidia-smi lists (default 1), all alike. */
  gpus?: number;
  /** Milliseconds each candidate's runtime process takes at least (to see GPUs work side by side). */
  evaluateMs?: number;
  /** Where the Python gates' programs run for real (the stand-in fakes CUDA only); absent: they are not run. */
  python?: Target;
}

export class FakeGpuTarget extends ThisMachine {
  readonly name = 'fake-gpu';
  /** Every runtime run: its arguments (the first is the mode). */
  readonly runs: string[][] = [];
  /** [start, end] of every runtime process, in ms since the target was made. */
  readonly gpuSpans: Array<[number, number]> = [];
  /** Every runtime process: its mode, the CUDA_VISIBLE_DEVICES it was given, its span (ms since the target was made). */
  readonly gpuRuns: Array<{ mode: string; visible: string | undefined; span: [number, number] }> = [];
  /** Sandbox policies passed with each command, by the command's first argument. */
  readonly sandboxes: Array<{ file: string; mode: string; sandbox?: SandboxPolicy }> = [];
  maxConcurrentCompiles = 0;
  running = 0;
  private compiling = 0;
  private counter = 0;
  private readonly born = performance.now();
  /** The real GPU gate, with its lock files in a folder of this stand-in's own. */
  private readonly lockFolder = mkdtempSync(join(tmpdir(), 'kp-fake-gpu-locks-'));
  private readonly gate = new GpuGate({ folder: () => this.lockFolder, pollMs: 20 });
  constructor(
    private readonly defaultN: number,
    private readonly options: FakeGpuOptions = {},
  ) {
    super();
  }

  acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    return this.gate.acquire(index, what, options);
  }

  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const command = [file, ...args].join(' ');
    // No Nsight Compute on the stand-in: the optimizer's rounds are not profiled.
    if (file === 'ncu') return { command, exitCode: undefined, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: true, durationMs: 0 };
    this.sandboxes.push({ file, mode: args[0] ?? '', ...(options.sandbox ? { sandbox: options.sandbox } : {}) });
    if (file === 'nvidia-smi') return ok(command, `${FAKE_DEVICE.name}, 9.0, 81559, 550.54.15\n`.repeat(this.options.gpus ?? 1));
    if (file === 'nvcc') return this.nvcc(command, args, options.cwd ?? '.');
    // The Python gates (Triton, KernelBench) run for real where a target is given for them (CPU torch here).
    if (this.options.python && /^python[\d.]*$/.test(basename(file))) return this.options.python.exec(file, args, options);
    this.runs.push([...args]);
    const started = performance.now() - this.born;
    this.running++;
    try {
      if (args[0] === 'evaluate') await sleep(this.options.evaluateMs ?? 0);
      return await this.runtime(command, args, options);
    } finally {
      this.running--;
      const span: [number, number] = [started, performance.now() - this.born];
      this.gpuSpans.push(span);
      this.gpuRuns.push({ mode: args[0] ?? '', visible: options.env?.CUDA_VISIBLE_DEVICES, span });
    }
  }

  private async nvcc(command: string, args: readonly string[], cwd: string): Promise<ExecResult> {
    if (args[0] === '--version') return ok(command, 'nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 13.0, V13.0.48 (fake)\n');
    if (args[0] === '-dryrun') return ok(command, '#$ TOP=/fake/cuda/bin/..\n#$ LIBRARIES=  "-L/fake/cuda/targets/x86_64-linux/lib/stubs" "-L/fake/cuda/targets/x86_64-linux/lib"\n');
    const out = join(cwd, flag(args, '-o') as string);
    if (args.includes('kp_gate.cu')) {
      writeFileSync(out, 'runtime\n');
      return ok(command, '');
    }
    // The shim #includes the version's file by absolute path, or a candidate's translation unit (candidate.cu),
    // whose #line directives name the baseline and the candidate: the candidate's name picks the behaviour.
    const unit = join(cwd, 'candidate.cu');
    const sources = readFileSync(join(cwd, 'version.cu'), 'utf8') + (existsSync(unit) ? readFileSync(unit, 'utf8') : '');
    const included = [...sources.matchAll(/#(?:include|line \d+) "([^"]+\.cu)"/g)].map((m) => basename(m[1]));
    // A candidate given as text (the optimizer's) names its behaviour in a comment: `// stand-in: zeros`.
    const marked = /\/\/ stand-in: ([\w-]+)/.exec(sources)?.[1] as Behaviour | undefined;
    const behaviour = marked ?? included.map((f) => BEHAVIOUR[f]).find((b) => b && b !== 'honest') ?? 'honest';
    this.compiling++;
    this.maxConcurrentCompiles = Math.max(this.maxConcurrentCompiles, this.compiling);
    await sleep(this.options.compileMs ?? 0);
    this.compiling--;
    if (behaviour === 'no-compile') {
      const source = included.find((f) => BEHAVIOUR[f] === 'no-compile') ?? 'no_compile.cu';
      return { ...ok(command, ''), exitCode: 1, stderr: `/fake/${source}(3): error: identifier "undefined_thing" is undefined\n` };
    }
    writeFileSync(out, `${behaviour}\n`);
    return ok(command, '');
  }

  private async runtime(command: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const mode = args[0];
    const start: GateEvent = { kind: 'start', mode: mode as 'ceilings', device: FAKE_DEVICE, timing: { method: 'cupti-activity', note: '' } };
    if (mode === 'ceilings') {
      return ok(command, lines([start, { kind: 'ceilings', device: FAKE_DEVICE, method: 'cupti-activity', copyBytesPerSecond: 3e12, fp32FlopsPerSecond: 6e13 }, { kind: 'end' }]));
    }
    const n = Number(/(?:^|,)n=(\d+)/.exec(flag(args, '--size') ?? '')?.[1] ?? this.defaultN);
    const seeds = (flag(args, '--seeds') ?? '').split(',').map(Number);
    const sweep = (flag(args, '--sweep') ?? '').split(';').filter(Boolean).map((p) => Number(/n=(\d+)/.exec(p)?.[1] ?? n));
    const warmup = Number(flag(args, '--warmup'));
    const timeSeed = Number(flag(args, '--time-seed'));
    const sets = Number(flag(args, '--sets'));
    if (mode === 'baseline') {
      const behaviour = readFileSync(flag(args, '--version') as string, 'utf8').trim() as Behaviour;
      const iters = Number(flag(args, '--iters'));
      const events: GateEvent[] = [start];
      // A baseline that faults while timed (the editor's benchmark of a broken kernel).
      if (behaviour === 'crash-timed') {
        events.push({ kind: 'error', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'the kernel failed while running: an illegal memory access was encountered', doing: 'timed launch 0' });
        return { ...ok(command, lines(events)), exitCode: 1 };
      }
      for (const [seed, size] of [...seeds.map((s) => [s, n]), ...sweep.map((s) => [seeds[0], s])]) events.push(this.baselineCheck(behaviour, seed, size));
      events.push({ kind: 'timing', method: 'cupti-activity', sizes: { n }, seed: timeSeed, warmup, sets, l2FlushBytes: 100 << 20, baseline: this.series(behaviour, timeSeed, iters) });
      events.push({ kind: 'end' });
      return ok(command, lines(events));
    }
    const baseline = readFileSync(flag(args, '--baseline') as string, 'utf8').trim() as Behaviour;
    const behaviour = readFileSync(flag(args, '--candidate') as string, 'utf8').trim() as Behaviour;
    if (behaviour === 'hang') return this.hang(command, options.signal);
    const pairs = Number(flag(args, '--pairs'));
    const events: GateEvent[] = [start, { kind: 'loaded', kernel: 'vector_add', variables: behaviour === 'stateful' ? [{ name: 'launches', bytes: 8, managed: false }] : [] }];
    const fault = (doing: string): ExecResult => {
      events.push({ kind: 'error', stage: 'sync', cudaError: 'cudaErrorIllegalAddress', message: 'the kernel failed while running: an illegal memory access was encountered', doing });
      return { ...ok(command, `kernel printf noise\n${lines(events)}`), exitCode: 1 };
    };
    const state = (phase: 'checks' | 'timing'): GateEvent => ({ kind: 'state', role: 'candidate', phase, variables: behaviour === 'stateful' ? [{ name: 'launches', bytes: 8, managed: false, compared: true, changed: true }] : [] });
    const points = [...seeds.map((s) => [s, n]), ...sweep.map((s) => [seeds[0], s])];
    for (const [k, [seed, size]] of points.entries()) {
      if (behaviour === 'crash-sweep' && size !== this.defaultN) return fault(`checking the candidate (seed ${seed}, n=${size})`);
      const check = this.check(baseline, behaviour, seed, size);
      events.push(check);
      if (k === 0 && !this.bad(check)) {
        const differing = behaviour === 'nondeterministic' ? 1 : 0;
        events.push({ kind: 'repeat', seed, outputs: [{ name: 'c', differing, ...(differing ? { firstIndex: 0 } : {}) }] });
      }
      if (this.bad(check)) {
        events.push(state('checks'), { kind: 'end', stopped: 'check' });
        return ok(command, lines(events));
      }
    }
    events.push(state('checks'));
    if (behaviour === 'crash-timed') return fault('timed pair 0');
    // Timing: every pair verified; the stub that skips work when timed fails its third pair, and timing stops there.
    const stopAt = behaviour === 'stale-timed' ? 2 : -1;
    const done = stopAt >= 0 ? stopAt + 1 : pairs;
    const failures = Array.from({ length: done }, (_, i) => (i === stopAt ? n : 0));
    const unwritten = Array.from({ length: done }, (_, i) => (i === stopAt ? n : 0));
    events.push({
      kind: 'timing',
      method: 'cupti-activity',
      note: '',
      sizes: { n },
      seed: timeSeed,
      warmup,
      sets,
      l2FlushBytes: 100 << 20,
      pairs: done,
      verifiedLaunches: done + warmup,
      candidate: this.series(behaviour, timeSeed, done),
      baseline: this.series(baseline, timeSeed + 1, done),
      verification: { outputs: [{ name: 'c', failures, unwritten }], inputsChanged: failures.map(() => 0) },
      unaccountedActivities: 0,
      ...(stopAt >= 0 ? { stoppedAt: { pair: stopAt, warmup: false, seed: timeSeed + warmup + stopAt, inputsChanged: 0, outputs: [this.comparison('unwritten', 'honest', timeSeed, n)] } } : {}),
    });
    events.push(state('timing'), { kind: 'end', ...(stopAt >= 0 ? { stopped: 'timing' as const } : {}) });
    return ok(command, lines(events));
  }

  private hang(command: string, signal: AbortSignal | undefined): Promise<ExecResult> {
    return new Promise((resolve) => {
      const cancelled = () => resolve({ command, exitCode: undefined, stdout: '', stderr: '', timedOut: false, cancelled: true, notFound: false, durationMs: 1 });
      if (signal?.aborted) return cancelled();
      signal?.addEventListener('abort', cancelled, { once: true });
    });
  }

  private bad(check: Extract<GateEvent, { kind: 'check' }>): boolean {
    return check.outputs.some((o) => o.failures > 0 || (o.unwritten ?? 0) > 0) || check.inputs.some((i) => i.before !== i.after);
  }

  /** What the stub computes for `c`, and what it did to the inputs. */
  private compute(behaviour: Behaviour | 'unwritten', seed: number, n: number): { c: Float32Array; a: Float32Array; b: Float32Array } {
    const { a, b } = inputs(seed, n);
    const c = new Float32Array(n);
    new Uint8Array(c.buffer).fill(0xff); // poison, as the runtime writes it before the launch
    for (let i = 0; i < n; i++) {
      if ((behaviour === 'partial' && i >= n / 2) || behaviour === 'unwritten') continue;
      c[i] = behaviour === 'zeros' ? 0 : behaviour === 'wrong' ? a[i] + (b[i + 1] ?? 0) : a[i] + b[i];
    }
    if (behaviour === 'mutate') a.fill(0); // the cheat zeroes an input after using it
    return { c, a, b };
  }

  private comparison(behaviour: Behaviour | 'unwritten', baseline: Behaviour, seed: number, n: number): OutputComparison {
    const cand = this.compute(behaviour, seed, n).c;
    const ref = this.compute(baseline, seed, n).c;
    return compareOutput('c', 'float32', { atol: 1e-4, rtol: 1e-4 }, bytesOf(ref), bytesOf(cand));
  }

  private check(baseline: Behaviour, behaviour: Behaviour, seed: number, n: number): Extract<GateEvent, { kind: 'check' }> {
    const fresh = inputs(seed, n);
    const after = this.compute(behaviour, seed, n);
    const span = { kernelMs: MEDIAN_MS[behaviour], launchMs: 0.004, wallMs: MEDIAN_MS[behaviour] + 0.012, activities: 1, streams: 1 };
    return {
      kind: 'check',
      seed,
      sizes: { n },
      candidateLaunch: span,
      baselineLaunch: { ...span, kernelMs: MEDIAN_MS[baseline] },
      inputs: [
        { name: 'a', before: digest(fresh.a), after: digest(after.a) },
        { name: 'b', before: digest(fresh.b), after: digest(after.b) },
      ],
      outputs: [this.comparison(behaviour, baseline, seed, n)],
      pointers: { a: '0x7f0000000000', b: '0x7f0000100000', c: '0x7f0000200000' },
    };
  }

  private baselineCheck(behaviour: Behaviour, seed: number, n: number): Extract<GateEvent, { kind: 'baseline-check' }> {
    const { c } = this.compute(behaviour, seed, n);
    const span = { kernelMs: MEDIAN_MS[behaviour], launchMs: 0.004, wallMs: MEDIAN_MS[behaviour] + 0.012, activities: 1, streams: 1 };
    const { a, b } = inputs(seed, n);
    return {
      kind: 'baseline-check',
      seed,
      sizes: { n },
      launch: span,
      inputs: [
        { name: 'a', before: digest(a), after: digest(a) },
        { name: 'b', before: digest(b), after: digest(b) },
      ],
      outputs: [{ name: 'c', elements: n, unwritten: 0, zerosFailures: matchValues(c, new Float32Array(n), { atol: 1e-4, rtol: 1e-4 }).failures, mean: 0, meanFailures: n, inputs: [{ name: 'a', failures: n }, { name: 'b', failures: n }] }],
    };
  }

  private series(behaviour: Behaviour, seed: number, count: number): SampleSeries {
    const noise = mulberry32(seed * 31 + behaviour.length + ++this.counter);
    const median = MEDIAN_MS[behaviour];
    const kernelMs = Array.from({ length: count }, () => median * (1 + (noise() - 0.5) * 0.02));
    return { kernelMs, launchMs: kernelMs.map(() => 0.004), wallMs: kernelMs.map((k) => k + 0.012), activities: kernelMs.map(() => 1), streams: kernelMs.map(() => 1) };
  }
}
