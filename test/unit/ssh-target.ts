// The real SshTarget for the tests that reach the loopback sshd, loaded as a bundle (execa: see ../bundle.ts).
import { join } from 'node:path';
import type { SshTarget, SshTargetOptions } from '../../server/src/targets/ssh';
import { bundleForTest } from '../bundle';

let cached: (new (options: SshTargetOptions) => SshTarget) | undefined;

function load(): new (options: SshTargetOptions) => SshTarget {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(bundleForTest(join(__dirname, '../../server/src/targets/ssh.ts'), 'ssh-target')) as { SshTarget: new (o: SshTargetOptions) => SshTarget }).SshTarget;
}

/** `client: 'other'` loads a bundle of its own: another KernelPilot client (its own in-process GPU queue). */
export function sshTarget(options: SshTargetOptions, client: 'this' | 'other' = 'this'): SshTarget {
  if (client === 'other') return new (load())(options);
  cached ??= load();
  return new cached(options);
}
