// Which target a job runs on: `local`, `ssh://[user@]host[:port]`, `slurm://…`, or a name of the user's named
// targets (the CLI's ~/.config/kernelpilot/targets.json, the editor's machine-scoped `kernelpilot.targets`). A target's
// entry may also be keyed by its URL, to give that URL tool paths, environment lines or an ssh config file. The
// definitions come only from the user's own configuration, never from a workspace: a repository cannot choose where
// its code runs.
import { isAbsolute } from 'node:path';
import type { SandboxSettings } from './sandbox';
import { parseSshDestination } from './ssh-command';
import type { Target } from './target';

export interface TargetSetting {
  /** `local`, `ssh://…` or `slurm://…`; default the entry's name (when the name is a URL). */
  url?: string;
  /** Program name → path on the target (`nvcc`, `nvidia-smi`, `ncu`, `python3`: the Python gates' program). */
  tools?: Record<string, string>;
  /** Shell lines run before every command on the target (`module load cuda`). */
  env?: string[];
  /** Our folder on the target (absolute, or under its home). */
  remoteDir?: string;
  /** An ssh config file to use instead of ~/.ssh/config. */
  sshConfig?: string;
  /** `tar`: copy with tar over ssh even where rsync is available. */
  transfer?: 'auto' | 'tar';
  /** More sbatch options for a Slurm target (`--constraint=h100`), one word each. */
  slurmFlags?: string[];
}

export type NamedTargets = Record<string, TargetSetting>;

const KEYS = new Set(['url', 'tools', 'env', 'remoteDir', 'sshConfig', 'transfer', 'slurmFlags']);

/** Checks the shape of the named targets (from `origin`, named in every message); throws an Error that says what is wrong. */
export function parseNamedTargets(raw: unknown, origin: string): NamedTargets {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${origin}: the named targets must be an object, e.g. {"gpu-box": {"url": "ssh://me@gpu1"}}`);
  const out: NamedTargets = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const where = `${origin}: target '${name}'`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be an object ({"url": "ssh://…", "tools": {…}, "env": […]})`);
    const entry = value as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((k) => !KEYS.has(k));
    if (unknown.length) throw new Error(`${where} has unknown field(s) ${unknown.join(', ')} (known: ${[...KEYS].join(', ')})`);
    const text = (key: string) => {
      if (entry[key] !== undefined && typeof entry[key] !== 'string') throw new Error(`${where}: '${key}' must be a string`);
      return entry[key] as string | undefined;
    };
    const url = text('url');
    const remoteDir = text('remoteDir');
    const sshConfig = text('sshConfig');
    const transfer = text('transfer');
    if (transfer !== undefined && transfer !== 'auto' && transfer !== 'tar') throw new Error(`${where}: 'transfer' must be 'auto' or 'tar'`);
    if (sshConfig !== undefined && !isAbsolute(sshConfig)) throw new Error(`${where}: 'sshConfig' must be an absolute path`);
    const env = entry.env;
    if (env !== undefined && !(Array.isArray(env) && env.every((l) => typeof l === 'string'))) throw new Error(`${where}: 'env' must be a list of shell lines`);
    const slurmFlags = entry.slurmFlags;
    if (slurmFlags !== undefined && !(Array.isArray(slurmFlags) && slurmFlags.every((l) => typeof l === 'string'))) throw new Error(`${where}: 'slurmFlags' must be a list of sbatch options`);
    const tools = entry.tools;
    if (tools !== undefined && !(typeof tools === 'object' && tools !== null && !Array.isArray(tools) && Object.values(tools).every((p) => typeof p === 'string'))) {
      throw new Error(`${where}: 'tools' must map program names to paths, e.g. {"nvcc": "/usr/local/cuda/bin/nvcc"}`);
    }
    out[name] = {
      ...(url !== undefined ? { url } : {}),
      ...(tools !== undefined ? { tools: tools as Record<string, string> } : {}),
      ...(env !== undefined ? { env: env as string[] } : {}),
      ...(remoteDir !== undefined ? { remoteDir } : {}),
      ...(sshConfig !== undefined ? { sshConfig } : {}),
      ...(transfer !== undefined ? { transfer: transfer as 'auto' | 'tar' } : {}),
      ...(slurmFlags !== undefined ? { slurmFlags: slurmFlags as string[] } : {}),
    };
  }
  return out;
}

/** An SSH target (also a Slurm target's login node) with the entry's tool paths, environment lines and ssh settings. */
async function sshTarget(url: string, name: string, entry: TargetSetting | undefined, sandbox: Pick<TargetContext, 'sandbox' | 'onSandboxNotice'>) {
  const destination = parseSshDestination(url);
  const { SshTarget } = await import('./ssh');
  return new SshTarget({
    destination,
    name,
    ...sandbox,
    ...(entry?.tools ? { tools: entry.tools } : {}),
    ...(entry?.env ? { envLines: entry.env } : {}),
    ...(entry?.remoteDir ? { remoteDir: entry.remoteDir } : {}),
    ...(entry?.sshConfig ? { sshConfig: entry.sshConfig } : {}),
    ...(entry?.transfer ? { transfer: entry.transfer } : {}),
  });
}

export interface TargetContext {
  named: NamedTargets;
  sandbox: () => SandboxSettings;
  onSandboxNotice?: (message: string) => void;
}

/**
 * The target `nameOrUrl` names. Loads the implementations lazily: they spawn processes through execa (ESM-only),
 * which tests that pass their own target never load.
 */
export async function createTarget(nameOrUrl: string, context: TargetContext): Promise<Target> {
  const entry = Object.hasOwn(context.named, nameOrUrl) ? context.named[nameOrUrl] : undefined;
  const url = entry?.url ?? nameOrUrl;
  const sandbox = { sandbox: context.sandbox, ...(context.onSandboxNotice ? { onSandboxNotice: context.onSandboxNotice } : {}) };
  if (url === 'local') {
    const { LocalTarget } = await import('./local');
    return new LocalTarget(sandbox);
  }
  const name = entry && nameOrUrl !== url ? nameOrUrl : url;
  if (url.startsWith('ssh://')) return sshTarget(url, name, entry, sandbox);
  if (url.startsWith('slurm://')) {
    const { parseSlurmUrl, checkSlurmRequest, runHereAtExit, SlurmTarget } = await import('./slurm');
    const { login, request } = parseSlurmUrl(url);
    const flagged = checkSlurmRequest({ ...request, ...(entry?.slurmFlags ? { flags: entry.slurmFlags } : {}) }, `target '${name}'`);
    if (login === undefined) {
      const { LocalTarget } = await import('./local');
      return new SlurmTarget({ login: new LocalTarget(sandbox), name, request: flagged, runAtExit: runHereAtExit, ...sandbox });
    }
    const ssh = await sshTarget(login, login, entry, sandbox);
    return new SlurmTarget({ login: ssh, name, request: flagged, runAtExit: (file, args) => ssh.runSync(file, args), ...sandbox });
  }
  const names = Object.keys(context.named);
  throw new Error(`unknown target '${nameOrUrl}': give 'local', ssh://[user@]host[:port], slurm://[user@]login[:port]?partition=P&gpus=N, or the name of a target in targets.json (${names.length ? `known: ${names.join(', ')}` : 'none is defined'})`);
}
