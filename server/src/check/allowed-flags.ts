// The nvcc flags a workspace may set (workspace settings, compile_commands.json): nvcc runs its sub-steps through
// `sh` and pastes flag values into those command lines, so a workspace value is used only when it is one of the
// flags below with a value from a closed grammar. Include paths and macros are not flags here: they travel in a
// form the shell never sees (compile-flags.ts). Everything else is refused with the reason, and can still be given
// by the user (user-level settings, the command line), who is not a stranger to their own machine.

/** What one word (or a flag with its value word) of an extra-argument list is. */
export type ExtraArg =
  | { kind: 'allowed'; words: string[] }
  | { kind: 'include' | 'system-include' | 'define' | 'undefine'; words: string[]; value: string }
  | { kind: 'refused'; words: string[]; reason: string };

const COUNT = /^\d{1,3}$/;
const WARNING_KINDS = 'all-warnings|cross-execution-space-call|reorder|deprecated-declarations|default-stream-launch|ext-lambda-captures-this';
const PTXAS_OPTION = /^(-O[0-3]|-v|--verbose|-warn-spills|--warn-on-spills|-warn-lmem-usage|--warn-on-local-memory-usage|-warn-double-usage|--warn-on-double-precision-use|-dlcm=(ca|cg)|-dscm=(cg|cs|wt)|--?allow-expensive-optimizations(=(true|false))?|--?maxrregcount=\d{1,3}|--?def-load-cache=(ca|cg|cs|lu|cv)|--?def-store-cache=(wb|cg|cs|wt))$/;
const CUDAFE_OPTION = /^(--diag_suppress=[\w]+(,[\w]+)*|--diag_warning=[\w]+(,[\w]+)*|--diag_error=[\w]+(,[\w]+)*|--display_error_number)$/;

/** Flags without a value, in every spelling nvcc accepts. */
const SWITCHES = new Set([
  '--expt-relaxed-constexpr', '-expt-relaxed-constexpr', '--expt-extended-lambda', '-expt-extended-lambda',
  '--extended-lambda', '-extended-lambda', '--use_fast_math', '-use_fast_math', '-lineinfo', '--generate-line-info',
  '-G', '--device-debug', '-g', '--debug', '--restrict', '-restrict', '--extra-device-vectorization',
  '-extra-device-vectorization', '-w', '--disable-warnings', '--display-error-number', '-err-no',
  '--no-display-error-number', '-no-err-no', '-Wno-deprecated-gpu-targets', '--Wno-deprecated-gpu-targets',
  '-Wno-deprecated-declarations', '--Wno-deprecated-declarations', '-Wreorder', '--Wreorder', '-Wext-lambda-captures-this',
  '-O0', '-O1', '-O2', '-O3', '-src-in-ptx', '--source-in-ptx', '--resource-usage', '-res-usage',
]);

/** Flags with a value: `--name=value`, or `-name value` as two words. */
const VALUED: Array<{ names: string[]; value: RegExp; each?: boolean }> = [
  { names: ['-std', '--std'], value: /^(c|gnu)\+\+(03|11|14|17|20|23)$/ },
  { names: ['-maxrregcount', '--maxrregcount'], value: COUNT },
  { names: ['-ftz', '--ftz', '-prec-div', '--prec-div', '-prec-sqrt', '--prec-sqrt', '-fmad', '--fmad', '-rdc', '--relocatable-device-code', '-dopt', '--dopt'], value: /^(true|false|on|off)$/ },
  { names: ['-default-stream', '--default-stream'], value: /^(legacy|null|per-thread)$/ },
  { names: ['-diag-suppress', '--diag-suppress', '-diag-warn', '--diag-warn', '-diag-error', '--diag-error'], value: /^\d+(-D)?(,\d+(-D)?)*$/ },
  { names: ['-Werror', '--Werror'], value: new RegExp(`^(${WARNING_KINDS})(,(${WARNING_KINDS}))*$`) },
  { names: ['-t', '--threads'], value: COUNT },
  { names: ['-split-compile', '--split-compile'], value: COUNT },
  { names: ['-Xptxas', '--ptxas-options'], value: PTXAS_OPTION, each: true },
  { names: ['-Xcudafe'], value: CUDAFE_OPTION, each: true },
];

