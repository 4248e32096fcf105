// Runs the Python gate (kp_kernelbench.py) for one KernelBench task and its candidates through a Target, and sorts
// its event lines into the reference's evidence and each candidate's. One process per task: torch is imported once,
// each candidate runs in a child of it (protocol.ts); cancelling kills the process group, children included. A
// candidate child can write only its own work folder and its own build folder: the inputs are read-only in the
// sandbox, and the harness's parent checks the rest between children.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { privateDir } from '../../targets/private-dir';
import { createScratch } from '../../targets/scratch';
import type { SandboxPolicy, Target } from '../../targets/target';
import type { BaselineCheckEvent, ErrorEvent, RepeatEvent, TimingEvent } from '../protocol';
import { parseEvents } from '../run';
import harnessSource from './kp_kernelbench.py';
import type { BaselinesEvent, KernelBenchCheckEvent, KernelBenchEvent, KernelBenchJob, KernelBenchStartEvent, ReferenceEvent, ReportEvent } from './protocol';

export interface ReferenceEvidence {
  start?: KernelBenchStartEvent;
  reference?: ReferenceEvent;
  checks: BaselineCheckEvent[];
  baselines?: BaselinesEvent;
  error?: ErrorEvent;
  seconds?: number;
  report?: ReportEvent;
}

export interface CandidateRunEvidence {
  /** The candidate's file as the user named it. */
  file: string;
  start?: KernelBenchStartEvent;
  checks: KernelBenchCheckEvent[];
  repeat?: RepeatEvent;
  timing?: TimingEvent;
  error?: ErrorEvent;
  /** It printed its end event (a crash or a kill leaves none). */
  ended: boolean;
  /** From its fork to its end: loading, building, checking, timing. */
  seconds?: number;
  report?: ReportEvent;
  /** What Model said in this candidate's child: the autotune config the timed pairs' reference ran with. */
  referenceReport?: ReportEvent;
  /** It never ran: the gate's process ended before its turn (why, in words); nothing about it is known. */
  notRun?: string;
}

export interface KernelBenchRun {
  harness?: { torch: string; python: string };
  reference: ReferenceEvidence;
  candidates: CandidateRunEvidence[];
}

export interface KernelBenchRunOptions {
  target: Target;
  /** The python on the target (default `python3`). */
  python?: string;
  /** The whole run's limit; the process tree is killed past it. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** The sandbox lets the process reach the GPU. */
  gpu: boolean;
  /** More environment for the harness (TRITON_INTERPRET=1 for Triton on a CPU). */
  env?: Record<string, string>;
}

export class KernelBenchRunError extends Error {
  constructor(message: string, readonly events: KernelBenchEvent[] = []) {
    super(message);
    this.name = 'KernelBenchRunError';
  }
}

/** Sorts the events of one run: the reference's until the first candidate marker, then each candidate's own. */
export function sortEvents(events: readonly KernelBenchEvent[], files: readonly string[]): KernelBenchRun {
  const run: KernelBenchRun = { reference: { checks: [] }, candidates: [] };
  let current: CandidateRunEvidence | undefined;
  for (const event of events) {
    if (event.kind === 'harness') run.harness = { torch: event.torch, python: event.python };
    else if (event.kind === 'candidate') {
      current = { file: files[event.index] ?? event.file, checks: [], ended: false };
      run.candidates.push(current);
    } else if (current) {
      if (event.kind === 'start') current.start = event;
      else if (event.kind === 'check') current.checks.push(event as KernelBenchCheckEvent);
      else if (event.kind === 'repeat') current.repeat = event;
      else if (event.kind === 'timing') current.timing = event;
      else if (event.kind === 'error') current.error = event;
      else if (event.kind === 'end') current.ended = true;
      else if (event.kind === 'finished') current.seconds = event.seconds;
      else if (event.kind === 'report' && event.side === 'reference') current.referenceReport = event;
      else if (event.kind === 'report') current.report = event;
    } else if (event.kind === 'report') run.reference.report = event;
    else if (event.kind === 'finished') run.reference.seconds = event.seconds;
    else if (event.kind === 'start') run.reference.start = event;
    else if (event.kind === 'reference') run.reference.reference = event;
    else if (event.kind === 'baseline-check') run.reference.checks.push(event);
    else if (event.kind === 'baselines') run.reference.baselines = event;
    else if (event.kind === 'error') run.reference.error = event;
  }
  return run;
}

