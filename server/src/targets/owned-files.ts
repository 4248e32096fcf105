// What we built, by content: a cached object or binary is used only when its sha256 is the one we recorded when we
// wrote it. The records live in the private manifest folder, which only this user can write, so a file planted
// or swapped in a cache folder (a shared one, or a build folder given on the command line) is never linked or run.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { privateDir } from './private-dir';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function entryFor(file: string): Promise<string> {
  const name = createHash('sha256').update(resolve(file)).digest('hex').slice(0, 40);
  return join(await privateDir('manifest'), name);
}

/** Records `file` as ours, as it is now. Call it right after writing the file under its final name. */
export async function recordOwned(file: string): Promise<void> {
  const entry = await entryFor(file);
  const temp = `${entry}.${process.pid}.tmp`;
  await writeFile(temp, `${await sha256File(file)}\n${resolve(file)}\n`, { mode: 0o600 });
  await rename(temp, entry);
}

/** True only when `file` exists and has exactly the content recorded by recordOwned. */
export async function isOwned(file: string): Promise<boolean> {
  try {
    const [recorded, path] = (await readFile(await entryFor(file), 'utf8')).split('\n');
    return path === resolve(file) && recorded === (await sha256File(file));
  } catch {
    return false;
  }
}

/** Forgets `file` (it is about to be rebuilt or removed). */
export async function forgetOwned(file: string): Promise<void> {
  await unlink(await entryFor(file)).catch(() => undefined);
}
