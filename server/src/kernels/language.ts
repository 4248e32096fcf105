import { extname } from 'node:path';
import type { GrammarName } from './parsers';

const cudaExtensions = new Set(['.cu', '.cuh']);
const cppExtensions = new Set(['.c', '.cc', '.cpp', '.cxx', '.c++', '.h', '.hh', '.hpp', '.hxx', '.inl', '.ipp']);
const cppLanguageIds = new Set(['cuda-cpp', 'cuda', 'cpp', 'c']);

/**
 * Which grammar reads a document, or undefined when it cannot hold kernels.
 * C and C++ files count only when they mention `__global__`: that keeps plain C++ projects free of parsing work.
 */
export function grammarFor(file: string, text: string, languageId?: string): GrammarName | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === '.py' || ext === '.pyi' || languageId === 'python') return 'python';
  if (cudaExtensions.has(ext) || languageId === 'cuda-cpp' || languageId === 'cuda') return 'cuda';
  if (cppExtensions.has(ext) || (languageId !== undefined && cppLanguageIds.has(languageId))) return text.includes('__global__') ? 'cuda' : undefined;
  return undefined;
}

/** Why a document is not analysed, or undefined when it is fine to parse. */
export function unreadableReason(text: string): string | undefined {
  const sample = text.slice(0, 8192);
  if (sample.includes('\u0000')) return 'binary content (NUL bytes): not analysed for kernels';
  // Read as UTF-8, bytes that are not become U+FFFD: a few are a stray Latin-1 comment, this many are not text.
  const replaced = sample.split('\uFFFD').length - 1;
  if (replaced > 32 && replaced * 20 > sample.length) return 'binary content (not UTF-8 text): not analysed for kernels';
  if (text.length > maxAnalysedChars) return `file too large (${(text.length / 1e6).toFixed(1)} MB > ${maxAnalysedChars / 1e6} MB): not analysed for kernels`;
  return undefined;
}

/** Generated sources of several MB parse in well under a second; past this we decline rather than stall the editor. */
export const maxAnalysedChars = 16_000_000;
