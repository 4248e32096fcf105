// `kernelpilot`: the engine from a terminal, no LSP involved (except `lsp`, which starts the server).
import { parseArgs } from 'node:util';
import { CliError } from './cli/errors';
import { kernelsCommand } from './cli/kernels';

const usage = `usage: kernelpilot <command> [options]

commands:
  kernels FILE... [--json]             list the GPU kernels in files (CUDA, Triton, KernelBench)
  check FILE [--arch sm_90] [--json]   compile with nvcc and report per-kernel registers, spills, shared memory
  lsp --stdio                          start the language server (for Neovim, Helix, Emacs)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      arch: { type: 'string' },
      'nvcc-path': { type: 'string' },
      stdio: { type: 'boolean', default: false },
      'node-ipc': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
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
      const { output, exitCode } = await checkCommand(positionals, { json: values.json, arch: values.arch, nvccPath: values['nvcc-path'] });
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