/**
 * The gate's process ended (killed, or a sandbox limit) while a candidate's child ran: a candidate can reach the
 * process that checks it (same user), so that candidate is taken to have ended it and is rejected for it; those after
 * it never ran and say so (`notRun`), and the candidates before it keep their verdicts. Undefined when no candidate was
 * running (the reference, or between children): then nothing is known of whose doing it was.
 */
export function blameRunningCandidate(run: KernelBenchRun, labels: readonly string[], ended: string): KernelBenchRun | undefined {
  // The parent reports each child's end (`finished`, its seconds) when it has waited for it: a candidate without one
  // was running when the parent ended, whatever its child printed afterwards (it outlives the parent for a moment).
  const running = run.candidates.at(-1);
  if (!run.reference.reference || !running || running.seconds !== undefined) return undefined;
  const blamed: CandidateRunEvidence = {
    ...running,
    ended: false,
    error: { kind: 'error', stage: 'gate-ended', message: `${ended} while this candidate ran: the candidate is taken to have ended it (a candidate shares the user of the process that checks it)` },
  };
  const after = labels.slice(run.candidates.length).map((file) => ({ file, checks: [], ended: false, notRun: `not run: ${ended} while ${running.file} ran, before this candidate's turn` }));
  return { ...run, candidates: [...run.candidates.slice(0, -1), blamed, ...after] };
}

/** A file of the run: copied from this machine's `path`, or written from `text`. */
export type GateFile = { path: string } | { text: string };

export interface GateFiles {
  /** The task (Model, get_inputs), written as task.py. */
  task: GateFile;
  /** The ModelNew files, written as candidate_<i>.py; `label` is how events and results name each. */
  candidates: Array<{ label: string; file: GateFile }>;
  /** More files beside them, under our own names (a Triton job's kernel modules). */
  support?: Array<{ name: string; file: GateFile }>;
  /** How messages name the run. */
  what: string;
}

/** An input of the run, readable by the sandbox's unprivileged uid (the scratch folder above it is private). */
async function writeInput(to: string, data: string | Buffer): Promise<void> {
  await writeFile(to, data);
  await chmod(to, 0o644);
}

async function place(file: GateFile, to: string): Promise<void> {
  await writeInput(to, 'path' in file ? await readFile(file.path) : file.text);
}

/** A KernelBench task and its ModelNew files (runPythonGate). */
export function runKernelBench(task: string, candidates: readonly string[], job: Omit<KernelBenchJob, 'task' | 'candidates'>, options: KernelBenchRunOptions): Promise<KernelBenchRun> {
  return runPythonGate({ task: { path: task }, candidates: candidates.map((c) => ({ label: c, file: { path: c } })), what: `the KernelBench run of ${task}` }, job, options);
}

/**
 * Each candidate's load_inline build folder, kept across runs in the private cache and named by a hash of its source:
 * an unchanged candidate finds its extension built (ninja has nothing to do), a changed one gets a folder of its own.
 * All of the run's build folders are bound writable (nothing beyond them); the harness's parent checks after every
 * child that it changed no folder but its own, and empties one it did.
 */
async function buildDirsFor(sources: ReadonlyArray<string | Buffer>): Promise<string[]> {
  const root = await privateDir('torch-extensions');
  return Promise.all(sources.map(async (source) => {
    const dir = join(root, createHash('sha256').update(source).digest('hex').slice(0, 16));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }));
}

