// Parsing in slices: tree-sitter stops when the progress callback says so and resumes where it stopped on the
// next call with the same parser, so a multi-megabyte file is parsed in ~20 ms steps with the event loop free in
// between (other documents' requests are answered meanwhile) instead of in one multi-second block.
import type { Parser, Tree } from 'web-tree-sitter';

const SLICE_MS = 20;

/** The tree of `text` (from `old`, edited to match, when given); undefined when `stop()` said so between slices. */
export async function parseInSlices(parser: Parser, text: string, old: Tree | undefined, stop: () => boolean): Promise<Tree | undefined> {
  for (;;) {
    const deadline = performance.now() + SLICE_MS;
    const tree = parser.parse(text, old ?? null, { progressCallback: () => performance.now() > deadline });
    if (tree) return tree;
    await new Promise((resolve) => setImmediate(resolve));
    if (stop()) {
      parser.reset(); // the next parse starts afresh instead of resuming this one
      return undefined;
    }
  }
}
