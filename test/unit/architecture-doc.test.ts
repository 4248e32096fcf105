// ARCHITECTURE.md's code map stays true: every source folder is named in it, and every source path it names exists
// (a path is read from the repository root, server/src, client/src or test/, as the document writes them).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const REPO = join(__dirname, '../..');
const doc = readFileSync(join(REPO, 'ARCHITECTURE.md'), 'utf8');
const ROOTS = ['', 'server/src', 'client/src', 'test'];

function foldersUnder(dir: string): string[] {
  return readdirSync(join(REPO, dir))
    // Python's bytecode caches are not source folders (a local python run may leave one).
    .filter((name) => name !== '__pycache__' && statSync(join(REPO, dir, name)).isDirectory())
    .flatMap((name) => [join(dir, name), ...foldersUnder(join(dir, name))]);
}

/** Paths in backticks that name a source file: runtime files (records, generated folders) and patterns are not. */
export function sourcePathsNamed(text: string): string[] {
  const named = [...text.matchAll(/`([\w./-]+\/[\w.-]+\.(?:ts|mjs|cjs|cu|cuh|lua|sh))`/g)].map((m) => m[1]);
  return [...new Set(named)].filter((p) => !p.startsWith('.') && !p.startsWith('dist/'));
}

test('every folder of server/src and client/src is named in ARCHITECTURE.md', { timeout: 10_000 }, () => {
  const unnamed = ['server/src', 'client/src'].flatMap(foldersUnder).filter((dir) => !doc.includes(`${dir.split('/').pop()}/`));
  assert.deepEqual(unnamed, [], 'add these folders to the code map');
});

test('every source path ARCHITECTURE.md names exists', { timeout: 10_000 }, () => {
  const paths = sourcePathsNamed(doc);
  assert.ok(paths.length > 20, `the code map names source files (found ${paths.length})`);
  const absent = paths.filter((p) => !ROOTS.some((root) => existsSync(join(REPO, root, p))));
  assert.deepEqual(absent, [], 'the code map names files that are gone: update ARCHITECTURE.md');
});

test('a stale path is caught', () => {
  assert.deepEqual(sourcePathsNamed('see `optimize/gone.ts` and `.kernelpilot/runs/x.ts`'), ['optimize/gone.ts']);
});
