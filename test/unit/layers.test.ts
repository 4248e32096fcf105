// The layer map (ARCHITECTURE.md § Layer map) holds for the tree, and the checker catches what it is for: a
// forbidden edge, a cycle, a folder the map does not know, and the capabilities eslint's import rules miss
// (dynamic import/require of child_process, global fetch, the client reaching into server code).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checkLayers, importsOf, type KnownException, type LayerMap, parseLayerMap, type SourceFile, sourceFiles, type Violation } from './layer-map';

const REPO = join(__dirname, '..', '..');
const map = parseLayerMap(readFileSync(join(REPO, 'ARCHITECTURE.md'), 'utf8'));

/**
 * Edges the tree still has but the map does not allow. Delete an entry when its edge is gone (the test then
 * says so); never add one for new code: change the code or the map.
 */
const KNOWN_EXCEPTIONS: KnownException[] = [];

const show = (violations: Violation[]) => violations.map((v) => `${v.path}:${v.line}: ${v.message}`).join('\n');

test('every import in server/src and client/src follows the layer map', { timeout: 60_000 }, () => {
  const { violations } = checkLayers(sourceFiles(REPO), map, KNOWN_EXCEPTIONS);
  assert.equal(show(violations), '');
});

describe('the layer checker catches what it is for', { timeout: 30_000 }, () => {
  // A small map of its own, so these cases do not depend on today's tree.
  const small: LayerMap = parseLayerMap(['## Layer map', '```layers', 'lsp → bench protocol', 'bench → kernels', 'kernels →', 'protocol →', 'client → protocol', 'targets →', 'llm →', '```'].join('\n'));
  const used = (extra: SourceFile[]) => [
    { path: 'server/src/lsp/a.ts', text: "import { b } from '../bench/b';\nimport type { P } from '../protocol/p';" },
    { path: 'server/src/bench/b.ts', text: "export { k } from '../kernels/k';" },
    { path: 'client/src/c.ts', text: "import { P } from '../../server/src/protocol/p';" },
    ...extra,
  ];
  const check = (...extra: SourceFile[]) => checkLayers(used(extra), small).violations;
  const one = (file: SourceFile, pattern: RegExp) => {
    const violations = check(file);
    assert.equal(violations.length, 1, show(violations));
    assert.equal(violations[0].path, file.path);
    assert.match(`${violations[0].path}:${violations[0].line}: ${violations[0].message}`, pattern);
  };

  test('a planted forbidden import fails, naming file, line and the rule', () => {
    one({ path: 'server/src/kernels/k.ts', text: "// a kernel finder that reaches up\n\nimport { summary } from '../bench/summary';" }, /^server\/src\/kernels\/k\.ts:3: import '\.\.\/bench\/summary': kernels → bench is not in the layer map; kernels may import nothing/);
  });

  test('the allowed tree passes', () => {
    assert.equal(show(check()), '');
  });

  test('type-only imports, re-exports, import(), require() and import types count as edges', () => {
    one({ path: 'server/src/bench/t.ts', text: "import type { X } from '../lsp/a';" }, /:1: import type '\.\.\/lsp\/a': bench → lsp is not in the layer map/);
    one({ path: 'server/src/bench/t.ts', text: "export * from '../lsp/a';" }, /:1: export … from '\.\.\/lsp\/a': bench → lsp/);
    one({ path: 'server/src/bench/t.ts', text: "async function f() {\n  return (await import('../lsp/a')).x;\n}" }, /:2: import\(\) '\.\.\/lsp\/a': bench → lsp/);
    one({ path: 'server/src/bench/t.ts', text: "const a = require('../lsp/a');" }, /:1: require\(\) '\.\.\/lsp\/a': bench → lsp/);
    one({ path: 'server/src/bench/t.ts', text: "let x: typeof import('../lsp/a');" }, /:1: import\(\) type '\.\.\/lsp\/a': bench → lsp/);
    one({ path: 'server/src/bench/t.ts', text: 'const m = "../lsp/a";\nvoid import(m);' }, /:2: import\(\) with a computed module name cannot be checked/);
  });

  test('spawning processes outside targets/, also through import() and require()', () => {
    one({ path: 'server/src/bench/t.ts', text: "const { spawn } = await import('child_process');" }, /:1: import\(\) 'child_process': only server\/src\/targets\/ spawns processes/);
    one({ path: 'server/src/bench/t.ts', text: "const cp = require('node:child_process');" }, /:1: require\(\) 'node:child_process': only server\/src\/targets\/ spawns processes/);
    one({ path: 'server/src/bench/t.ts', text: "import { execa } from 'execa';" }, /only server\/src\/targets\/ spawns processes/);
    assert.equal(show(check({ path: 'server/src/targets/t.ts', text: "import { spawn } from 'node:child_process';" })), '');
  });

  test('the network outside llm/: modules and the global fetch, WebSocket, XMLHttpRequest', () => {
    one({ path: 'server/src/bench/t.ts', text: "\nconst r = await fetch('https://example.com');" }, /:2: global fetch: only server\/src\/llm\/ touches the network/);
    one({ path: 'server/src/bench/t.ts', text: "const r = globalThis['fetch']('x');" }, /:1: global fetch/);
    one({ path: 'server/src/bench/t.ts', text: 'const s = new WebSocket(url);' }, /:1: global WebSocket/);
    one({ path: 'server/src/bench/t.ts', text: 'const x = new globalThis.XMLHttpRequest();' }, /:1: global XMLHttpRequest/);
    one({ path: 'server/src/bench/t.ts', text: "import { get } from 'node:https';" }, /:1: import 'node:https': only server\/src\/llm\/ touches the network/);
    // A name of its own is not the global; a property named fetch is not a call of it.
    assert.equal(show(check({ path: 'server/src/bench/t.ts', text: 'function f(fetch: () => void) { fetch(); }\nconst o = { fetch: 1 };\no.fetch;' })), '');
    assert.equal(show(check({ path: 'server/src/llm/t.ts', text: "const r = await fetch('x');" })), '');
  });

  test('engine folders importing lsp/, the client importing server code other than protocol/', () => {
    one({ path: 'server/src/kernels/t.ts', text: "import { x } from '../lsp/a';" }, /kernels → lsp is not in the layer map/);
    one({ path: 'client/src/t.ts', text: "import { benchKernel } from '../../server/src/bench/b';" }, /client → bench is not in the layer map; client may import protocol/);
    one({ path: 'server/src/bench/t.ts', text: "import * as vscode from 'vscode';" }, /only client\/src\/ imports VS Code/);
    one({ path: 'server/src/bench/t.ts', text: "import { Connection } from 'vscode-languageserver/node';" }, /only server\/src\/lsp\/ imports the LSP server libraries/);
    one({ path: 'server/src/bench/t.ts', text: "import { x } from '../../../test/unit/helpers';" }, /reaches test\/unit\/helpers, outside client\/src and server\/src/);
  });

  test('a folder the map does not know fails, saying how to add it', () => {
    one({ path: 'server/src/optimize/loop.ts', text: "import { b } from '../bench/b';" }, /^server\/src\/optimize\/loop\.ts:1: optimize is not in the layer map: add a line "optimize → <the layers it may import>" to ARCHITECTURE\.md/);
  });

  test('cycles in the map, stale edges and stale exceptions fail', () => {
    const cyclic = parseLayerMap(['## Layer map', '```layers', 'a → b', 'b → c', 'c → a', '```'].join('\n'));
    const files = ['a', 'b', 'c'].map((l, i) => ({ path: `server/src/${l}/x.ts`, text: `import '../${'bca'[i]}/x';` }));
    assert.match(show(checkLayers(files, cyclic).violations), /the layer map has a cycle among a, b, c/);
    assert.match(show(checkLayers(used([]).slice(1), small).violations), /the layer map allows lsp → bench, but no file imports it/);
    const exception: KnownException = { from: 'kernels', to: 'bench', why: 'test' };
    assert.match(show(checkLayers(used([]), small, [exception]).violations), /the known exception kernels → bench is no longer needed: delete it/);
    assert.equal(show(checkLayers(used([{ path: 'server/src/kernels/k.ts', text: "import '../bench/b';" }]), small, [exception]).violations), '');
  });

  test('imports are read by the TypeScript parser, not by pattern: strings and comments are not imports', () => {
    assert.deepEqual(importsOf('x.ts', "// import '../lsp/a'\nconst s = \"require('child_process')\";\n/* import('net') */"), []);
  });
});
