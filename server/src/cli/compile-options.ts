// The CLI's compiler options (--nvcc-path, -I/--include-path, -D/--define, --extra-arg, --compile-commands) as the
// settings compile-flags.ts resolves. They are typed by the user on their own command line, so they count as the
// user's: any flag passes. Only what the workspace brings (its compile_commands.json) is held to the allow-list.
import { resolve } from 'node:path';
import type { FlagRequest } from '../check/compile-flags';
import { defaultSettings, type SettingOrigins } from '../settings';

export interface CompileCliFlags {
  nvccPath?: string;
  includePaths?: string[];
  defines?: string[];
  extraArgs?: string[];
  compileCommands?: string;
}

export const COMPILE_OPTIONS_USAGE = `compiler options of check/bench/compare: --nvcc-path PATH, -I DIR / --include-path DIR, -D NAME[=VALUE] /
--define NAME[=VALUE], --extra-arg=FLAG (one nvcc word each, e.g. --extra-arg=--use_fast_math), --compile-commands FILE
(default: compile_commands.json found inside --workspace; its flags pass the workspace allow-list, see README).`;

/** The request for resolveCompileFlags, without the file: relative paths are relative to where the command runs. */
export function compileRequest(flags: CompileCliFlags, workspace: string): Omit<FlagRequest, 'file'> {
  const origins: SettingOrigins = { nvccPath: 'cli', includePaths: 'cli', defines: 'cli', extraArgs: 'cli', compileCommands: 'cli' };
  return {
    roots: [workspace],
    cuda: {
      nvccPath: flags.nvccPath ?? defaultSettings.cuda.nvccPath,
      includePaths: (flags.includePaths ?? []).map((p) => resolve(p)),
      defines: flags.defines ?? [],
      extraArgs: flags.extraArgs ?? [],
      compileCommands: flags.compileCommands === undefined ? '' : resolve(flags.compileCommands),
    },
    origins,
  };
}
