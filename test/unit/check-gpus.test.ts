// GPU inventory from nvidia-smi. The recorded output comes from an H200 test machine; this machine has
// no nvidia-smi, which must read as "no GPUs", not as an error.
import { onThisMachine } from '../../server/src/targets/this-machine';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GPU_QUERY, defaultArch, listGpus, onlyGpu, visibleGpus, parseGpuCsv } from '../../server/src/targets/gpus';
import type { ExecResult, Target } from '../../server/src/targets/target';
import { localTarget } from './local-target';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/gpus', name), 'utf8');

function fake(result: Partial<ExecResult>, seen: string[][] = []): Target {
  return onThisMachine({
    name: 'fake',
    exec: async (file, args) => {
      seen.push([file, ...args]);
      return { command: file, exitCode: 0, stdout: '', stderr: '', timedOut: false, cancelled: false, notFound: false, durationMs: 1, ...result };
    },
  });
}

test('a recorded H200 answer', async () => {
  const seen: string[][] = [];
  const gpus = await listGpus(fake({ stdout: fixture('nvidia-smi-h200.txt') }, seen));
  assert.deepEqual(gpus, [{ index: 0, name: 'NVIDIA H200', computeCapability: '9.0', memoryMiB: 143771, driver: '580.159.04' }]);
  assert.deepEqual(seen, [['nvidia-smi', ...GPU_QUERY]]);
  assert.equal(defaultArch(gpus), 'sm_90');
});

test('several GPUs, a comma in a name, junk lines', () => {
  const gpus = parseGpuCsv('NVIDIA B200, 10.0, 183359, 575.51.03\nWeird, Inc. GPU, 12.0, 32607, 575.51.03\n[N/A], [N/A], [N/A], [N/A]\n');
  assert.deepEqual(gpus.map((g) => [g.index, g.name, g.computeCapability]), [[0, 'NVIDIA B200', '10.0'], [1, 'Weird, Inc. GPU', '12.0']]);
  assert.equal(defaultArch(gpus), 'sm_100');
});

test('nvidia-smi missing or failing means no GPUs', async () => {
  assert.deepEqual(await listGpus(fake({ notFound: true, exitCode: undefined })), []);
  assert.deepEqual(await listGpus(fake({ exitCode: 6, stdout: fixture('nvidia-smi-no-devices.txt') })), []);
  assert.deepEqual(await listGpus(fake({ timedOut: true, exitCode: undefined })), []);
  assert.equal(defaultArch([]), 'sm_90');
});

test('this machine, for real: whatever it has comes back well-formed; no NVIDIA driver gives []', async () => {
  const gpus = await listGpus(localTarget());
  for (const g of gpus) assert.match(`${g.computeCapability} ${defaultArch([g])}`, /^\d+\.\d+ sm_\d+$/);
  if (!existsSync('/dev/nvidiactl')) assert.deepEqual(gpus, []);
});

test('CUDA_VISIBLE_DEVICES orders the GPUs as the processes number them; an index nvidia-smi does not list is undefined', () => {
  const gpus = parseGpuCsv('NVIDIA H200, 9.0, 143771, 580.1\nNVIDIA H200, 9.0, 143771, 580.1\nNVIDIA H200, 9.0, 143771, 580.1\n');
  const indices = (v: string | undefined) => visibleGpus(gpus, v)?.map((g) => g.index);
  assert.deepEqual(indices(undefined), [0, 1, 2]);
  assert.deepEqual(indices(''), [0, 1, 2]);
  assert.deepEqual(indices('2'), [2]);
  assert.deepEqual(indices(' 1, 0'), [1, 0]);
  assert.deepEqual(indices('GPU-8d1e6a9c-0000'), [0, 1, 2]);
  assert.equal(visibleGpus(gpus, '7'), undefined);
  assert.equal(visibleGpus(gpus, '0,7'), undefined);
});

test('each held GPU carries the CUDA_VISIBLE_DEVICES value that shows a process that GPU alone (PCI order); UUIDs none', () => {
  const gpus = parseGpuCsv('NVIDIA H200, 9.0, 143771, 580.1\nNVIDIA H200, 9.0, 143771, 580.1\nNVIDIA H200, 9.0, 143771, 580.1\n');
  const alone = (v: string | undefined) => visibleGpus(gpus, v)?.map(onlyGpu);
  assert.deepEqual(alone(undefined)?.map((e) => e.CUDA_VISIBLE_DEVICES), ['0', '1', '2']);
  assert.deepEqual(alone(' 2, 0'), [{ CUDA_VISIBLE_DEVICES: '2', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' }, { CUDA_VISIBLE_DEVICES: '0', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' }]);
  assert.deepEqual(alone('GPU-8d1e6a9c-0000'), [{}, {}, {}], 'which GPU a UUID names is unknown here: no selector');
});
