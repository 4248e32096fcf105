// `kernelpilot`: the engine from a terminal, no LSP involved (except `lsp`, which starts the server).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPILE_OPTIONS_USAGE } from './cli/compile-options';
import { CliError } from './cli/errors';
import { kernelsCommand } from './cli/kernels';

const usage = `usage: kernelpilot <command> [options]

commands:
  kernels FILE... [--json]             list the GPU kernels in files (CUDA, Triton, KernelBench)
  check FILE [--arch sm_90] [--json]   compile with nvcc and report per-kernel registers, spills, shared memory
  spec FILE [--kernel K] [--json] [--write [--force]]
                                       infer a kernel's bench spec (sizes, roles, shapes, launch); --write saves
                                       it to .kernelpilot/specs/ for editing
  bench FILE [--kernel K] [--spec F] [--dry-run] [--json]
                                       build the harness and time the kernel on the GPU: median time, bandwidth,
                                       % of the measured peak; --dry-run only builds
  compare FILE --candidate OTHER [--candidate-launch L] [--kernel K] [--spec F] [--json]
                                       check a drop-in replacement with the correctness probes, time both
                                       interleaved, and gate it; exit 0 accepted, 3 rejected, 1 error.
                                       --candidate-launch: the candidate's own launch, a JSON file or inline
                                       JSON like '{"grid":["cdiv(n, 1024)"],"block":["256"]}'
  lsp --stdio                          start the language server (for Neovim, Helix, Emacs)

options of spec/bench/compare (check takes --workspace and --arch too): --workspace DIR (default: the current folder; specs and runs live in
DIR/.kernelpilot/), --arch sm_90, --rounds N, --iters N, --warmup N, --sets N.
bench/compare build and run candidates in a bubblewrap sandbox: --bwrap PATH names the bwrap program,
--no-sandbox runs them without one (their code then runs with your rights).
--kernel may be omitted when the file defines exactly one kernel.
${COMPILE_OPTIONS_USAGE}
`;

/** parseArgs with its errors (unknown option, missing value) as usage errors rather than internal ones. */
function parseCommandLine(rest: string[]) {
  try {
    return parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        arch: { type: 'string' },
        'nvcc-path': { type: 'string' },
        'include-path': { type: 'string', short: 'I', multiple: true },
        define: { type: 'string', short: 'D', multiple: true },
        'extra-arg': { type: 'string', multiple: true },
        'compile-commands': { type: 'string' },
        stdio: { type: 'boolean', default: false },
        'node-ipc': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        kernel: { type: 'string', short: 'k' },
        spec: { type: 'string' },
        candidate: { type: 'string' },
        'candidate-launch': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        workspace: { type: 'string' },
        rounds: { type: 'string' },
        iters: { type: 'string' },
        warmup: { type: 'string' },
        sets: { type: 'string' },
        'no-sandbox': { type: 'boolean', default: false },
        bwrap: { type: 'string' },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`, 2);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseCommandLine(rest);
  const compile = {
    nvccPath: values['nvcc-path'],
    includePaths: values['include-path'],
    defines: values.define,
    extraArgs: values['extra-arg'],
    compileCommands: values['compile-commands'],
  };
  if (!command || command === 'help' || command === '--help' || command === '-h' || values.help) {
    process.stdout.write(usage);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'kernels':
      process.stdout.write((await kernelsCommand(positionals, values.json)) + '\n');
      return 0;
    case 'check': {
      const { checkCommand } = await import('./cli/check');
      const { output, exitCode } = await checkCommand(positionals, { json: values.json, arch: values.arch, ...compile, ...(values.workspace ? { workspace: resolve(values.workspace) } : {}) });
      process.stdout.write(output + '\n');
      return exitCode;
    }
    case 'spec': {
      const { specCommand } = await import('./cli/spec');
      const output = await specCommand(positionals, { kernel: values.kernel, json: values.json, write: values.write, force: values.force, workspace: resolve(values.workspace ?? '.') });
      process.stdout.write(output + '\n');
      return 0;
    }
    case 'bench':
    case 'compare': {
      const { benchCommand, compareCommand } = await import('./cli/bench');
      const flags = {
        kernel: values.kernel,
        spec: values.spec,
        candidate: values.candidate,
        candidateLaunch: values['candidate-launch'],
        dryRun: values['dry-run'],
        json: values.json,
        workspace: resolve(values.workspace ?? '.'),
        arch: values.arch,
        ...compile,
        rounds: values.rounds,
        iters: values.iters,
        warmup: values.warmup,
        sets: values.sets,
      };
      const sandbox = { enabled: !values['no-sandbox'], ...(values.bwrap ? { bwrapPath: resolve(values.bwrap) } : {}) };
      const { output, exitCode } = await (command === 'bench' ? benchCommand : compareCommand)(positionals, flags, { sandbox });
      process.stdout.write(output + '\n');
      return exitCode;
    }
    case 'lsp': {
      if (!values.stdio && !values['node-ipc']) throw new CliError('usage: kernelpilot lsp --stdio', 2);
      const { startLanguageServer } = await import('./lsp/server');
      startLanguageServer();
      return -1; // the server keeps the process alive until the client says exit
    }
    default:
      throw new CliError(`unknown command '${command}'\n\n${usage}`, 2);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`kernelpilot: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`kernelpilot: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
