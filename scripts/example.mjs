// `npm run example`: the main command on the bundled vector_add example. Lists its kernels, checks them with nvcc,
// then optimizes the kernel with the built-in search (no key, no model: --no-model), every candidate through the
// gate, when this machine has a GPU; without one it runs the parts that need none (`optimize --dry-run`: the spec,
// the gate's runtime and the kernel built, the search's candidates checked and built) and says so. The user's file
// is never written (no --apply). Run after `npm run build`.
import { spawnSync } from 'node:child_process';

const dir = 'examples/cuda/vector_add';
const cli = (...args) => {
  console.log(`\n$ kernelpilot ${args.join(' ')}`);
  const run = spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
};
const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
const gpu = smi.status === 0 && /^GPU \d+:/m.test(smi.stdout ?? '');
const optimize = ['optimize', `${dir}/vector_add.cu`, '--spec', `${dir}/vector_add.spec.json`, '--workspace', '.', '--no-model', '--rounds', '2', '--candidates', '4'];

cli('kernels', `${dir}/vector_add.cu`);
cli('check', `${dir}/vector_add.cu`);
if (gpu) {
  cli(...optimize);
  console.log('\nThe run is recorded under .kernelpilot/runs/ (`kernelpilot report RUN` re-derives it); with a key in KERNELPILOT_API_KEY and without --no-model, a model proposes candidates too.');
} else {
  console.log('\nNo GPU here (nvidia-smi lists none): `optimize --dry-run` runs what needs no GPU and says what a GPU run would do.');
  cli(...optimize, '--dry-run');
  console.log('\nNo GPU here: nothing was timed or verified. On a machine with an NVIDIA GPU, `npm run example` optimizes the kernel with the built-in search, every candidate verified by the gate.');
}
