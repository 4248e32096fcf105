import { extractKernels } from './extract';
import { grammarFor, unreadableReason } from './language';
import type { DocumentKernels } from './model';
import { createParser } from './parsers';

/** One-shot discovery for the CLI and tests: parse `text` as `file` and list its kernels. */
export async function discover(file: string, text: string, languageId?: string): Promise<DocumentKernels> {
  const reason = unreadableReason(text);
  if (reason) return { kernels: [], problems: [{ message: reason, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }] };
  const grammar = grammarFor(file, text, languageId);
  if (!grammar) return { kernels: [], problems: [] };
  const parser = await createParser(grammar);
  const tree = parser.parse(text);
  try {
    if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
    return extractKernels(tree, grammar, file);
  } finally {
    tree?.delete();
    parser.delete();
  }
}
