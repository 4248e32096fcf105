// Reads a model's answer: fenced code blocks (```cuda, ```cpp, unlabelled, ~~~), several of them, prose around
// them, a whole file or just the kernel, or bare code with no fence at all; and an optional JSON block with the
// kernel's own launch. A Triton answer: a ```python block defining the kernel, and a JSON block that changes the
// launch's grid, constexprs, num_warps or num_stages. A KernelBench answer: a ```python block, a whole file with
// class ModelNew. What it cannot use it says in words that go back to the model.

import type { LaunchConfig } from '../benchspec/model';

export interface ParsedAnswer {
  /** The code to merge into the parent file. */
  code?: string;
  launch?: LaunchConfig;
  /** The prose outside the blocks, shortened: what the model says it changed. */
  prose: string;
  /** Why the answer cannot be used, when it cannot. */
  problem?: string;
}

interface Block {
  lang: string;
  body: string;
}

const CODE_LANGS = new Set(['', 'cuda', 'cu', 'cuh', 'cpp', 'c++', 'cxx', 'c', 'cc', 'h', 'hpp']);

function blocksOf(text: string): { blocks: Block[]; prose: string } {
  const blocks: Block[] = [];
  const fence = /^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n([\s\S]*?)(?:^[ \t]*\1[ \t]*$|(?![\s\S]))/gm;
  const prose = text.replace(fence, (_all, _fence: string, lang: string, body: string) => {
    blocks.push({ lang: lang.toLowerCase(), body: body.replace(/\n$/, '') });
    return '';
  });
  return { blocks, prose };
}

function definesKernel(code: string, kernel: string): boolean {
  return new RegExp(`\\b${kernel}\\s*\\(`).test(code) && /\b__global__\b|\b\w+\s+void\b/.test(code);
}

/** Code with no fence: from the first line that starts a declaration to the last closing brace. */
function bareCode(text: string): string | undefined {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => /^\s*(#\s*(include|define|pragma)|template\s*<|__global__|__device__|extern\s+"C"|struct\s|static\s|namespace\s|\/\/|\/\*)/.test(l));
  let last = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s*}\s*;?\s*$/.test(lines[i])) {
      last = i;
      break;
    }
  }
  return first >= 0 && last > first ? lines.slice(first, last + 1).join('\n') : undefined;
}

function isHelper(code: string): boolean {
  return /#\s*(include|define)|\b__device__\b|\bstruct\b|\btemplate\s*</.test(code);
}

function launchFrom(value: unknown): LaunchConfig | string {
  const raw = value && typeof value === 'object' && 'launch' in value ? (value as { launch: unknown }).launch : value;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'the JSON block is not an object like {"grid": [...], "block": [...]}';
  const { grid, block, sharedMem } = raw as Record<string, unknown>;
  const dims = (v: unknown): string[] | undefined => {
    const list = Array.isArray(v) ? v : typeof v === 'string' || typeof v === 'number' ? [v] : undefined;
    return list && list.length >= 1 && list.length <= 3 && list.every((x) => typeof x === 'string' || typeof x === 'number') ? list.map(String) : undefined;
  };
  const g = dims(grid);
  const b = dims(block);
  if (!g || !b) return 'the JSON launch block needs "grid" and "block", each a list of one to three expressions';
  if (sharedMem !== undefined && typeof sharedMem !== 'string' && typeof sharedMem !== 'number') return 'the JSON launch block\'s "sharedMem" must be an expression';
  return { grid: g, block: b, ...(sharedMem !== undefined && String(sharedMem).trim() !== '0' ? { sharedMem: String(sharedMem) } : {}) };
}

/** The answer with the launch its JSON block gives (read by `read`), or the reason it cannot be used. */
function withLaunch(out: ParsedAnswer, json: Block | undefined, read: (value: unknown) => LaunchConfig | string): ParsedAnswer {
  if (!json) return out;
  let value: unknown;
  try {
    value = JSON.parse(json.body);
  } catch (error) {
    return { ...out, problem: `the JSON launch block is not valid JSON (${(error as Error).message})` };
  }
  const launch = read(value);
  return typeof launch === 'string' ? { ...out, problem: launch } : { ...out, launch };
}

const PYTHON_LANGS = new Set(['', 'python', 'py', 'python3']);
const TRITON_LAUNCH_KEYS = new Set(['grid', 'constexprs', 'numWarps', 'numStages']);

