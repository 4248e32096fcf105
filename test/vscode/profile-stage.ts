// Stages the profile run's workspace (run-code-server.mjs, KP_VSCODE_PROFILE=1): the strided-load kernel and the
// profile report recorded for it on an H200, stored as a profile run stores it.
//   node --import ./scripts/ts.mjs test/vscode/profile-stage.ts WORKSPACE
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeProfileReport } from '../../server/src/runs/profile-store';
import { KERNELS_DIR, recordedReportFor } from '../unit/profile-fixtures';

async function main(): Promise<void> {
  const workspace = process.argv[2];
  if (!workspace) throw new Error('usage: profile-stage.ts WORKSPACE');
  mkdirSync(workspace, { recursive: true });
  const file = join(workspace, 'strided.cu');
  copyFileSync(join(KERNELS_DIR, 'strided.cu'), file);
  copyFileSync(join(KERNELS_DIR, 'strided.spec.json'), join(workspace, 'strided.spec.json'));
  console.log(await writeProfileReport(workspace, await recordedReportFor('strided', file)));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