/**
 * Copies the harness, the task, the candidates and their support files (our names) into `inputs/` of a scratch
 * folder, which the sandbox binds read-only, makes `work/` beside it, the one folder of the scratch it may write,
 * puts both on the target and runs the job there. The harness gives each child (the reference, each candidate) a
 * fresh folder of its own under `work/` (cwd, home, TMPDIR, TRITON_CACHE_DIR), so a candidate child can write only
 * its own work folder and its own build folder; the harness's parent checks the rest (kp_kernelbench.py). `job`
 * names no files: this fills them in.
 */
export async function runPythonGate(files: GateFiles, job: Omit<KernelBenchJob, 'task' | 'candidates'>, options: KernelBenchRunOptions): Promise<KernelBenchRun> {
  const { target } = options;
  const scratch = await createScratch('kernelbench');
  try {
    const inputs = join(scratch.dir, 'inputs');
    const work = join(scratch.dir, 'work');
    await mkdir(inputs);
    await chmod(inputs, 0o755);
    await mkdir(work, { mode: 0o700 });
    const harness = join(inputs, 'kp_kernelbench.py');
    await writeInput(harness, harnessSource);
    await place(files.task, join(inputs, 'task.py'));
    const copies = files.candidates.map((_, i) => join(inputs, `candidate_${i}.py`));
    const sources = await Promise.all(files.candidates.map((c) => ('path' in c.file ? readFile(c.file.path) : c.file.text)));
    await Promise.all(sources.map((source, i) => writeInput(copies[i], source)));
    await Promise.all((files.support ?? []).map((f) => place(f.file, join(inputs, f.name))));
    const builds = await buildDirsFor(sources);
    await target.put([scratch.dir, ...builds], { signal: options.signal });
    const workDir = target.targetPath(work);
    const buildDirs = builds.map((b) => target.targetPath(b));
    const full: KernelBenchJob = { ...job, task: target.targetPath(join(inputs, 'task.py')), candidates: copies.map((c) => target.targetPath(c)), buildDirs, workDir };
    const sandbox: SandboxPolicy = { readable: [target.targetPath(inputs)], writable: [workDir, ...new Set(buildDirs)], gpu: options.gpu, limits: { processes: 4096 } };
    const result = await target.exec(options.python ?? 'python3', [target.targetPath(harness)], {
      input: JSON.stringify(full),
      cwd: workDir,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      // Each child's TRITON_CACHE_DIR, TMPDIR and home are set by the harness, in its own work folder.
      env: { PYTHONDONTWRITEBYTECODE: '1', ...options.env },
      // Candidate code runs here: always under the target's sandbox (the user's --no-sandbox is the target's to apply).
      sandbox,
    });
    const events = parseEvents(result.stdout) as unknown as KernelBenchEvent[];
    const where = `on target '${target.name}'`;
    if (result.notFound) throw new KernelBenchRunError(`python '${options.python ?? 'python3'}' could not be started ${where}: install python3 with torch there, or name it with --python PATH`, events);
    if (result.cancelled) throw new KernelBenchRunError(`${files.what} was cancelled`, events);
    if (result.timedOut) throw new KernelBenchRunError(`${files.what} did not finish within ${Math.round(options.timeoutMs / 1000)} s ${where}`, events);
    const labels = files.candidates.map((c) => c.label);
    if (!events.some((e) => e.kind === 'done')) {
      const how = result.limit ? result.limit.message : `ended without finishing (exit ${result.exitCode ?? 'by a signal'})`;
      const salvaged = result.timedOut ? undefined : blameRunningCandidate(sortEvents(events, labels), labels, `the gate's process ${how} ${where}`);
      if (salvaged) return salvaged;
      if (result.limit) throw new KernelBenchRunError(`${files.what} ${result.limit.message} ${where}`, events);
      const stderr = result.stderr.trim().split(/\r?\n/).slice(-5).join(' | ');
      throw new KernelBenchRunError(`the Python harness ended without finishing (exit ${result.exitCode ?? 'by a signal'}) ${where}${stderr ? `: ${stderr}` : ''}`, events);
    }
    return sortEvents(events, labels);
  } finally {
    await scratch.remove();
  }
}
