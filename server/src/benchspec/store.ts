// Where specs live and how they are read and written: `<workspace>/.kernelpilot/specs/<kernel>.json`, one file
// per kernel, JSON with comments tolerated on read (people annotate), rewritten in a stable order on save.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
// The ESM entry: the package's default UMD entry hides its requires from esbuild, so a bundle would lack them.
import { applyEdits, modify, parse, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { excessiveNestingAt, excessiveNestingMessage } from './json-depth';
import type { BenchSpec } from './model';
import { SCHEMA_ID, serializeSpec } from './serialize';
import { splitPointer, validate, type ValidationResult } from './validate';

export const SPECS_DIR = join('.kernelpilot', 'specs');

/** `ns::k` → `ns__k.json`; characters that are unsafe in file names on any OS become `_`. */
export function specFileName(qualifiedName: string): string {
  const base = qualifiedName
    .replace(/::/g, '__')
    .replace(/[<>:"/\\|?*\s]/g, '_')
    .replace(/^\.+/, '_');
  return `${base || '_'}.json`;
}

export function specPath(workspaceRoot: string, qualifiedName: string): string {
  return join(workspaceRoot, SPECS_DIR, specFileName(qualifiedName));
}

export interface SpecParseError {
  message: string;
  offset: number;
  length: number;
}

export const JSONC_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false } as const;

/** Parses spec text tolerantly (comments, trailing commas). Parse errors are returned, not thrown. */
export function parseSpecText(text: string): { value: unknown; parseErrors: SpecParseError[] } {
  const deep = excessiveNestingAt(text);
  if (deep !== undefined) return { value: undefined, parseErrors: [{ message: excessiveNestingMessage, offset: deep, length: 1 }] };
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, JSONC_OPTIONS);
  return { value, parseErrors: errors.map((e) => ({ message: printParseErrorCode(e.error), offset: e.offset, length: e.length })) };
}

const expressionListKeys = new Set(['shape', 'grid', 'block']);

/**
 * People write `"block": [256]`; the schema allows numbers wherever an expression goes, and consumers get
 * strings. Returns a copy; anything that is not a spec-shaped object is returned unchanged for validate() to judge.
 */
export function normalizeSpec(value: unknown): unknown {
  const walk = (node: unknown, key: string | undefined, parentKey: string | undefined): unknown => {
    if (Array.isArray(node)) return node.map((item) => (typeof item === 'number' && key !== undefined && expressionListKeys.has(key) ? String(item) : walk(item, undefined, key)));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const expressionScalar = (k === 'value' && parentKey === 'args') || k === 'sharedMem' || k === 'bytes' || k === 'flops';
      out[k] = typeof v === 'number' && expressionScalar ? String(v) : walk(v, k, key);
    }
    return out;
  };
  return walk(value, undefined, undefined);
}

export interface LoadedSpec {
  path: string;
  text: string;
  /** The parsed spec (numbers in expression fields turned into strings); undefined if the text is not an object. */
  spec: BenchSpec | undefined;
  parseErrors: SpecParseError[];
  /** Schema, semantic and placeholder findings; `validation.ok` says whether it can be run. */
  validation: ValidationResult;
}

/** Reads and checks one spec file. Throws (with the path) only when the file cannot be read at all. */
export async function loadSpec(path: string): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read bench spec ${path}: ${(error as Error).message}`, { cause: error });
  }
  return loadSpecText(path, text);
}

/** As loadSpec, for text already in memory (an open editor buffer). */
export function loadSpecText(path: string, text: string): LoadedSpec {
  const { value, parseErrors } = parseSpecText(text);
  const normal = normalizeSpec(value);
  const validation = validate(normal);
  const isObject = typeof normal === 'object' && normal !== null && !Array.isArray(normal);
  // The cast is what the result promises only when validation.ok; callers check that before running.
  return { path, text, spec: isObject ? (normal as BenchSpec) : undefined, parseErrors, validation };
}

/**
 * The schema file shipped with this installation, as a file URI, so editors validate a spec against the exact
 * version that wrote it without fetching anything. Bundles run from dist/ (schemas/ beside it, see
 * .vscodeignore); sources run from server/src/benchspec/.
 */
export function installedSchemaUri(): string | undefined {
  for (const candidate of [join(__dirname, '..', 'schemas', 'bench-spec.schema.json'), join(__dirname, '..', '..', '..', 'schemas', 'bench-spec.schema.json')]) {
    if (existsSync(candidate)) return pathToFileURL(candidate).href;
  }
  return undefined;
}

export interface SaveOptions {
  /** `$schema` to write: e.g. the installed extension's schema as a file URI. Default: keep the spec's, else SCHEMA_ID. */
  schemaUri?: string;
}

/** Writes a spec atomically (temp file + rename) so an editor or a concurrent run never sees half a file. */
export async function saveSpec(path: string, spec: BenchSpec, options: SaveOptions = {}): Promise<string> {
  const text = serializeSpec({ ...spec, $schema: options.schemaUri ?? spec.$schema ?? SCHEMA_ID });
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temp, text, 'utf8');
    await rename(temp, path);
  } catch (error) {
    throw new Error(`cannot write bench spec ${path}: ${(error as Error).message}`, { cause: error });
  }
  return text;
}

/**
 * The spec file for a kernel: the conventional name first, else any spec in the folder whose `kernel` field
 * names it (a renamed file), preferring one whose `file` matches when several do.
 */
export async function findSpec(workspaceRoot: string, kernel: { qualifiedName: string; file?: string }): Promise<string | undefined> {
  const conventional = specPath(workspaceRoot, kernel.qualifiedName);
  const dir = join(workspaceRoot, SPECS_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return undefined;
  }
  if (names.includes(specFileName(kernel.qualifiedName))) return conventional;
  const matches: { path: string; file?: unknown }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const { value } = parseSpecText(await readFile(path, 'utf8'));
      if (value && typeof value === 'object' && (value as { kernel?: unknown }).kernel === kernel.qualifiedName) matches.push({ path, file: (value as { file?: unknown }).file });
    } catch {
      // An unreadable file is not this kernel's spec; the editor reports it when opened.
    }
  }
  const sameFile = kernel.file !== undefined ? matches.find((m) => typeof m.file === 'string' && kernel.file?.endsWith(m.file)) : undefined;
  return (sameFile ?? matches[0])?.path;
}

/**
 * Sets one field in spec text without disturbing comments or formatting elsewhere (e.g. filling in a "?"
 * from a quick fix). `pointer` is a JSON pointer; array indices are numbers in it.
 */
export function editSpecText(text: string, pointer: string, value: unknown): string {
  const { value: root } = parseSpecText(text);
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (const segment of splitPointer(pointer)) {
    const index = Array.isArray(node) ? Number(segment) : undefined;
    path.push(index ?? segment);
    node = Array.isArray(node) ? node[index as number] : node && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
  }
  const edits = modify(text, path, value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } });
  return applyEdits(text, edits);
}
