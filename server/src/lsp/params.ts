// The shapes handlers rely on, checked before use: a client (or a fuzzer) may send any JSON. A wrong shape is a
// MalformedParams (answered as InvalidParams, logged in one line), never a TypeError deep in a handler.
import type { Position, Range, TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { MalformedParams } from './guard';

type Json = Record<string, unknown>;

function object(value: unknown, method: string, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedParams(method, `${what} must be an object, got ${describe(value)}`);
  return value as Json;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}

function string(value: unknown, method: string, what: string): string {
  if (typeof value !== 'string') throw new MalformedParams(method, `${what} must be a string, got ${describe(value)}`);
  return value;
}

function integer(value: unknown, method: string, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new MalformedParams(method, `${what} must be an integer, got ${describe(value)}`);
  return value;
}

/** `params.textDocument.uri`, the one field every text-document message has. */
export function documentUri(params: unknown, method: string): string {
  const textDocument = object(object(params, method, 'params').textDocument, method, 'params.textDocument');
  const uri = string(textDocument.uri, method, 'params.textDocument.uri');
  if (uri.length === 0) throw new MalformedParams(method, 'params.textDocument.uri is empty');
  return uri;
}

/** A position; negative numbers are kept (they clamp to the document's start where they are used). */
export function position(value: unknown, method: string, what = 'params.position'): Position {
  const p = object(value, method, what);
  return { line: integer(p.line, method, `${what}.line`), character: integer(p.character, method, `${what}.character`) };
}

export function range(value: unknown, method: string, what = 'params.range'): Range {
  const r = object(value, method, what);
  return { start: position(r.start, method, `${what}.start`), end: position(r.end, method, `${what}.end`) };
}

export interface OpenParams {
  uri: string;
  languageId: string;
  version: number;
  text: string;
}

export function openParams(params: unknown, method: string): OpenParams {
  const uri = documentUri(params, method);
  const textDocument = (params as { textDocument: Json }).textDocument;
  return {
    uri,
    languageId: string(textDocument.languageId, method, 'params.textDocument.languageId'),
    version: integer(textDocument.version, method, 'params.textDocument.version'),
    text: string(textDocument.text, method, 'params.textDocument.text'),
  };
}

export interface ChangeParams {
  uri: string;
  version: number;
  changes: TextDocumentContentChangeEvent[];
}

export function changeParams(params: unknown, method: string): ChangeParams {
  const uri = documentUri(params, method);
  const version = integer((params as { textDocument: Json }).textDocument.version, method, 'params.textDocument.version');
  const list = (params as Json).contentChanges;
  if (!Array.isArray(list)) throw new MalformedParams(method, `params.contentChanges must be an array, got ${describe(list)}`);
  const changes = list.map((item: unknown, i): TextDocumentContentChangeEvent => {
    const change = object(item, method, `params.contentChanges[${i}]`);
    const text = string(change.text, method, `params.contentChanges[${i}].text`);
    return change.range === undefined ? { text } : { range: range(change.range, method, `params.contentChanges[${i}].range`), text };
  });
  return { uri, version, changes };
}

/** `{uri, kernel, attempt?, version?}` of the optimize requests (protocol/optimize.ts). */
export function optimizeParams(params: unknown, method: string): { uri: string; kernel: string; attempt?: string; version?: number } {
  const p = object(params, method, 'params');
  const uri = string(p.uri, method, 'params.uri');
  const kernel = string(p.kernel, method, 'params.kernel');
  return {
    uri,
    kernel,
    ...(p.attempt !== undefined ? { attempt: string(p.attempt, method, 'params.attempt') } : {}),
    ...(p.version !== undefined ? { version: integer(p.version, method, 'params.version') } : {}),
  };
}
