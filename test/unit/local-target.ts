// The real LocalTarget for tests that spawn nvcc/c++filt, loaded as a bundle (see ../bundle.ts for why).
import { join } from 'node:path';
import type { Target } from '../../server/src/targets/target';
import { bundleForTest } from '../bundle';

let cached: (new () => Target) | undefined;

export function localTarget(): Target {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= (require(bundleForTest(join(__dirname, '../../server/src/targets/local.ts'), 'local-target')) as { LocalTarget: new () => Target }).LocalTarget;
  return new cached();
}