/** Flags refused whatever their value, and why (the user can still set them at user level). */
const REFUSED: Array<{ names: string[]; takesValue: boolean; reason: string }> = [
  { names: ['-ccbin', '--compiler-bindir'], takesValue: true, reason: 'it chooses the host compiler program nvcc runs' },
  { names: ['-Xcompiler', '--compiler-options'], takesValue: true, reason: 'it passes options to the host compiler (e.g. -wrapper runs any program)' },
  { names: ['-Xlinker', '--linker-options', '-Xnvlink', '--nvlink-options', '-Xarchive', '--archive-options'], takesValue: true, reason: 'it passes options to the linker' },
  { names: ['--options-file', '-optf'], takesValue: true, reason: 'it reads more options from a file' },
  { names: ['-o', '--output-file', '-odir', '--output-directory', '-keep-dir', '--keep-dir', '-MF', '--dependency-output'], takesValue: true, reason: 'it writes files where it says' },
  { names: ['-keep', '--keep', '-save-temps', '--save-temps'], takesValue: false, reason: 'it leaves intermediate files behind' },
  { names: ['-run', '--run', '-run-args', '--run-args'], takesValue: false, reason: 'it runs the compiled program' },
  { names: ['-dryrun', '--dryrun'], takesValue: false, reason: 'it prints the commands instead of compiling' },
  { names: ['-arch', '--gpu-architecture', '-code', '--gpu-code', '-gencode', '--generate-code'], takesValue: true, reason: 'the architecture comes from "kernelpilot.cuda.arch" (or --arch)' },
  { names: ['-include', '--pre-include', '-L', '--library-path', '-l', '--library', '-ldir', '--libdevice-directory'], takesValue: true, reason: 'it names files and folders nvcc passes to its sub-commands; use includePaths or the source itself' },
];

/** The channels: values that become symlinks or `#define` lines, never shell words. */
const CHANNELS: Array<{ names: string[]; kind: 'include' | 'system-include' | 'define' | 'undefine' }> = [
  { names: ['-I', '--include-path'], kind: 'include' },
  { names: ['-isystem', '--system-include'], kind: 'system-include' },
  { names: ['-D', '--define-macro'], kind: 'define' },
  { names: ['-U', '--undefine-macro'], kind: 'undefine' },
];

const SHELL_SPECIAL = /[\s$`"'\\;&|<>(){}[\]*?!#~\p{Cc}]/u;

/** The value of `word` for a flag spelled `name` (`-Ix`, `-I x`, `--include-path=x`), or undefined when it is another flag. */
function valueOf(word: string, next: string | undefined, name: string, attached: boolean): { value: string | undefined; words: number } | undefined {
  if (word === name) return { value: next, words: 2 };
  if (word.startsWith(`${name}=`)) return { value: word.slice(name.length + 1), words: 1 };
  if (attached && word.startsWith(name) && word.length > name.length) return { value: word.slice(name.length), words: 1 };
  return undefined;
}

/** One flag starting at `args[i]`. */
function classifyAt(args: readonly string[], i: number): ExtraArg {
  const word = args[i];
  const next = args[i + 1];
  const take = (n: number) => args.slice(i, i + n);
  for (const channel of CHANNELS) {
    for (const name of channel.names) {
      // Short spellings take their value attached (`-Ifoo`), long ones with `=`; `-isystem` both ways.
      const v = valueOf(word, next, name, !name.startsWith('--'));
      if (!v) continue;
      if (v.value === undefined) return { kind: 'refused', words: take(1), reason: `${name} needs a value` };
      return { kind: channel.kind, words: take(v.words), value: v.value };
    }
  }
  if (SWITCHES.has(word)) return { kind: 'allowed', words: [word] };
  for (const refused of REFUSED) {
    for (const name of refused.names) {
      const v = refused.takesValue ? valueOf(word, next, name, name === '-L' || name === '-l') : word === name ? { value: undefined, words: 1 } : undefined;
      if (v) return { kind: 'refused', words: take(refused.takesValue && v.value !== undefined ? v.words : 1), reason: refused.reason };
    }
  }
  for (const flag of VALUED) {
    for (const name of flag.names) {
      const v = valueOf(word, next, name, false);
      if (!v) continue;
      const values = v.value === undefined ? [] : flag.each ? v.value.split(',') : [v.value];
      const shown = take(v.words).join(' ');
      if (v.value === undefined) return { kind: 'refused', words: take(1), reason: `${name} needs a value` };
      const bad = values.find((value) => !flag.value.test(value));
      if (bad !== undefined) {
        const special = SHELL_SPECIAL.exec(bad);
        return { kind: 'refused', words: take(v.words), reason: special ? `its value has ${JSON.stringify(special[0])}, which nvcc's shell would interpret` : `'${bad}' is not a value KernelPilot knows for ${name} (in '${shown}')` };
      }
      return { kind: 'allowed', words: take(v.words) };
    }
  }
  const special = SHELL_SPECIAL.exec(word);
  if (special) return { kind: 'refused', words: [word], reason: `it has ${JSON.stringify(special[0])}, which nvcc's shell would interpret` };
  return { kind: 'refused', words: [word], reason: 'it is not on the list of flags a workspace may set (README: "Settings")' };
}

/** Splits an argument list into flags, each allowed, routed to a channel, or refused with its reason. */
export function classifyExtraArgs(args: readonly string[]): ExtraArg[] {
  const out: ExtraArg[] = [];
  for (let i = 0; i < args.length; ) {
    const arg = classifyAt(args, i);
    out.push(arg);
    i += Math.max(1, arg.words.length);
  }
  return out;
}