/** A Triton answer's JSON block: what it changes of the parent's launch (grid, constexprs, numWarps, numStages). */
function tritonLaunchFrom(value: unknown, parent: LaunchConfig): LaunchConfig | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'the JSON block is not an object like {"constexprs": {...}, "numWarps": 8}';
  const given = value as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !TRITON_LAUNCH_KEYS.has(k));
  if (unknown.length) return `the JSON launch block may set only ${[...TRITON_LAUNCH_KEYS].join(', ')}, not ${unknown.join(', ')}`;
  const launch: LaunchConfig = { ...parent };
  delete launch.from;
  if (given.grid !== undefined) {
    const grid = Array.isArray(given.grid) ? given.grid : [given.grid];
    if (grid.length < 1 || grid.length > 3 || !grid.every((g) => typeof g === 'string' || typeof g === 'number')) return 'the JSON launch block\'s "grid" must be a list of one to three expressions';
    launch.grid = grid.map(String);
  }
  if (given.constexprs !== undefined) {
    if (!given.constexprs || typeof given.constexprs !== 'object' || Array.isArray(given.constexprs)) return 'the JSON launch block\'s "constexprs" must be an object of name: value';
    launch.constexprs = { ...parent.constexprs, ...(given.constexprs as Record<string, number | boolean | string>) };
  }
  for (const key of ['numWarps', 'numStages'] as const) {
    const v = given[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) return `the JSON launch block's "${key}" must be an integer`;
    if (typeof v === 'number') launch[key] = v;
  }
  if (launch.numWarps !== undefined) launch.block = [String(launch.numWarps * 32)];
  return launch;
}

/** The code and launch in a Triton answer: the last Python block that defines `kernel`, and a JSON block over `parent`'s launch. */
export function parseTritonAnswer(text: string, kernel: string, parent: LaunchConfig): ParsedAnswer {
  const { blocks, prose } = blocksOf(text);
  const out: ParsedAnswer = { prose: prose.replace(/\s+/g, ' ').trim().slice(0, 400) };
  const defines = new RegExp(`^\\s*def\\s+${kernel}\\s*\\(`, 'm');
  const code = blocks.filter((b) => PYTHON_LANGS.has(b.lang) && defines.test(b.body)).at(-1);
  if (!code) {
    out.problem = `the answer has no \`\`\`python code block defining the kernel ${kernel} (def ${kernel}(...) under @triton.jit)`;
    return out;
  }
  out.code = code.body;
  return withLaunch(out, blocks.filter((b) => b.lang === 'json').at(-1), (value) => tritonLaunchFrom(value, parent));
}

/** The code and launch in `text`, an answer about kernel `kernel` (its plain name). */
export function parseAnswer(text: string, kernel: string): ParsedAnswer {
  const { blocks, prose } = blocksOf(text);
  const shortProse = prose.replace(/\s+/g, ' ').trim().slice(0, 400);
  const jsonBlocks = blocks.filter((b) => b.lang === 'json' || (b.lang === '' && /^\s*\{[\s\S]*\}\s*$/.test(b.body) && !/[;#]/.test(b.body)));
  const codeBlocks = blocks.filter((b) => !jsonBlocks.includes(b) && CODE_LANGS.has(b.lang));
  const out: ParsedAnswer = { prose: shortProse };
  const withKernel = codeBlocks.filter((b) => definesKernel(b.body, kernel));
  if (withKernel.length) {
    // Several versions of the kernel ("before", "after"): the last is the answer; helper blocks go with it.
    const chosen = withKernel[withKernel.length - 1];
    out.code = [...codeBlocks.filter((b) => b !== chosen && !withKernel.includes(b) && isHelper(b.body)), chosen].map((b) => b.body).join('\n\n');
  } else if (blocks.length === 0) {
    const bare = bareCode(text);
    if (bare && definesKernel(bare, kernel)) out.code = bare;
  }
  if (!out.code) {
    out.problem = codeBlocks.length
      ? `none of the code blocks defines the kernel ${kernel} (a __global__ function with that name)`
      : `the answer has no \`\`\`cuda code block with the kernel ${kernel}`;
    return out;
  }
  return withLaunch(out, jsonBlocks.at(-1), launchFrom);
}

/**
 * A KernelBench answer: the last Python block that defines `class ModelNew` at module level, taken as the whole
 * candidate file (it imports what it uses: the harness loads it as a module beside the task).
 */
export function parseKernelBenchAnswer(text: string): ParsedAnswer {
  const { blocks, prose } = blocksOf(text);
  const out: ParsedAnswer = { prose: prose.replace(/\s+/g, ' ').trim().slice(0, 400) };
  const code = blocks.filter((b) => PYTHON_LANGS.has(b.lang) && /^class\s+ModelNew\b/m.test(b.body)).at(-1);
  if (!code) {
    out.problem = 'the answer has no ```python code block defining class ModelNew at module level (a whole file: imports, kernels, ModelNew)';
    return out;
  }
  out.code = code.body;
  return out;
}
