// Content hashes for run records: which binary ran and which harness source built it.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of a file, hex; streamed so large binaries do not sit in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new Error(`hashing ${path}: ${(error as Error).message}`, { cause: error });
  }
  return hash.digest('hex');
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
