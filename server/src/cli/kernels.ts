import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { discover } from '../kernels/discover';
import type { Kernel } from '../kernels/model';
import { CliError } from './errors';
import { table } from './table';

export async function readSource(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file}: no such file` : code === 'EISDIR' ? `${file}: is a directory, not a source file` : `${file}: cannot read (${String(error)})`);
  }
}

export async function kernelsOf(file: string): Promise<{ kernels: Kernel[]; problems: string[] }> {
  const path = resolve(file);
  const result = await discover(path, await readSource(path));
  return { kernels: result.kernels, problems: result.problems.map((p) => `${file}: ${p.message}`) };
}

/** `kernelpilot kernels FILE... [--json]` */
export async function kernelsCommand(files: string[], json: boolean): Promise<string> {
  if (files.length === 0) throw new CliError('usage: kernelpilot kernels FILE... [--json]', 2);
  const all: Kernel[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const result = await kernelsOf(file);
    all.push(...result.kernels);
    problems.push(...result.problems);
  }
  for (const p of problems) process.stderr.write(`kernelpilot: ${p}\n`);
  if (json) return JSON.stringify(all, null, 2);
  if (all.length === 0) return `no kernels found in ${files.join(', ')}`;
  const rows = all.map((k) => [`${k.file}:${k.nameRange.start.line + 1}`, k.language, k.qualifiedName, k.params.map((p) => p.name).join(', '), String(k.launchSites.length)]);
  return table(['location', 'language', 'kernel', 'parameters', 'launches'], rows);
}
