// Parses the resource report ptxas writes with `nvcc -Xptxas -v` (or `--resource-usage`).
// The report is a sequence of modules, one per arch:
//   ptxas info    : 0 bytes gmem[, 64 bytes cmem[3]]                     ← a module starts
//   ptxas info    : Compiling entry function '<name>' for 'sm_90'       ← an entry (kernel) starts
//   ptxas info    : Function properties for <name>                      ← entry or device function
//       N bytes stack frame, N bytes spill stores, N bytes spill loads
//   ptxas info    : Used N registers, used N barriers, N bytes smem, N bytes cmem[0], …
// Device functions' properties blocks come after the entries, with no "Compiling entry" line, so only
// names announced by "Compiling entry function" are kernels.

import type { PtxasEntry, PtxasFunction } from './types';

export interface PtxasReport {
  entries: PtxasEntry[];
  deviceFunctions: PtxasFunction[];
}

const PREFIX = /^ptxas\s+info\s*:\s*/;
const MODULE_START = /^\d+ bytes gmem\b/;
const ENTRY = /^Compiling entry function '([^']+)' for '([^']+)'/;
const PROPERTIES = /^Function properties for (\S+)/;
const FRAME = /^\s*(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/;
const USED = /^Used (\d+) registers\b(.*)$/;

export function parsePtxasOutput(text: string): PtxasReport {
  const entries: PtxasEntry[] = [];
  const functions: (PtxasFunction & { module: number })[] = [];
  const entryModule = new Map<PtxasEntry, number>();
  let module = 0;
  let moduleArch: string | undefined;
  let current: PtxasEntry | undefined;
  // Which record the next "N bytes stack frame" line belongs to.
  let frameOwner: { stackFrameBytes: number; spillStoreBytes: number; spillLoadBytes: number } | undefined;

  for (const raw of text.split(/\r?\n/)) {
    const frame = frameOwner && FRAME.exec(raw);
    if (frame && frameOwner) {
      frameOwner.stackFrameBytes = Number(frame[1]);
      frameOwner.spillStoreBytes = Number(frame[2]);
      frameOwner.spillLoadBytes = Number(frame[3]);
      frameOwner = undefined;
      continue;
    }
    frameOwner = undefined;
    const prefix = PREFIX.exec(raw);
    if (!prefix) continue;
    const line = raw.slice(prefix[0].length).trim();

    if (MODULE_START.test(line)) {
      module++;
      moduleArch = undefined;
      current = undefined;
      continue;
    }
    const entry = ENTRY.exec(line);
    if (entry) {
      current = {
        mangledName: entry[1],
        arch: entry[2],
        registers: 0,
        barriers: 0,
        sharedMemBytes: 0,
        stackFrameBytes: 0,
        spillStoreBytes: 0,
        spillLoadBytes: 0,
      };
      moduleArch = entry[2];
      entries.push(current);
      entryModule.set(current, module);
      continue;
    }
    const properties = PROPERTIES.exec(line);
    if (properties) {
      const name = properties[1];
      if (current && current.mangledName === name) {
        frameOwner = current;
      } else {
        // A device function (called, not inlined). Its block follows the entries of the same module.
        const fn = { mangledName: name, arch: moduleArch, stackFrameBytes: 0, spillStoreBytes: 0, spillLoadBytes: 0, module };
        functions.push(fn);
        frameOwner = fn;
        current = undefined;
      }
      continue;
    }
    const used = USED.exec(line);
    if (used && current) {
      current.registers = Number(used[1]);
      applyUsage(current, used[2]);
      continue;
    }
  }

  // A device function printed before any entry of its module still gets the module's arch.
  const archOfModule = new Map<number, string>();
  for (const e of entries) archOfModule.set(entryModule.get(e) ?? 0, e.arch);
  const deviceFunctions = functions.map(({ module: m, arch: known, ...fn }): PtxasFunction => {
    const arch = known ?? archOfModule.get(m);
    return arch === undefined ? fn : { ...fn, arch };
  });
  return { entries, deviceFunctions };
}

/** The rest of a "Used N registers" line: a comma list whose items vary across CUDA versions and archs. */
function applyUsage(entry: PtxasEntry, rest: string): void {
  let cmem: number | undefined;
  for (const item of rest.split(',').map((s) => s.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^used (\d+) barriers?$/.exec(item))) entry.barriers = Number(m[1]);
    // Old toolkits printed `4+16 bytes smem` (static + reserved); the sum is what the block occupies.
    else if ((m = /^(\d+)(?:\+(\d+))? bytes smem$/.exec(item))) entry.sharedMemBytes = Number(m[1]) + Number(m[2] ?? 0);
    else if ((m = /^(\d+) bytes cmem\[\d+\]$/.exec(item))) cmem = (cmem ?? 0) + Number(m[1]);
    else if ((m = /^(\d+) bytes cumulative stack size$/.exec(item))) entry.cumulativeStackBytes = Number(m[1]);
  }
  if (cmem !== undefined) entry.constantMemBytes = cmem;
}
