// The real SshTarget for the tests that reach the loopback sshd, loaded as a bundle (execa: see ../bundle.ts).
import { join } from 'node:path';
import type { SshTarget, SshTargetOptions } from '../../server/src/targets/ssh';
import { bundleForTest } from '../bundle';

let cached: (new (options: SshTargetOptions) => SshTarget) | undefined;

export function sshTarget(options: SshTargetOptions): SshTarget {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= (require(bundleForTest(join(__dirname, '../../server/src/targets/ssh.ts'), 'ssh-target')) as { SshTarget: new (o: SshTargetOptions) => SshTarget }).SshTarget;
  return new cached(options);
}
