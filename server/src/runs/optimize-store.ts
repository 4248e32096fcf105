// Optimize run records on disk: `.kernelpilot/runs/<id>/optimize.json` (the header), `events.jsonl` (rounds and
// stops, appended), and `attempts/<attempt id>/` per attempt: `attempt.json` (everything, written last and
// atomically: an attempt folder without it was interrupted and does not count), plus the same content as files
// to read: the candidate's source, its diff against the baseline, the prompt and the model's response.
// A run the process could not end itself (SIGTERM, a second Ctrl-C) gets its stop event from the process's exit,
// synchronously (markEndedSync): a record never claims to be running when nothing runs it.

import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { addSpend, NO_SPEND } from '../optimize/budget';
import { bestOf } from '../optimize/loop';
import type { AttemptRecord, RecordedRun, RunEvent, RunHeader, RunSink, StopReason } from '../optimize/record';
import { runDir, runId } from './record';

export const OPTIMIZE_FILE = 'optimize.json';
const EVENTS_FILE = 'events.jsonl';
const ATTEMPTS_DIR = 'attempts';
const ATTEMPT_FILE = 'attempt.json';

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, file);
}

function conversationText(record: AttemptRecord): string {
  return (record.exchange?.messages ?? []).map((m) => `<!-- ${m.role} -->\n${m.content}\n`).join('\n');
}

export class OptimizeRunStore implements RunSink {
  /** A stop event was written through this store: the run it continues ended (a stop rule, a cancel, an error). */
  stopped = false;

  constructor(
    readonly dir: string,
    private readonly sourceExtension: string,
  ) {}

  async attempt(record: AttemptRecord): Promise<void> {
    const folder = join(this.dir, ATTEMPTS_DIR, record.id);
    await mkdir(folder, { recursive: true });
    if (record.candidate) {
      await writeFile(join(folder, `candidate${this.sourceExtension}`), record.candidate.source, 'utf8');
      await writeFile(join(folder, 'candidate.diff'), record.candidate.diff, 'utf8');
    }
    if (record.exchange) {
      await writeFile(join(folder, 'prompt.md'), conversationText(record), 'utf8');
      await writeFile(join(folder, 'response.md'), record.exchange.response, 'utf8');
    }
    await writeAtomic(join(folder, ATTEMPT_FILE), `${JSON.stringify(record, null, 2)}\n`);
  }

  async event(event: RunEvent): Promise<void> {
    await appendFile(join(this.dir, EVENTS_FILE), `${JSON.stringify(event)}\n`, 'utf8');
    if (event.kind === 'stop') this.stopped = true;
  }

  /** The stop event of a run ended from outside, from what is on disk (for a process `exit` listener: synchronous). */
  markEndedSync(reason: StopReason, detail: string): void {
    const { attempts, events } = readRunSync(this.dir);
    const best = bestOf(attempts);
    const spend = attempts.reduce((sum, a) => addSpend(sum, a.exchange?.usage ?? { inputTokens: 0, outputTokens: 0 }, a.exchange ? a.costUsd : 0), NO_SPEND);
    const elapsedMs = Math.max(0, ...attempts.map((a) => a.startedAtMs + a.durationMs), ...events.map((e) => e.elapsedMs));
    const event: RunEvent = { kind: 'stop', reason, detail, ...(best ? { best: { id: best.id, speedup: best.speedup } } : {}), spend, elapsedMs };
    appendFileSync(join(this.dir, EVENTS_FILE), `${JSON.stringify(event)}\n`, 'utf8');
    this.stopped = true;
  }
}

/** Creates the run folder and its header; the id is `<time>-<kernel>-<random>` as for bench runs. */
export async function createOptimizeRun(workspace: string, header: Omit<RunHeader, 'id' | 'createdAt' | 'version' | 'kind'>, now = new Date()): Promise<{ header: RunHeader; store: OptimizeRunStore }> {
  const full: RunHeader = { version: 1, kind: 'optimize', id: runId(now, header.kernel), createdAt: now.toISOString(), ...header };
  const dir = runDir(workspace, full.id);
  await mkdir(join(dir, ATTEMPTS_DIR), { recursive: true });
  await writeFile(join(dir, OPTIMIZE_FILE), `${JSON.stringify(full, null, 2)}\n`, { encoding: 'utf8', flag: 'wx' });
  return { header: full, store: new OptimizeRunStore(dir, extname(header.file) || '.cu') };
}

function readRunSync(dir: string): RecordedRun {
  const headerFile = join(dir, OPTIMIZE_FILE);
  let header: RunHeader;
  try {
    header = JSON.parse(readFileSync(headerFile, 'utf8')) as RunHeader;
  } catch (error) {
    throw new Error(`${headerFile}: not an optimize run record (${(error as Error).message})`, { cause: error });
  }
  if (header.kind !== 'optimize' || header.version !== 1) throw new Error(`${headerFile}: kind ${JSON.stringify(header.kind)} version ${JSON.stringify(header.version)}; this KernelPilot reads optimize records of version 1`);
  const attempts: AttemptRecord[] = [];
  let ids: string[] = [];
  try {
    ids = readdirSync(join(dir, ATTEMPTS_DIR));
  } catch {
    // No attempt yet.
  }
  for (const id of ids.sort()) {
    const file = join(dir, ATTEMPTS_DIR, id, ATTEMPT_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // an attempt interrupted before its record was written does not count
    }
    try {
      attempts.push(JSON.parse(text) as AttemptRecord);
    } catch (error) {
      throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  let eventsText = '';
  try {
    eventsText = readFileSync(join(dir, EVENTS_FILE), 'utf8');
  } catch {
    // No event yet.
  }
  // A line cut by an interruption is dropped; every complete line is an event.
  const events = eventsText.split('\n').flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as RunEvent] : [];
    } catch {
      return [];
    }
  });
  return { header, attempts, events };
}

/** Reads a run back: header, finished attempts in id order, events in order. Errors name the file at fault. */
export async function openOptimizeRun(dir: string): Promise<{ run: RecordedRun; store: OptimizeRunStore }> {
  const run = readRunSync(dir);
  return { run, store: new OptimizeRunStore(dir, extname(run.header.file) || '.cu') };
}
