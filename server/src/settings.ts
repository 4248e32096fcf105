// The `kernelpilot.*` settings the engine reads. The LSP layer pulls them from the editor; the CLI builds them
// from flags. Defaults live here once; package.json documents the same keys for VS Code.

export interface Settings {
  cuda: {
    /** `sm_90` style; empty means: the local GPU's, else sm_90. */
    arch: string;
    nvccPath: string;
    includePaths: string[];
    defines: string[];
    extraArgs: string[];
    /** Path to compile_commands.json; empty means: look in the workspace root and build/. */
    compileCommands: string;
  };
  check: {
    onOpen: boolean;
    onSave: boolean;
    /** Delay before a check starts, so quick successive saves run one compile. */
    debounceMs: number;
    timeoutMs: number;
  };
  /** How candidate processes are sandboxed (targets/sandbox.ts); machine-scoped, never from a workspace. */
  sandbox: {
    enabled: boolean;
    /** Empty: bwrap on PATH. */
    bwrapPath: string;
  };
  /**
   * The editor's optimize jobs. The endpoint, the model and what a run may spend are the user's alone (machine-scoped;
   * the server reads them from the user's own settings, so a repository cannot send the key elsewhere or spend it).
   */
  optimize: {
    /** An OpenAI-compatible endpoint. */
    baseUrl: string;
    model: string;
    temperature: number;
    rounds: number;
    candidates: number;
    /** USD; 0: no money limit. Needs both prices. */
    budgetUsd: number;
    /** USD per million input / output tokens; 0: unknown. */
    priceInputPerMillion: number;
    priceOutputPerMillion: number;
    /** Minutes; 0: no time limit. */
    timeLimitMinutes: number;
  };
  /** The editor's profile jobs (bench/profile-job.ts). */
  profile: {
    /** Nsight Compute's `--clock-control`: `none` profiles at the GPU's own clocks, as benchmarks run; `base` locks them. */
    clockControl: 'none' | 'base';
  };
  /**
   * Named targets (targets/select.ts schema, as in the CLI's targets.json) and the one the editor's jobs and static
   * check use (`local`, a name, or a URL). Machine-scoped: the server reads them only from the user's own settings,
   * so a repository cannot choose where its code runs. `targets` is checked where it is used (lsp/active-target.ts).
   */
  targets: Record<string, unknown>;
  activeTarget: string;
  /**
   * The python the Python gates (Triton kernels, KernelBench tasks) run on the active target; empty: `python3` there.
   * Machine-scoped and read only from the user's own settings, like the targets: a repository cannot choose a program.
   */
  python: string;
}

export const defaultSettings: Settings = {
  cuda: { arch: '', nvccPath: 'nvcc', includePaths: [], defines: [], extraArgs: [], compileCommands: '' },
  check: { onOpen: true, onSave: true, debounceMs: 300, timeoutMs: 120_000 },
  sandbox: { enabled: true, bwrapPath: '' },
  optimize: { baseUrl: 'https://api.openai.com/v1', model: 'gpt-4.1', temperature: 1, rounds: 4, candidates: 4, budgetUsd: 0, priceInputPerMillion: 0, priceOutputPerMillion: 0, timeLimitMinutes: 0 },
  profile: { clockControl: 'none' },
  targets: {},
  activeTarget: 'local',
  python: '',
};

/**
 * Who set a value. The command line and the user's own configuration may choose programs and any flag; a
 * workspace (a repository's settings, or an editor answer that may include them) only what compile-flags.ts allows.
 */
export type SettingOrigin = 'cli' | 'user' | 'workspace';
export type SettingOrigins = Partial<Record<keyof Settings['cuda'], SettingOrigin>>;

type Partial2<T> = { [K in keyof T]?: Partial<T[K]> };

/** Merges what an editor sent over the defaults, ignoring values of the wrong type rather than failing. */
export function mergeSettings(raw: unknown): Settings {
  const input = (raw && typeof raw === 'object' ? raw : {}) as Partial2<Settings>;
  const pick = <T extends object>(defaults: T, given: Partial<T> | undefined): T => {
    const out = { ...defaults };
    for (const key of Object.keys(defaults) as (keyof T)[]) {
      const value = given?.[key];
      if (value !== undefined && value !== null && typeof value === typeof defaults[key] && Array.isArray(value) === Array.isArray(defaults[key])) out[key] = value as T[keyof T];
    }
    return out;
  };
  const profile = pick(defaultSettings.profile, input.profile);
  if (profile.clockControl !== 'none' && profile.clockControl !== 'base') profile.clockControl = defaultSettings.profile.clockControl;
  const { targets, activeTarget, python } = input as { targets?: unknown; activeTarget?: unknown; python?: unknown };
  return {
    cuda: pick(defaultSettings.cuda, input.cuda),
    check: pick(defaultSettings.check, input.check),
    sandbox: pick(defaultSettings.sandbox, input.sandbox),
    optimize: pick(defaultSettings.optimize, input.optimize),
    profile,
    targets: targets && typeof targets === 'object' && !Array.isArray(targets) ? (targets as Record<string, unknown>) : defaultSettings.targets,
    activeTarget: typeof activeTarget === 'string' && activeTarget.trim() !== '' ? activeTarget.trim() : defaultSettings.activeTarget,
    python: typeof python === 'string' ? python.trim() : defaultSettings.python,
  };
}

/**
 * Origins of the settings an editor answered with (workspace/configuration, or a didChangeConfiguration push),
 * which may hold a workspace's values: a value equal to the one the user's own configuration gave at start
 * (initializationOptions) is the user's; anything else may come from the workspace.
 */
export function originsOf(effective: Settings, user: Settings): SettingOrigins {
  const origins: SettingOrigins = {};
  for (const key of Object.keys(effective.cuda) as (keyof Settings['cuda'])[]) {
    origins[key] = JSON.stringify(effective.cuda[key]) === JSON.stringify(user.cuda[key]) ? 'user' : 'workspace';
  }
  return origins;
}
