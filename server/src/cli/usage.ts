// What `kernelpilot --help` and `kernelpilot <command> --help` print: one entry per command, and the overview
// made from their first lines, so the two never disagree.
import { COMPILE_OPTIONS_USAGE } from './compile-options';

interface CommandHelp {
  synopsis: string;
  summary: string;
  /** Lines after the summary: options and notes. */
  details?: string;
}

const jobOptions = `A Triton kernel (FILE.py) runs through the Python gate on the target: --python PATH (python3 with torch and
  triton), --seeds N (3), --device auto|cpu|cuda (cpu: Triton's interpreter, checks only); --dry-run prints the
  generated launcher; the nvcc options do not apply.
options: --workspace DIR (default: the current folder; specs and runs live in DIR/.kernelpilot/),
  --arch sm_90, --pairs N (compare: timed pairs per candidate; or --rounds N × --iters N), --iters N (bench: timed
  launches), --warmup N, --sets N, --timing cupti|events (default cupti, events where CUPTI cannot work).
  --kernel may be omitted when the file defines exactly one kernel.
  Candidates are built and run in a bubblewrap sandbox: --bwrap PATH names the bwrap program, --no-sandbox runs
  them without one (their code then runs with your rights).
  --target NAME|URL runs the job elsewhere: local (default), ssh://[user@]host[:port] (a Host alias of ~/.ssh/config
  works), slurm://[user@]login[:port]?partition=P&gpus=N, or a name from ~/.config/kernelpilot/targets.json.
${COMPILE_OPTIONS_USAGE}`;

