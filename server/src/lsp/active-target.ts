// The target the editor's jobs and static check run on: `kernelpilot.activeTarget` among `kernelpilot.targets`
// (targets/select.ts). Both are machine-scoped and read only from the user's own settings (initializationOptions and
// the client's user-settings notification), never from a workspace/configuration answer: a repository cannot choose
// where its code runs. One target object per definition, kept while the definition stays the same, so its
// connection and what it learned (toolkit, GPUs, arch) live across jobs; a target left behind is released.
import type { Settings } from '../settings';
import { createTarget, parseNamedTargets } from '../targets/select';
import type { Target } from '../targets/target';

export interface ActiveTargetDeps {
  userSettings: () => Settings;
  onSandboxNotice: (message: string) => void;
  /** A fixed target (tests' stand-in GPU): the settings are not read. */
  fixed?: Target;
}

export class ActiveTarget {
  private current?: { definition: string; target: Promise<Target> };

  constructor(private readonly deps: ActiveTargetDeps) {}

  /** The active target; rejects with an Error that names the setting and what is wrong with it. */
  get(): Promise<Target> {
    if (this.deps.fixed) return Promise.resolve(this.deps.fixed);
    const { targets, activeTarget } = this.deps.userSettings();
    // Only the active entry: another target's edit keeps this one (and its connection).
    const entry = Object.hasOwn(targets, activeTarget) ? { [activeTarget]: targets[activeTarget] } : {};
    const definition = JSON.stringify([activeTarget, entry]);
    if (this.current?.definition !== definition) {
      // What the previous target holds (a Slurm allocation) goes back once the jobs still running there end.
      this.current?.target.then((previous) => previous.release?.()).catch(() => undefined);
      const target = this.create(activeTarget, entry, Object.keys(targets));
      target.catch(() => undefined); // a bad setting is reported by each job that asks
      this.current = { definition, target };
    }
    return this.current.target;
  }

  /** `entry`: the active name's own definition, if it has one (checked here, so another entry's mistake stops nothing). */
  private async create(name: string, entry: Record<string, unknown>, names: string[]): Promise<Target> {
    if (!Object.hasOwn(entry, name) && name !== 'local' && !/^(ssh|slurm):\/\//.test(name)) {
      throw new Error(`kernelpilot.activeTarget: '${name}' is not a target: choose 'local', an ssh:// or slurm:// URL, or a name of kernelpilot.targets (${names.length ? names.join(', ') : 'none is defined'}) — "KernelPilot: Select Target"`);
    }
    const named = parseNamedTargets(entry, 'kernelpilot.targets');
    try {
      return await createTarget(name, { named, sandbox: () => this.deps.userSettings().sandbox, onSandboxNotice: this.deps.onSandboxNotice });
    } catch (error) {
      throw new Error(`kernelpilot.activeTarget: ${(error as Error).message}`, { cause: error });
    }
  }
}
