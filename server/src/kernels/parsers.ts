import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

export type GrammarName = 'cuda' | 'python';

const wasmFiles: Record<GrammarName, string> = {
  cuda: 'tree-sitter-cuda/tree-sitter-cuda.wasm',
  python: 'tree-sitter-python/tree-sitter-python.wasm',
};

/** Bundles carry the wasm files beside them (scripts/build.mjs); sources run from node_modules. */
function locate(packageFile: string): string {
  const beside = join(__dirname, packageFile.split('/')[1]);
  return existsSync(beside) ? beside : require.resolve(packageFile);
}

let loading: Promise<Record<GrammarName, Language>> | undefined;

/** Loads the runtime and both grammars once per process (~30 ms); later calls share the promise. */
export function loadGrammars(): Promise<Record<GrammarName, Language>> {
  loading ??= (async () => {
    await Parser.init({ locateFile: () => locate('web-tree-sitter/web-tree-sitter.wasm') });
    const [cuda, python] = await Promise.all([Language.load(locate(wasmFiles.cuda)), Language.load(locate(wasmFiles.python))]);
    return { cuda, python };
  })();
  return loading;
}

/** A parser for one grammar. Parsers are cheap; keep one per document so incremental parses reuse its state. */
export async function createParser(grammar: GrammarName): Promise<Parser> {
  const languages = await loadGrammars();
  const parser = new Parser();
  parser.setLanguage(languages[grammar]);
  return parser;
}
