// `kernelpilot optimize FILE --kernel K …`: argument parsing, the key from the environment, the proposers, the run
// record, progress (one updating status line on a terminal, plain lines otherwise) and the final report. What
// verifies candidates comes in through `prepare` (the gate's prepared evaluation, wired where the gate lives), so
// this file knows the loop's interfaces only. `kernelpilot report RUN` prints a recorded run.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ChatClient, ENDPOINT_DEFAULTS } from '../llm/client';
import { apiKeyFromEnv, KEY_VARIABLES } from '../llm/key';
import { proposersFor } from '../llm/proposer';
import { kernelLanguageOf } from '../bench/optimize-prepare';
import { formatSpend } from '../optimize/budget';
import type { PreparedOptimization } from '../optimize/evaluator';
import { runLoop, type LoopEvent } from '../optimize/loop';
import type { LoopOptions, ProposerInfo, RecordedRun } from '../optimize/record';
import { deriveReport, formatReport, type GateRecordCheck, type RunReport } from '../optimize/report';
import { STRATEGY_TITLES } from '../optimize/strategies';
import { sha256Text } from '../runs/hash';
import { createOptimizeRun, openOptimizeRun } from '../runs/optimize-store';
import { runDir } from '../runs/record';
import type { SandboxSettings } from '../targets/sandbox';
import type { PythonGateOptions } from '../bench/optimize-prepare';
import { deliverBest } from './optimize-output';
import { CliError } from './errors';
import { deviceFlag, positiveInt, withCancel } from './job-common';

export const OPTIMIZE_USAGE = `usage: kernelpilot optimize FILE [--kernel K] [--spec S] [options]
       kernelpilot report RUN [--json]

Rewrites one CUDA kernel in rounds of candidates and keeps only what the gate verifies (correct on fresh inputs
at every spec size, significantly faster). FILE is not written unless --apply is given; candidates, diffs,
prompts and answers go to .kernelpilot/runs/<id>/, where \`kernelpilot report <id>\` re-derives them.

The model: an OpenAI-compatible endpoint. The key is read from ${KEY_VARIABLES.join(', then ')} (never from the
command line); without one, the built-in search runs alone (launch shape, nvcc options, __restrict__/const,
__launch_bounds__, unroll pragmas).

  --kernel K            the kernel (may be left out when FILE has one)
  --spec S              its bench spec (default .kernelpilot/specs/<kernel>.json, else inferred)
  --rounds N            rounds (default 4)             --candidates K      candidates per round (default 4)
  --model M             model name (default gpt-4.1)   --base-url U        endpoint (default https://api.openai.com/v1;
                                                                           vLLM http://localhost:8000/v1, Ollama
                                                                           http://localhost:11434/v1)
  --temperature T       sampling temperature           --max-tokens N      answer length limit
  --parallel N          model requests at once (4)     --request-timeout S per request (300)
  --repairs N           repair turns per candidate (2) --seed S            bandit seed (default 1)
  --budget-usd X        stop when spent (needs prices) --price-in P / --price-out P  USD per million tokens
  --token-budget N      stop after N tokens            --time-limit MIN    stop after MIN minutes
  --patience N          stop after N rounds without a new best
  --roofline-target F   stop at F of the roofline (0..1, default 0.9)
  --no-search           the model alone                --no-model          the built-in search alone
  --resume RUN          continue an interrupted run from its record (a run id or folder)
  --apply               replace the kernel in FILE with the best verified candidate, if FILE is unchanged since
                        the run started and the candidate changes nothing else; a launch or nvcc options it was
                        verified with are reported, not written
  --out F               write the best verified candidate (a whole file) to F
  --dry-run             no GPU: resolve the spec, build the gate runtime and the baseline, and check and build the
                        built-in search's first candidate of each strategy (a Triton kernel: generate the gate's
                        task and each candidate's ModelNew, launches checked); nothing is timed or verified
  --no-sandbox          build and run candidates without the bubblewrap sandbox (their code runs with your rights)
  --bwrap PATH          the bwrap program, where it is not on PATH
  --target T            where candidates build and run: local (default), ssh://[user@]host[:port],
                        slurm://[user@]login[:port]?partition=P&gpus=N, or a name from ~/.config/kernelpilot/targets.json
  --workspace DIR       where .kernelpilot/ lives (default .)
  A Triton kernel (FILE.py): the model is asked for a Triton variant (a python kernel and a JSON launch), the
  built-in search varies its launch (BLOCK constexprs, num_warps, num_stages), each candidate through the Triton
  gate. --python PATH (python3 with torch and triton on the target), --device auto|cpu|cuda (cpu: Triton's
  interpreter), --pairs N (100)
  A KernelBench task (its Model): the model writes whole ModelNew files (inline CUDA or Triton), each gated against
  Model by the KernelBench gate (--python, --device, --pairs 30); there is no built-in search, so a key is needed. The
  task is never written (--apply is refused; --out F writes the best verified ModelNew)
  --json                the run's report as JSON       --help              this text

Exit 0 when the run ended (with or without a faster candidate), 1 on errors or a refused --apply, 2 on usage
errors, 130 when cancelled (Ctrl-C: the run is recorded as cancelled and can be resumed), 143 on SIGTERM.
`;

