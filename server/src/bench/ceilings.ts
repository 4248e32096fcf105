// Measured ceilings cached per GPU, so the copy/FMA micro-benchmarks run once per device and driver, not per
// benchmark. The cache is a small JSON file (e.g. ~/.cache/kernelpilot/ceilings.json); the caller owns the path.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DeviceInfo, TimingMethod } from '../harness/protocol';
import type { Ceilings } from '../derive/roofline';
import { ensurePrivateDir, privateRoot } from '../targets/private-dir';

/** What makes two measurements comparable: same machine, GPU model, driver, physical device and timing method. */
export interface GpuIdentity {
  /** The target's host (Target.host); absent in entries of versions that knew only this machine. */
  host?: string;
  name: string;
  driverVersion: string | number;
  /** `GPU-…` from nvidia-smi when known; otherwise the device index stands in. */
  uuid?: string;
  index?: number;
  /** Ceilings bound kernel times only when timed the same way (absent: the events method of earlier versions). */
  method?: TimingMethod;
}

export interface CeilingsEntry extends Ceilings {
  identity: GpuIdentity;
  /** ISO time of the measurement. */
  measuredAt: string;
  device?: DeviceInfo;
}

export interface CeilingsCache {
  version: 1;
  entries: Record<string, CeilingsEntry>;
}

/** In the user's private folder (targets/private-dir.ts), beside the build cache: `$XDG_CACHE_HOME/kernelpilot/ceilings.json`. */
export function defaultCeilingsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(privateRoot(env), 'ceilings.json');
}

/**
 * Part of the key, so ceilings are reused only when measured the same way. CUPTI's concurrent-kernel records (the
 * gate's first tracing) slowed many-block kernels, the copy ceiling's among them: its entries are not reused.
 */
const TRACING: Partial<Record<TimingMethod, string>> = { 'cupti-activity': 'cupti kernel records' };

export function gpuKey(id: GpuIdentity): string {
  return `${id.host === undefined ? '' : `${id.host} | `}${id.name} | driver ${id.driverVersion} | ${id.uuid ?? `index ${id.index ?? 0}`}${id.method && id.method !== 'cuda-events' ? ` | ${TRACING[id.method] ?? id.method}` : ''}`;
}

export function emptyCeilingsCache(): CeilingsCache {
  return { version: 1, entries: {} };
}

function validEntry(value: unknown): value is CeilingsEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Partial<CeilingsEntry>;
  const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
  return positive(e.copyBytesPerSecond) && positive(e.fp32FlopsPerSecond) && typeof e.measuredAt === 'string' && typeof e.identity?.name === 'string';
}

/**
 * Loads the cache; a missing file is an empty cache. A file that is not a valid cache throws with its path: it
 * is better to say so than to silently re-measure over someone's hand edits.
 */
export async function loadCeilingsCache(path: string): Promise<CeilingsCache> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyCeilingsCache();
    throw new Error(`reading the ceilings cache ${path}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`the ceilings cache ${path} is not valid JSON (${(error as Error).message}); delete it to re-measure`, { cause: error });
  }
  const cache = data as Partial<CeilingsCache>;
  if (cache.version !== 1 || typeof cache.entries !== 'object' || cache.entries === null) {
    throw new Error(`the ceilings cache ${path} is not a version-1 cache ({"version": 1, "entries": {…}}); delete it to re-measure`);
  }
  for (const [key, entry] of Object.entries(cache.entries)) {
    if (!validEntry(entry)) throw new Error(`the ceilings cache ${path} has a malformed entry '${key}'; delete it to re-measure`);
  }
  return { version: 1, entries: cache.entries };
}

/** Writes atomically (temp file + rename) so a crash or a concurrent writer never leaves half a file. */
export async function saveCeilingsCache(path: string, cache: CeilingsCache): Promise<void> {
  // A folder someone else controls could hand us ceilings that make impossible speedups look possible.
  await ensurePrivateDir(dirname(path), 'ceilings cache');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(cache, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}

/** The cached ceilings for a GPU, unless older than maxAgeMs. */
export function lookupCeilings(cache: CeilingsCache, id: GpuIdentity, options: { maxAgeMs?: number; now?: Date } = {}): CeilingsEntry | undefined {
  const entry = cache.entries[gpuKey(id)];
  if (!entry) return undefined;
  if (options.maxAgeMs !== undefined) {
    const age = (options.now ?? new Date()).getTime() - Date.parse(entry.measuredAt);
    if (!(age <= options.maxAgeMs)) return undefined;
  }
  return entry;
}

/** A new cache with this GPU's measurement stored (the input cache is not modified). */
export function storeCeilings(cache: CeilingsCache, id: GpuIdentity, ceilings: Ceilings, options: { now?: Date; device?: DeviceInfo } = {}): CeilingsCache {
  const entry: CeilingsEntry = {
    copyBytesPerSecond: ceilings.copyBytesPerSecond,
    fp32FlopsPerSecond: ceilings.fp32FlopsPerSecond,
    identity: id,
    measuredAt: (options.now ?? new Date()).toISOString(),
  };
  if (options.device) entry.device = options.device;
  if (!validEntry(entry)) throw new RangeError(`ceilings for ${gpuKey(id)} must be finite and > 0, got ${ceilings.copyBytesPerSecond} B/s and ${ceilings.fp32FlopsPerSecond} flop/s`);
  return { version: 1, entries: { ...cache.entries, [gpuKey(id)]: entry } };
}
