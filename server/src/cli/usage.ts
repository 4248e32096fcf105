// What `kernelpilot --help` and `kernelpilot <command> --help` print: one entry per command, and the overview
// made from their first lines, so the two never disagree.
import { COMPILE_OPTIONS_USAGE } from './compile-options';

interface CommandHelp {
  synopsis: string;
  summary: string;
  /** Lines after the summary: options and notes. */
  details?: string;
}

const jobOptions = `options: --workspace DIR (default: the current folder; specs and runs live in DIR/.kernelpilot/),
  --arch sm_90, --rounds N, --iters N, --warmup N, --sets N.
  --kernel may be omitted when the file defines exactly one kernel.
  Candidates are built and run in a bubblewrap sandbox: --bwrap PATH names the bwrap program, --no-sandbox runs
  them without one (their code then runs with your rights).
${COMPILE_OPTIONS_USAGE}`;

export const commands: Record<string, CommandHelp> = {
  kernels: { synopsis: 'kernels FILE... [--json]', summary: 'list the GPU kernels in files (CUDA, Triton, KernelBench)' },
  check: {
    synopsis: 'check FILE [--arch sm_90] [--workspace DIR] [--json]',
    summary: 'compile a CUDA file with nvcc and report per-kernel registers, spills, shared memory',
    details: `exit 0 when it compiled, 1 on compile errors, a missing nvcc, or a file that is not CUDA.
options: --workspace DIR (default: the current folder; compile_commands.json is looked for only inside it).
${COMPILE_OPTIONS_USAGE}`,
  },
  spec: {
    synopsis: 'spec FILE [--kernel K] [--json] [--write [--force]]',
    summary: "infer a CUDA kernel's bench spec (sizes, roles, shapes, launch); --write saves it to .kernelpilot/specs/ for editing",
    details: 'without --write nothing is written: it prints the spec and where --write would save it.\noptions: --workspace DIR (default: the current folder).',
  },
  bench: {
    synopsis: 'bench FILE [--kernel K] [--spec F] [--dry-run] [--json]',
    summary: 'build the harness and time the kernel on the GPU: median time, bandwidth, % of the measured peak; --dry-run only builds',
    details: jobOptions,
  },
  compare: {
    synopsis: 'compare FILE --candidate OTHER [--candidate-launch L] [--kernel K] [--spec F] [--json]',
    summary: 'check a drop-in replacement with the correctness probes, time both interleaved, and gate it',
    details: `exit 0 accepted, 3 rejected, 1 error.
--candidate-launch: the candidate's own launch, a JSON file or inline JSON like '{"grid":["cdiv(n, 1024)"],"block":["256"]}'
${jobOptions}`,
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