export const commands: Record<string, CommandHelp> = {
  kernels: { synopsis: 'kernels FILE... [--json]', summary: 'list the GPU kernels in files (CUDA, Triton, KernelBench)' },
  check: {
    synopsis: 'check FILE [--arch sm_90] [--target T] [--workspace DIR] [--json]',
    summary: 'compile a CUDA file with nvcc and report per-kernel registers, spills, shared memory',
    details: `exit 0 when it compiled, 1 on compile errors, a missing nvcc, or a file that is not CUDA.
options: --workspace DIR (default: the current folder; compile_commands.json is looked for only inside it).
  --target NAME|URL compiles with that machine's nvcc, for its GPU (a Slurm target: on its login node); as for bench.
${COMPILE_OPTIONS_USAGE}`,
  },
  spec: {
    synopsis: 'spec FILE [--kernel K] [--json] [--write [--force]]',
    summary: "infer a CUDA or Triton kernel's bench spec (sizes, roles, shapes, launch); --write saves it to .kernelpilot/specs/ for editing",
    details: 'without --write nothing is written: it prints the spec and where --write would save it.\noptions: --workspace DIR (default: the current folder).',
  },
  bench: {
    synopsis: 'bench FILE [--kernel K] [--spec F] [--target T] [--dry-run] [--json]',
    summary: 'build the kernel for the gate and time it on the GPU: kernel time, launch overhead, bandwidth, % of the measured peak; --dry-run only builds',
    details: jobOptions,
  },
  compare: {
    synopsis: 'compare FILE --candidate OTHER [--candidate-launch L] [--candidate OTHER2 ...] [--kernel K] [--spec F] [--json]',
    summary: 'gate drop-in replacements: correctness probes, then interleaved pairs against the baseline with every launch verified',
    details: `the baseline is prepared once for all candidates; exit 0 all accepted, 3 any rejected, 1 error.
--candidate-launch: the preceding candidate's own launch, a JSON file or inline JSON like '{"grid":["cdiv(n, 1024)"],"block":["256"]}'
${jobOptions}`,
  },
  profile: {
    synopsis: 'profile FILE [--kernel K] [--spec F] [--static] [--target T] [--json]',
    summary: 'what limits the kernel: registers, occupancy and its limiter, SASS; with a GPU and ncu, the bottleneck and ranked hints on their lines',
    details: `--static: only what the compiler says (no GPU, no ncu). Otherwise one launch of the kernel (built as bench builds
it) runs under Nsight Compute on the target; without ncu or counter permission the report says why and how to
get them. Exit 0 with a report (live figures or not), 1 when there is none (no such kernel, the file does not build).
options: --workspace DIR (default: the current folder; specs live in DIR/.kernelpilot/, and the newest bench record
  of the same file text there gives the roofline headroom), --arch sm_90, --ncu PATH (ncu on the target),
  --clock-control none|base (default none: the GPU's own clocks, as the benchmark runs).
  --target NAME|URL profiles elsewhere: local (default), ssh://[user@]host[:port], slurm://…, or a named target.
${COMPILE_OPTIONS_USAGE}`,
  },
  optimize: {
    synopsis: 'optimize FILE [--kernel K] [--spec F] [--rounds N] [--candidates K] [--model M] [--base-url U] [--apply | --out F] [--dry-run] ...',
    summary: 'rewrite the kernel in rounds of candidates, each through the gate; only what the gate verifies counts',
    details: 'kernelpilot optimize --help lists every option (endpoint, budgets, stop rules, seed, resume, --apply/--out, --dry-run, sandbox).',
  },
  report: {
    synopsis: 'report RUN [--json] [--workspace DIR]',
    summary: 'the history of an optimize run, every figure re-derived from its records (the gate\'s from its own records)',
    details: 'RUN: a run id under DIR/.kernelpilot/runs/ (default: the current folder) or a run folder. Exit 0 when everything\nre-derives, 1 when a figure does not (each mismatch is listed).',
  },
  kernelbench: {
    synopsis: 'kernelbench TASK.py... --solutions DIR [--size NAME=N] [--device auto|cpu|cuda] [--python PATH] [--json]',
    summary: "gate KernelBench ModelNew solutions against each task's Model and report fast_0/1/2 and the geometric-mean speedup vs eager PyTorch and torch.compile",
    details: `solutions: DIR/<task name>.py, or several as DIR/<task name>/*.py (a task without one counts as unsolved).
each task runs as one Python process on the target (python3 with torch there; --python PATH names another): the
reference Model alone (its weak-spec checks; eager and torch.compile baselines), then each candidate in a child
process: --seeds N checks (default 5) on fresh inputs, outputs compared at KernelBench's tolerance (atol = rtol =
1e-2; --strict: fp32 1e-4), inputs unchanged, no output aliasing an input or a previous call's output, uninitialized
memory poisoned, a repeat for determinism, then --pairs N (default 30) interleaved timed pairs against eager Model
with every call verified (--warmup N, default 3). On a GPU: CUDA events with L2 flushed before every call; on a CPU
the host clock. torch.compile is used only where the target's torch has it (2.0+), else the report says so.
--size NAME=N overrides a module-level integer of the tasks (e.g. batch_size=16: the shared tasks are GPU-sized).
exit 0 when every candidate is accepted, 3 when one is rejected or a task has none, 1 on an error.
options: --no-compile, --target NAME|URL, --no-sandbox, --bwrap PATH (as for compare).`,
  },
  lsp: { synopsis: 'lsp --stdio', summary: 'start the language server (for Neovim, Helix, Emacs)' },
};

/** `kernelpilot <command> --help`. */
export function commandUsage(name: string): string {
  const help = commands[name];
  return `usage: kernelpilot ${help.synopsis}\n\n${help.summary}\n${help.details ? `\n${help.details}\n` : ''}`;
}

/** `kernelpilot --help`: every command's synopsis and summary. */
export function overview(): string {
  const lines = ['usage: kernelpilot <command> [options]', '', 'commands:'];
  for (const help of Object.values(commands)) lines.push(`  ${help.synopsis}`, `      ${help.summary}`);
  lines.push('', "kernelpilot <command> --help shows a command's options; kernelpilot --version its version.");
  return `${lines.join('\n')}\n`;
}

export function isCommand(name: string | undefined): name is string {
  return name !== undefined && Object.hasOwn(commands, name);
}
