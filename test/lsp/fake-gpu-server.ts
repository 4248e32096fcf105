// The language server with bench jobs on the stand-in GPU of test/unit/job-fake-gpu.ts (the static check still
// runs the real nvcc): bundled by bench.test.ts and started as `node fake-gpu-server.cjs --stdio`.
// KP_FAKE_N: the stand-in's default size. KP_FAKE_HOLD_TIME=1: the baseline's GPU run waits until cancelled (a long
// job). KP_REAL_NVCC=1: kernel versions build with the real nvcc (for compile errors), everything else the stand-in.
import { ThisMachine } from '../../server/src/targets/this-machine';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startLanguageServer } from '../../server/src/lsp/server';
import { LocalTarget } from '../../server/src/targets/local';
import type { AcquireOptions } from '../../server/src/targets/gpu-gate';
import type { ExecOptions, ExecResult } from '../../server/src/targets/target';
import { FakeGpuTarget } from '../unit/job-fake-gpu';

class HoldTimeTarget extends ThisMachine {
  readonly name = 'fake-gpu';
  constructor(private readonly inner: FakeGpuTarget) {
    super();
  }
  acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    return this.inner.acquireGpu(index, what, options);
  }
  exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (args[0] !== 'baseline') return this.inner.exec(file, args, options);
    const command = [file, ...args].join(' ');
    return new Promise((resolve) => {
      const cancelled = () => resolve({ command, exitCode: undefined, stdout: '', stderr: '', timedOut: false, cancelled: true, notFound: false, durationMs: 1 });
      if (options.signal?.aborted) return cancelled();
      options.signal?.addEventListener('abort', cancelled, { once: true });
    });
  }
}

class RealNvccTarget extends ThisMachine {
  readonly name = 'fake-gpu';
  private readonly local = new LocalTarget();
  constructor(private readonly inner: FakeGpuTarget) {
    super();
  }
  acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    return this.inner.acquireGpu(index, what, options);
  }
  exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const versionBuild = file === 'nvcc' && args.includes('version.cu');
    return (versionBuild ? this.local : this.inner).exec(file, args, options);
  }
}

// The Python gates run for real on this machine (CPU torch): the stand-in fakes CUDA only.
const fake = new FakeGpuTarget(Number(process.env.KP_FAKE_N ?? 4096), { python: new LocalTarget() });
const target = process.env.KP_FAKE_HOLD_TIME === '1' ? new HoldTimeTarget(fake) : process.env.KP_REAL_NVCC === '1' ? new RealNvccTarget(fake) : fake;
startLanguageServer(createConnection(ProposedFeatures.all), { target });
