import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { resolveKernel } from '../bench/job-prepare';
import { formatInference, formatSpecJson } from '../benchspec/format';
import { inferSpec } from '../benchspec/infer';
import { installedSchemaUri, saveSpec, specPath } from '../benchspec/store';
import { CliError } from './errors';
import { toCliError } from './job-common';

export interface SpecFlags {
  kernel?: string;
  json: boolean;
  write: boolean;
  force: boolean;
  workspace: string;
}

/**
 * `kernelpilot spec FILE [--kernel K] [--json] [--write [--force]]`: the inferred bench spec as text (what will
 * run, what was assumed, what is unknown) or as JSON; --write saves it under .kernelpilot/specs/ to be edited.
 */
export async function specCommand(files: string[], flags: SpecFlags): Promise<string> {
  if (files.length !== 1) throw new CliError('usage: kernelpilot spec FILE [--kernel K] [--json] [--write [--force]] [--workspace DIR]', 2);
  const file = resolve(flags.workspace, files[0]);
  try {
    const { kernel, text } = await resolveKernel(file, flags.kernel);
    const result = inferSpec(kernel, { fileText: text, workspaceRoot: flags.workspace });
    const path = specPath(flags.workspace, kernel.qualifiedName);
    if (flags.write) {
      if (existsSync(path) && !flags.force) throw new CliError(`${path} already exists (pass --force to overwrite it with a fresh inference)`);
      await saveSpec(path, result.spec, { schemaUri: installedSchemaUri() });
      const todo = result.unknowns.length ? `; fill in ${result.unknowns.length} "?" field${result.unknowns.length === 1 ? '' : 's'} before it can run: ${result.unknowns.map((u) => u.path).join(', ')}` : '';
      return `${relative(process.cwd(), path) || path}${todo}`;
    }
    if (flags.json) return formatSpecJson(result.spec).trimEnd();
    return formatInference(result, { kernel, specPath: relative(process.cwd(), path) || path, specExists: existsSync(path) }).trimEnd();
  } catch (error) {
    throw toCliError(error);
  }
}
