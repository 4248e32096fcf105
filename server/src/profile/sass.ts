// SASS facts from the disassemblers' text: `cuobjdump -sass` (functions headed "Function : <mangled>") and
// `nvdisasm -g -c` (sections `.text.<mangled>` with `//## File "<path>", line N` markers before each run of
// instructions). Both print an instruction as `/*0040*/  [@P0] OPCODE.MODIFIERS operands ;`.

import type { LineFacts, SassFacts } from './report';
import { userFileBlocks } from './source-lines';

export interface SassInstruction {
  /** `LDG.E.128`: the opcode with its modifiers. */
  opcode: string;
  /** From nvdisasm's line markers: the file and 1-based line. */
  file?: string;
  line?: number;
}

const INSTRUCTION = /^\s*\/\*[0-9a-f]{4,}\*\/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)/;
const CUOBJDUMP_FUNCTION = /^\s*Function : (\S+)/;
const NVDISASM_SECTION = /^\s*\.section\s+\.text\.([^,\s]+)/;
const LINE_MARKER = /^\s*\/\/## File "([^"]+)", line (\d+)/;

/** Instructions by function (mangled name), from either disassembler's output. */
export function parseSass(text: string): Map<string, SassInstruction[]> {
  const functions = new Map<string, SassInstruction[]>();
  let current: SassInstruction[] | undefined;
  let where: { file: string; line: number } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const fn = CUOBJDUMP_FUNCTION.exec(raw) ?? NVDISASM_SECTION.exec(raw);
    if (fn) {
      current = functions.get(fn[1]) ?? [];
      functions.set(fn[1], current);
      where = undefined;
      continue;
    }
    const marker = LINE_MARKER.exec(raw);
    if (marker) {
      where = { file: marker[1], line: Number(marker[2]) };
      continue;
    }
    const ins = current && INSTRUCTION.exec(raw);
    if (ins && current) current.push({ opcode: ins[1], ...(where ?? {}) });
  }
  return functions;
}

const baseOpcode = (opcode: string): string => opcode.split('.')[0];

/** Access width in bits from an LDG/STG's modifiers: `.128`, `.64`, `.U8`/`.S8`, `.U16`/`.S16`; else 32. */
function accessBits(opcode: string): number {
  const mods = opcode.split('.').slice(1);
  for (const m of mods) if (m === '128' || m === '64') return Number(m);
  if (mods.some((m) => m === 'U8' || m === 'S8')) return 8;
  if (mods.some((m) => m === 'U16' || m === 'S16')) return 16;
  return 32;
}

const TENSOR_CORE = /^(?:[HIDBQO]G?MMA|UTC[A-Z]*MMA)$/;

export function sassFacts(instructions: readonly SassInstruction[]): SassFacts {
  const facts: SassFacts = { globalLoadsByWidth: {}, globalStoresByWidth: {}, tensorCore: {}, localLoads: 0, localStores: 0, instructions: instructions.length };
  for (const { opcode } of instructions) {
    const base = baseOpcode(opcode);
    if (base === 'LDG' || base === 'STG') {
      const table = base === 'LDG' ? facts.globalLoadsByWidth : facts.globalStoresByWidth;
      const bits = String(accessBits(opcode));
      table[bits] = (table[bits] ?? 0) + 1;
    } else if (base === 'LDL') facts.localLoads++;
    else if (base === 'STL') facts.localStores++;
    else if (TENSOR_CORE.test(base)) facts.tensorCore[base] = (facts.tensorCore[base] ?? 0) + 1;
  }
  return facts;
}

/** The instruction mix of each line of the user's file (0-based), from nvdisasm's line markers. */
export function sassLineMix(instructions: readonly SassInstruction[], userFile: string, targetPath?: string): LineFacts[] {
  const paths = [...new Set(instructions.flatMap((i) => (i.file ? [i.file] : [])))];
  const mine = new Set(userFileBlocks(paths.map((path) => ({ path, functionName: '', rows: [] })), userFile, targetPath).map((f) => f.path));
  const byLine = new Map<number, Record<string, number>>();
  for (const i of instructions) {
    if (!i.file || i.line === undefined || !mine.has(i.file)) continue;
    const mix = byLine.get(i.line - 1) ?? {};
    const op = baseOpcode(i.opcode);
    mix[op] = (mix[op] ?? 0) + 1;
    byLine.set(i.line - 1, mix);
  }
  return [...byLine].sort((a, b) => a[0] - b[0]).map(([line, sassMix]) => ({ line, sassMix }));
}
