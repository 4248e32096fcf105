// `kernelpilot`: the engine from a terminal, no LSP involved (except `lsp`, which starts the server).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from './cli/errors';
import { kernelsCommand } from './cli/kernels';
import { commandUsage, isCommand, overview } from './cli/usage';
import { installedVersion } from './cli/version';
import { exitOnTermination } from './targets/lifecycle';


/** parseArgs with its errors (unknown option, missing value) as usage errors rather than internal ones. */
function parseCommandLine(command: string | undefined, rest: string[]) {
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
        candidate: { type: 'string', multiple: true },
        'candidate-launch': { type: 'string', multiple: true },
        'dry-run': { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        workspace: { type: 'string' },
        rounds: { type: 'string' },
        iters: { type: 'string' },
        pairs: { type: 'string' },
        timing: { type: 'string' },
        warmup: { type: 'string' },
        sets: { type: 'string' },
        'no-sandbox': { type: 'boolean', default: false },
        bwrap: { type: 'string' },
        target: { type: 'string' },
        static: { type: 'boolean', default: false },
        ncu: { type: 'string' },
        'clock-control': { type: 'string' },
        solutions: { type: 'string' },
        python: { type: 'string' },
        seeds: { type: 'string' },
        size: { type: 'string', multiple: true },
        device: { type: 'string' },
        strict: { type: 'boolean', default: false },
        'no-compile': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${isCommand(command) ? commandUsage(command) : overview()}`, 2);
  }
}

/**
 * --candidate F [--candidate-launch L] pairs, in command-line order: a launch belongs to the candidate before it
 * (with a single candidate, wherever it stands).
 */
function candidatesInOrder(args: readonly string[]): Array<{ file: string; launch?: string }> {
  const out: Array<{ file: string; launch?: string }> = [];
  const early: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag !== '--candidate' && flag !== '--candidate-launch') continue;
    const value = inline ?? args[++i];
    if (value === undefined) continue; // parseArgs has already refused a missing value
    if (flag === '--candidate') out.push({ file: value });
    else if (out.length === 0) early.push(value);
    else if (out[out.length - 1].launch !== undefined) throw new CliError(`--candidate-launch given twice for ${out[out.length - 1].file}`, 2);
    else out[out.length - 1].launch = value;
  }
  if (early.length > 0) {
    if (out.length !== 1 || early.length > 1 || out[0].launch !== undefined) throw new CliError('--candidate-launch must follow the --candidate it belongs to', 2);
    out[0].launch = early[0];
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`kernelpilot ${installedVersion()}\n`);
    return 0;
  }
  if (command === 'optimize' || command === 'report') return optimizeOrReport(command, rest);
  const { values, positionals } = parseCommandLine(command, rest);
  const compile = {
    nvccPath: values['nvcc-path'],
    includePaths: values['include-path'],
    defines: values.define,
    extraArgs: values['extra-arg'],
    compileCommands: values['compile-commands'],
  };
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    const about = positionals[0];
    process.stdout.write(isCommand(about) ? commandUsage(about) : overview());
    return command ? 0 : 2;
  }
  if (values.help && isCommand(command)) {
    process.stdout.write(commandUsage(command));
    return 0;
  }
  switch (command) {
    case 'kernels':
      process.stdout.write((await kernelsCommand(positionals, values.json)) + '\n');
      return 0;
    case 'check': {
      const { checkCommand } = await import('./cli/check');
      const { output, exitCode } = await checkCommand(positionals, { json: values.json, arch: values.arch, ...compile, ...(values.workspace ? { workspace: resolve(values.workspace) } : {}), ...(values.target ? { targetName: values.target } : {}) });
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
        candidates: candidatesInOrder(rest),
        dryRun: values['dry-run'],
        json: values.json,
        workspace: resolve(values.workspace ?? '.'),
        arch: values.arch,
        ...compile,
        rounds: values.rounds,
        iters: values.iters,
        pairs: values.pairs,
        timing: values.timing,
        warmup: values.warmup,
        sets: values.sets,
        python: values.python,
        device: values.device,
        seeds: values.seeds,
      };
      const sandbox = { enabled: !values['no-sandbox'], ...(values.bwrap ? { bwrapPath: resolve(values.bwrap) } : {}) };
      const { output, exitCode } = await (command === 'bench' ? benchCommand : compareCommand)(positionals, flags, { sandbox, ...(values.target ? { targetName: values.target } : {}) });
      process.stdout.write(output + '\n');
      return exitCode;
    }
    case 'profile': {
      const { profileCommand } = await import('./cli/profile');
      const flags = { kernel: values.kernel, spec: values.spec, static: values.static, json: values.json, workspace: resolve(values.workspace ?? '.'), arch: values.arch, ...compile, clockControl: values['clock-control'], ncu: values.ncu };
      const { output, exitCode } = await profileCommand(positionals, flags, values.target ? { targetName: values.target } : {});
      process.stdout.write(output + '\n');
      return exitCode;
    }
    case 'kernelbench': {
      const { kernelbenchCommand } = await import('./cli/kernelbench');
      const flags = { solutions: values.solutions, json: values.json, python: values.python, pairs: values.pairs, warmup: values.warmup, seeds: values.seeds, size: values.size, device: values.device, strict: values.strict, noCompile: values['no-compile'] };
      const sandbox = { enabled: !values['no-sandbox'], ...(values.bwrap ? { bwrapPath: resolve(values.bwrap) } : {}) };
      const { output, exitCode } = await kernelbenchCommand(positionals, flags, { sandbox, ...(values.target ? { targetName: values.target } : {}) });
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
      throw new CliError(`unknown command '${command}'\n\n${overview()}`, 2);
  }
}

/** `optimize` and `report` parse their own options (cli/optimize.ts); the gate comes from bench/optimize-gate.ts. */
async function optimizeOrReport(command: 'optimize' | 'report', rest: string[]): Promise<number> {
  const { optimizeCommand, reportCommand } = await import('./cli/optimize');
  const { gateRecordsOf } = await import('./bench/optimize-gate');
  if (command === 'report') {
    const { values, positionals } = parseCommandLine(command, rest);
    if (values.help) {
      process.stdout.write(commandUsage('report'));
      return 0;
    }
    const { output, exitCode } = await reportCommand(positionals[0], { workspace: resolve(values.workspace ?? '.'), json: values.json, gateRecords: gateRecordsOf });
    process.stdout.write(output + '\n');
    return exitCode;
  }
  const { dryRunOptimization } = await import('./cli/optimize-dry');
  const { prepareFromFlags } = await import('./cli/optimize-gate');
  const { output, exitCode } = await optimizeCommand(rest, { prepare: (request) => prepareFromFlags(request), dryRun: (request, loop) => dryRunOptimization(request, loop), gateRecords: gateRecordsOf });
  process.stdout.write(output + '\n');
  return exitCode;
}

// Ctrl-C, SIGTERM, SIGHUP: end through process.exit, so no compiler or harness outlives the command.
exitOnTermination();
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
