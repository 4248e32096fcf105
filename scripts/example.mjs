// `npm run example`: the main job on the bundled vector_add example. Lists its kernels, checks them with nvcc,
// then benchmarks the kernel and puts the fast candidate through the gate when this machine has a GPU; without
// one it builds the gate's runtime and the kernel (bench --dry-run) and says so. Run after `npm run build`.
import { spawnSync } from 'node:child_process';

const dir = 'examples/cuda/vector_add';
const cli = (...args) => {
  console.log(`\n$ kernelpilot ${args.join(' ')}`);
  const run = spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' });
  if (run.status !== 0 && !(args[0] === 'compare' && run.status === 3)) process.exit(run.status ?? 1);
};
const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
const gpu = smi.status === 0 && /^GPU \d+:/m.test(smi.stdout ?? '');
const spec = ['--spec', `${dir}/vector_add.spec.json`, '--workspace', '.'];

cli('kernels', `${dir}/vector_add.cu`);
cli('check', `${dir}/vector_add.cu`);
if (gpu) {
  cli('bench', `${dir}/vector_add.cu`, ...spec);
  cli('compare', `${dir}/vector_add.cu`, ...spec, '--candidate', `${dir}/candidates/fast_float4.cu`, '--candidate-launch', `${dir}/candidates/fast_float4.launch.json`);
} else {
  cli('bench', `${dir}/vector_add.cu`, ...spec, '--dry-run');
  console.log('\nNo GPU here (nvidia-smi lists none): the gate runtime and the kernel were built, not run. On a machine with an NVIDIA GPU, `npm run example` benchmarks it and gates the fast candidate.');
}
