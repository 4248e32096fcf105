// A second KernelPilot process for gpu-gate.test.ts: takes GPU `index` through the real gate, says "held", and
// releases it when its stdin closes. Usage: node --import ./scripts/ts.mjs gpu-gate-holder.ts FOLDER HOST INDEX WHAT
import { GpuGate } from '../../server/src/targets/gpu-gate';

const [folder, host, index, what] = process.argv.slice(2);
void (async () => {
  const release = await new GpuGate({ folder: () => folder, host, pollMs: 20 }).acquire(Number(index), what);
  process.stdout.write('held\n');
  process.stdin.resume();
  process.stdin.on('end', () => void release().then(() => process.exit(0)));
})();