export interface OptimizeFlags {
  /** A Triton kernel's Python gate (--python, --device, --pairs). */
  triton: PythonGateOptions;
  kernel?: string;
  spec?: string;
  workspace: string;
  json: boolean;
  resume?: string;
  search: boolean;
  model: boolean;
  modelName: string;
  baseUrl: string;
  temperature?: number;
  maxTokens?: number;
  parallel: number;
  requestTimeoutMs: number;
  loop: LoopOptions;
  apply: boolean;
  /** --out: absolute. */
  out?: string;
  dryRun: boolean;
  sandbox: SandboxSettings;
  /** --target: a name or URL (targets/select.ts). */
  target?: string;
}

export interface PrepareRequest {
  file: string;
  kernel?: string;
  spec?: string;
  workspace: string;
  sandbox: SandboxSettings;
  /** --target: a name or URL (targets/select.ts); default this machine. */
  target?: string;
  /** A Triton kernel's Python gate: --python, --device, --pairs. */
  triton?: OptimizeFlags['triton'];
  signal: AbortSignal;
  onProgress: (line: string) => void;
}

/** Reads the gate records an optimize run's attempts reference and re-derives them (bench/optimize-gate.ts). */
export type GateRecordReader = (run: RecordedRun, optimizeRunDir: string) => Promise<ReadonlyMap<string, GateRecordCheck>>;

export interface OptimizeDeps {
  /** The final report re-derives the gate's figures through it; absent: the attempts' copies, marked unchecked. */
  gateRecords?: GateRecordReader;
  prepare(request: PrepareRequest): Promise<PreparedOptimization>;
  /** --dry-run: what runs without a GPU; returns what to print. Absent: --dry-run is refused. */
  dryRun?(request: PrepareRequest, loop: LoopOptions): Promise<string>;
  env?: Record<string, string | undefined>;
  /** Default: stderr. */
  progress?: { write(text: string): void; isTTY?: boolean };
}

/** The same file, also through links (a file that does not exist yet is compared by its path). */
function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(a) === real(b);
}

function number(value: string | undefined, flag: string, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new CliError(`--${flag} must be ${what}, got '${value}'`, 2);
  return n;
}

/** Every option `optimize` takes (OPTIMIZE_USAGE describes each). */
export const OPTIMIZE_OPTIONS = {
  values: ['kernel', 'spec', 'workspace', 'target', 'python', 'device', 'pairs', 'resume', 'out', 'bwrap', 'rounds', 'candidates', 'model', 'base-url', 'temperature', 'max-tokens', 'parallel', 'request-timeout', 'repairs', 'seed', 'budget-usd', 'price-in', 'price-out', 'token-budget', 'time-limit', 'patience', 'roofline-target'],
  switches: ['json', 'help', 'no-search', 'no-model', 'apply', 'dry-run', 'no-sandbox'],
} as const;

