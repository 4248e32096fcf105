// Which GPUs a target has, from nvidia-smi. Used to pick the default arch for the static check;
// a machine without a GPU (or without nvidia-smi) simply has none, which is not an error.

import type { Target } from './target';

export interface GpuInfo {
  index: number;
  name: string;
  /** e.g. `9.0` */
  computeCapability: string;
  memoryMiB: number;
  driver: string;
  /**
   * The CUDA_VISIBLE_DEVICES value that shows a process of the target this GPU alone (as its device 0), with
   * CUDA_DEVICE_ORDER=PCI_BUS_ID (nvidia-smi's order): how several GPUs of one target run candidates side by side.
   * Set by the held list (visibleGpus); absent where it cannot be known (UUID or MIG entries that do not map).
   */
  visibleAs?: string;
}

export const GPU_QUERY = ['--query-gpu=name,compute_cap,memory.total,driver_version', '--format=csv,noheader,nounits'];

export async function listGpus(target: Target, options: { nvidiaSmiPath?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<GpuInfo[]> {
  const result = await target.exec(options.nvidiaSmiPath ?? 'nvidia-smi', GPU_QUERY, { timeoutMs: options.timeoutMs ?? 10_000, signal: options.signal });
  if (result.notFound || result.timedOut || result.cancelled || result.exitCode !== 0) return [];
  return parseGpuCsv(result.stdout);
}

/**
 * One GPU per line: `NVIDIA H100 80GB HBM3, 9.0, 81559, 550.54.15`. Read from the right, so a comma
 * in a product name cannot shift the numeric fields. Lines that do not fit (nvidia-smi's own error
 * text, `[N/A]` capabilities on old drivers) are dropped.
 */
export function parseGpuCsv(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 4) continue;
    const driver = fields[fields.length - 1];
    const memory = Number(fields[fields.length - 2]);
    const cc = fields[fields.length - 3];
    const name = fields.slice(0, fields.length - 3).join(', ');
    if (!/^\d+\.\d+$/.test(cc) || !Number.isFinite(memory) || !name) continue;
    gpus.push({ index: gpus.length, name, computeCapability: cc, memoryMiB: memory, driver });
  }
  return gpus;
}

/**
 * The GPUs a CUDA program started with `CUDA_VISIBLE_DEVICES` sees, in its numbering (device 0 first), when that
 * variable lists plain indices (nvidia-smi ignores it and lists every GPU). UUID or MIG entries cannot be mapped
 * without nvidia-smi's UUID column, so they give the list as it is; an index nvidia-smi does not list gives undefined.
 */
export function visibleGpus(gpus: readonly GpuInfo[], cudaVisibleDevices: string | undefined): GpuInfo[] | undefined {
  if (cudaVisibleDevices === undefined || cudaVisibleDevices.trim() === '') return gpus.map((g) => ({ ...g, visibleAs: String(g.index) }));
  const entries = cudaVisibleDevices.split(',').map((e) => e.trim());
  // UUID or MIG entries: which GPU each names is unknown here, so none gets a selector (one GPU is used, as given).
  if (!entries.every((e) => /^\d+$/.test(e))) return [...gpus];
  const visible = entries.map((e) => gpus.find((g) => g.index === Number(e)));
  return visible.every((g): g is GpuInfo => g !== undefined) ? visible.map((g, i) => ({ ...g, visibleAs: entries[i] })) : undefined;
}

/** The environment that shows a process `gpu` alone (its device 0); none when its selector is unknown. */
export function onlyGpu(gpu: GpuInfo): Record<string, string> {
  return gpu.visibleAs === undefined ? {} : { CUDA_VISIBLE_DEVICES: gpu.visibleAs, CUDA_DEVICE_ORDER: 'PCI_BUS_ID' };
}

/** The GPUs a target's processes see, or an Error naming the CUDA_VISIBLE_DEVICES entry that fits none of them. */
export async function gpusSeenBy(target: Target, cudaVisibleDevices: string | undefined, options: { nvidiaSmiPath?: string; signal?: AbortSignal } = {}): Promise<GpuInfo[]> {
  const gpus = await listGpus(target, options);
  if (gpus.length === 0) return []; // no GPU (or no nvidia-smi): nothing for CUDA_VISIBLE_DEVICES to pick from
  const visible = visibleGpus(gpus, cudaVisibleDevices);
  if (visible) return visible;
  throw new Error(`CUDA_VISIBLE_DEVICES='${cudaVisibleDevices}' names a GPU that nvidia-smi does not list on target '${target.name}' (it lists ${gpus.map((g) => `${g.index}: ${g.name}`).join(', ')}): set it to some of those indices, or unset it`);
}

/** `sm_90` for compute capability 9.0 (10.0 → `sm_100`); sm_90 when there is no GPU to ask. */
export function defaultArch(gpus: readonly GpuInfo[]): string {
  const cc = gpus[0]?.computeCapability;
  if (!cc) return 'sm_90';
  const [major, minor] = cc.split('.');
  return `sm_${major}${minor}`;
}
