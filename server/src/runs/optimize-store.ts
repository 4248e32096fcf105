// Optimize run records on disk: `.kernelpilot/runs/<id>/optimize.json` (the header), `events.jsonl` (rounds and
// stops, appended), and `attempts/<attempt id>/` per attempt: `attempt.json` (everything, written last and
// atomically: an attempt folder without it was interrupted and does not count), plus the same content as files
// to read: the candidate's source, its diff against the baseline, the prompt and the model's response.

import { appendFile, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AttemptRecord, RecordedRun, RunEvent, RunHeader, RunSink } from '../optimize/record';
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

/** Reads a run back: header, finished attempts in id order, events in order. Errors name the file at fault. */
export async function openOptimizeRun(dir: string): Promise<{ run: RecordedRun; store: OptimizeRunStore }> {
  const headerFile = join(dir, OPTIMIZE_FILE);
  let header: RunHeader;
  try {
    header = JSON.parse(await readFile(headerFile, 'utf8')) as RunHeader;
  } catch (error) {
    throw new Error(`${headerFile}: not an optimize run record (${(error as Error).message})`, { cause: error });
  }
  if (header.kind !== 'optimize' || header.version !== 1) throw new Error(`${headerFile}: kind ${JSON.stringify(header.kind)} version ${JSON.stringify(header.version)}; this KernelPilot reads optimize records of version 1`);
  const attempts: AttemptRecord[] = [];
  const ids = await readdir(join(dir, ATTEMPTS_DIR)).catch(() => [] as string[]);
  for (const id of ids.sort()) {
    const file = join(dir, ATTEMPTS_DIR, id, ATTEMPT_FILE);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      attempts.push(JSON.parse(text) as AttemptRecord);
    } catch (error) {
      throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  const eventsText = await readFile(join(dir, EVENTS_FILE), 'utf8').catch(() => '');
  // A line cut by an interruption is dropped; every complete line is an event.
  const events = eventsText.split('\n').flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as RunEvent] : [];
    } catch {
      return [];
    }
  });
  return { run: { header, attempts, events }, store: new OptimizeRunStore(dir, extname(header.file) || '.cu') };
}