/** Parses `optimize` arguments (everything after the command name). */
export function parseOptimizeArgs(argv: string[]): { files: string[]; flags: OptimizeFlags; help: boolean } {
  if (argv.some((a) => /^--(api-?key|key)(=|$)/.test(a))) {
    throw new CliError(`there is no key option: a key on the command line shows in every process list; set ${KEY_VARIABLES[0]} (or ${KEY_VARIABLES[1]}) in the environment`, 2);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: Object.fromEntries([...OPTIMIZE_OPTIONS.values.map((name) => [name, { type: 'string' as const }]), ...OPTIMIZE_OPTIONS.switches.map((name) => [name, { type: 'boolean' as const, default: false }])]),
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${OPTIMIZE_USAGE}`, 2);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const s = (name: string) => v[name] as string | undefined;
  const modelName = s('model') ?? 'gpt-4.1';
  const priceIn = number(s('price-in'), 'price-in', (n) => n >= 0, 'a non-negative number');
  const priceOut = number(s('price-out'), 'price-out', (n) => n >= 0, 'a non-negative number');
  if ((priceIn === undefined) !== (priceOut === undefined)) throw new CliError('--price-in and --price-out go together (USD per million input and output tokens)', 2);
  const timeLimit = number(s('time-limit'), 'time-limit', (n) => n > 0, 'a positive number of minutes');
  const loop: LoopOptions = {
    rounds: positiveInt(s('rounds'), 'rounds') ?? 4,
    candidatesPerRound: positiveInt(s('candidates'), 'candidates') ?? 4,
    seed: number(s('seed'), 'seed', Number.isInteger, 'an integer') ?? 1,
    maxRepairs: number(s('repairs'), 'repairs', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer') ?? 2,
    rooflineTarget: number(s('roofline-target'), 'roofline-target', (n) => n > 0 && n <= 1, 'a fraction in (0, 1]') ?? 0.9,
    ...(timeLimit !== undefined ? { timeLimitMs: timeLimit * 60_000 } : {}),
    ...(s('token-budget') !== undefined ? { maxTokens: positiveInt(s('token-budget'), 'token-budget') } : {}),
    ...(s('budget-usd') !== undefined ? { budgetUsd: number(s('budget-usd'), 'budget-usd', (n) => n > 0, 'a positive number') } : {}),
    ...(s('patience') !== undefined ? { patience: positiveInt(s('patience'), 'patience') } : {}),
    ...(priceIn !== undefined && priceOut !== undefined ? { prices: { [modelName]: { inputPerMillion: priceIn, outputPerMillion: priceOut } } } : {}),
  };
  if (v['no-search'] && v['no-model']) throw new CliError('--no-search and --no-model leave nothing to propose candidates', 2);
  const requestTimeout = number(s('request-timeout'), 'request-timeout', (n) => n > 0, 'a positive number of seconds');
  const out = s('out') !== undefined ? resolve(s('out') as string) : undefined;
  if (out !== undefined && parsed.positionals.length === 1 && samePath(out, resolve(parsed.positionals[0]))) throw new CliError(`--out ${s('out')} is FILE itself: use --apply to change FILE`, 2);
  if (v['dry-run'] && (v.apply || out !== undefined || s('resume') !== undefined)) throw new CliError('--dry-run verifies nothing, so there is nothing to --apply, --out or --resume', 2);
  return {
    files: parsed.positionals,
    help: Boolean(v.help),
    flags: {
      kernel: s('kernel'),
      // Paths on the command line mean the current folder's, as for bench and compare (not the workspace's).
      ...(s('spec') !== undefined ? { spec: resolve(s('spec') as string) } : {}),
      workspace: resolve(s('workspace') ?? '.'),
      json: Boolean(v.json),
      resume: s('resume'),
      search: !v['no-search'],
      model: !v['no-model'],
      modelName,
      baseUrl: s('base-url') ?? 'https://api.openai.com/v1',
      temperature: number(s('temperature'), 'temperature', (n) => n >= 0 && n <= 2, 'between 0 and 2'),
      maxTokens: positiveInt(s('max-tokens'), 'max-tokens'),
      parallel: positiveInt(s('parallel'), 'parallel') ?? ENDPOINT_DEFAULTS.parallel,
      requestTimeoutMs: requestTimeout !== undefined ? requestTimeout * 1000 : ENDPOINT_DEFAULTS.timeoutMs,
      loop,
      apply: Boolean(v.apply),
      ...(out !== undefined ? { out } : {}),
      dryRun: Boolean(v['dry-run']),
      sandbox: { enabled: !v['no-sandbox'], ...(s('bwrap') ? { bwrapPath: resolve(s('bwrap') as string) } : {}) },
      ...(s('target') !== undefined ? { target: s('target') } : {}),
      triton: { ...(s('python') !== undefined ? { python: s('python') } : {}), ...(s('device') !== undefined ? { device: deviceFlag(s('device')) } : {}), ...(s('pairs') !== undefined ? { pairs: positiveInt(s('pairs'), 'pairs') } : {}) },
    },
  };
}

/** Progress: a status line redrawn in place on a terminal, one plain line per event elsewhere. */
export function progressPrinter(out: { write(text: string): void; isTTY?: boolean }, rounds: number): { onEvent(e: LoopEvent): void; line(text: string): void; done(): void } {
  let round = 0;
  let inFlight = 0;
  let best = 'none yet';
  let spend = '';
  let status = false;
  const clear = () => {
    if (out.isTTY && status) out.write('\r\x1b[2K');
    status = false;
  };
  const redraw = () => {
    if (!out.isTTY) return;
    clear();
    out.write(`⚡ round ${round}/${rounds} · ${inFlight} in flight · best ${best}${spend ? ` · ${spend}` : ''}`);
    status = true;
  };
  const line = (text: string) => {
    clear();
    out.write(`${text}\n`);
    redraw();
  };
  return {
    line,
    done: clear,
    onEvent(e) {
      switch (e.kind) {
        case 'round-start':
          round = e.round;
          line(`round ${e.round}/${e.rounds} from ${e.parent === 'baseline' ? 'the baseline' : `${e.parent} (${e.parentSpeedup.toFixed(2)}×)`}`);
          break;
        case 'attempt-start':
          inFlight++;
          redraw();
          break;
        case 'attempt-end':
          if (!e.replayed) inFlight = Math.max(0, inFlight - 1);
          line(`  ${e.record.id} ${STRATEGY_TITLES[e.record.strategy]}${e.replayed ? ' (recorded)' : ''}: ${e.line}`);
          break;
        case 'round-end':
          best = e.best ? `${e.best.speedup.toFixed(2)}× verified (${e.best.id})` : 'none yet';
          spend = formatSpend(e.spend);
          line(`round ${e.round} done · best ${best} · ${spend}`);
          break;
        case 'profile':
          line(`  profile: ${e.line}`);
          break;
        case 'stop':
          line(`stopped: ${e.detail}`);
          break;
      }
    },
  };
}

/** The run's report, with the gate's figures re-derived from its gate records when a reader is given. */
async function reportOf(dir: string, gateRecords: GateRecordReader | undefined): Promise<RunReport> {
  const { run } = await openOptimizeRun(dir);
  return deriveReport(run, gateRecords ? await gateRecords(run, dir) : undefined);
}

async function loadRun(workspace: string, which: string) {
  const dir = which.includes('/') ? resolve(which) : runDir(workspace, which);
  try {
    return await openOptimizeRun(dir);
  } catch (error) {
    throw new CliError((error as Error).message, 1);
  }
}

/**
 * `kernelpilot report RUN [--json]`: the history of a recorded optimize run, re-derived from its attempts and the
 * gate records they reference; exit 1 when anything does not re-derive.
 */
export async function reportCommand(run: string | undefined, options: { workspace: string; json: boolean; gateRecords?: GateRecordReader }): Promise<{ output: string; exitCode: number }> {
  if (!run) throw new CliError('usage: kernelpilot report RUN [--json] [--workspace DIR]', 2);
  const { store } = await loadRun(options.workspace, run);
  const report = await reportOf(store.dir, options.gateRecords);
  return { output: options.json ? JSON.stringify({ ...report, runDir: store.dir }, null, 2) : formatReport(report), exitCode: report.mismatches.length ? 1 : 0 };
}

/** Exit code of a run Ctrl-C cancelled (as for SIGINT); SIGTERM and a second Ctrl-C end the process at once. */
const CANCELLED_EXIT = 130;
const SIGNAL_EXITS: Record<number, string> = { 129: 'SIGHUP', 130: 'SIGINT', 143: 'SIGTERM' };

/**
 * `kernelpilot optimize …` → the report; exit 0 whether or not a faster candidate was found, 1 on errors or a
 * refused --apply, 130 when Ctrl-C cancelled the run.
 */
export async function optimizeCommand(argv: string[], deps: OptimizeDeps): Promise<{ output: string; exitCode: number }> {
  const { files, flags, help } = parseOptimizeArgs(argv);
  if (help) return { output: OPTIMIZE_USAGE, exitCode: 0 };
  if (files.length !== 1) throw new CliError(OPTIMIZE_USAGE, 2);
  const file = resolve(files[0]);
  const printer = progressPrinter(deps.progress ?? process.stderr, flags.loop.rounds);
  const request = (signal: AbortSignal): PrepareRequest => ({ file, kernel: flags.kernel, spec: flags.spec, workspace: flags.workspace, sandbox: flags.sandbox, ...(flags.target !== undefined ? { target: flags.target } : {}), triton: flags.triton, signal, onProgress: (l) => printer.line(`· ${l}`) });
  if (flags.dryRun) {
    const { dryRun } = deps;
    if (!dryRun) throw new CliError('--dry-run is not available here', 2);
    return withCancel(async (signal) => ({ output: await dryRun(request(signal), flags.loop), exitCode: 0 }));
  }
  const key = flags.model ? apiKeyFromEnv(deps.env ?? process.env) : undefined;
  const infos: ProposerInfo[] = [];
  let client: ChatClient | undefined;
  if (key) {
    client = new ChatClient(
      { baseUrl: flags.baseUrl, model: flags.modelName, temperature: flags.temperature, maxTokens: flags.maxTokens, timeoutMs: flags.requestTimeoutMs, parallel: flags.parallel, maxRetries: ENDPOINT_DEFAULTS.maxRetries, backoffMs: ENDPOINT_DEFAULTS.backoffMs, maxRetryWaitMs: ENDPOINT_DEFAULTS.maxRetryWaitMs },
      key.key,
      (n) => printer.line(`  model endpoint: ${n.reason}, retry ${n.attempt} in ${(n.waitMs / 1000).toFixed(1)} s`),
    );
    infos.push({ kind: 'llm', model: flags.modelName, baseUrl: flags.baseUrl, ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}), ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}) });
  } else if (flags.model && !flags.search) {
    throw new CliError(`--no-search needs a model, and no key is set: set ${KEY_VARIABLES[0]} (or ${KEY_VARIABLES[1]})`, 1);
  } else if (flags.model) {
    printer.line(`no API key in ${KEY_VARIABLES.join(' or ')}: the built-in search runs alone`);
  }
  if (flags.search) infos.push({ kind: 'search' });

  // Before any work: a task has no kernel of its own for the built-in search, so without a model nothing would propose.
  if (!client && (await kernelLanguageOf(file, flags.kernel)) === 'kernelbench') {
    throw new CliError(`a KernelBench task has no built-in search (there is no kernel of its own to tune): its ModelNew candidates come from a model; set ${KEY_VARIABLES[0]} (or ${KEY_VARIABLES[1]}) and --base-url`, 1);
  }
  return withCancel(async (signal) => {
    let prepared: PreparedOptimization;
    try {
      prepared = await deps.prepare(request(signal));
    } catch (error) {
      if (signal.aborted) throw new CliError('cancelled while preparing the baseline: no run was recorded', CANCELLED_EXIT);
      throw error;
    }
    try {
      const { problem, evaluator } = prepared;
      const proposers = proposersFor(problem.kernel.language, { ...(client ? { client } : {}), search: flags.search });
      let resumed;
      if (flags.resume) {
        resumed = await loadRun(flags.workspace, flags.resume);
        const current = sha256Text(await readFile(file, 'utf8'));
        if (resumed.run.header.baselineSha256 !== current || resumed.run.header.kernel !== problem.kernel.qualifiedName) {
          throw new CliError(`run ${resumed.run.header.id} optimized ${resumed.run.header.kernel} of a different version of ${file}: start a new run instead of --resume`, 1);
        }
      }
      const { header, store } = resumed
        ? { header: resumed.run.header, store: resumed.store }
        : await createOptimizeRun(flags.workspace, { file, baselineSha256: sha256Text(problem.source), kernel: problem.kernel.qualifiedName, spec: problem.spec, baseline: problem.baseline, options: flags.loop, proposers: infos });
      // SIGTERM (or a second Ctrl-C) ends the process at once, before the loop can say it stopped: the record says it.
      const onExit = (code: number) => {
        if (!store.stopped) store.markEndedSync(SIGNAL_EXITS[code] ? 'cancelled' : 'error', `the process ended (${SIGNAL_EXITS[code] ?? `exit code ${code}`}) before the run finished`);
      };
      process.on('exit', onExit);
      try {
        printer.line(`run ${header.id}: ${proposers.map((p) => (p.kind === 'llm' ? `model ${flags.modelName} at ${flags.baseUrl}` : 'built-in search')).join(' + ')}`);
        const result = await runLoop({ problem, proposers, evaluator, ...(prepared.profiler ? { profiler: prepared.profiler } : {}), sink: store, options: resumed ? resumed.run.header.options : flags.loop, ...(resumed ? { resume: resumed.run } : {}), signal, onEvent: printer.onEvent });
        printer.done();
        const cancelled = result.stop.reason === 'cancelled';
        const report = await reportOf(store.dir, deps.gateRecords);
        const delivery = cancelled
          ? { lines: flags.apply || flags.out ? ['nothing applied or written: the run was cancelled'] : [], json: { notes: [] }, exitCode: CANCELLED_EXIT }
          : await deliverBest({ apply: flags.apply, ...(flags.out !== undefined ? { out: flags.out } : {}), startSha256: header.baselineSha256, problem, ...(result.best ? { best: result.best } : {}) });
        if (flags.json) return { output: JSON.stringify({ ...report, runDir: store.dir, ...delivery.json }, null, 2), exitCode: delivery.exitCode };
        const lines = [formatReport(report), '', result.message];
        if (result.best) lines.push(`candidate: ${store.dir}/attempts/${result.best.id}/ (diff: candidate.diff)`);
        if (cancelled) lines.push(`cancelled: resume with --resume ${header.id}`);
        lines.push(...delivery.lines, `record: ${store.dir}`);
        return { output: lines.join('\n'), exitCode: delivery.exitCode };
      } finally {
        process.removeListener('exit', onExit);
      }
    } finally {
      await prepared.close();
    }
  });
}
