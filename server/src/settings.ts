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
}

export const defaultSettings: Settings = {
  cuda: { arch: '', nvccPath: 'nvcc', includePaths: [], defines: [], extraArgs: [], compileCommands: '' },
  check: { onOpen: true, onSave: true, debounceMs: 300, timeoutMs: 120_000 },
  sandbox: { enabled: true, bwrapPath: '' },
};

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
  return { cuda: pick(defaultSettings.cuda, input.cuda), check: pick(defaultSettings.check, input.check), sandbox: pick(defaultSettings.sandbox, input.sandbox) };
}
