// The protocol module is the one place command ids are defined: package.json's manifest names exactly its client
// commands and settings section, and no source file of the client or the server spells an id as a literal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ClientCommand, ServerCommand } from '../../server/src/protocol/commands';
import { CONFIGURATION_SECTION } from '../../server/src/protocol/configuration';
import { sourceFiles } from './layer-map';

const REPO = join(__dirname, '..', '..');

interface Manifest {
  contributes: {
    commands: Array<{ command: string }>;
    menus: Record<string, Array<{ command: string }>>;
    configuration: { properties: Record<string, unknown> };
  };
}
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Manifest;

test("package.json contributes exactly the protocol's client commands, and its menus name only those", { timeout: 10_000 }, () => {
  const contributed = manifest.contributes.commands.map((c) => c.command);
  assert.deepEqual([...contributed].sort(), Object.values(ClientCommand).sort(), 'contributes.commands vs ClientCommand in server/src/protocol/commands.ts');
  for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
    for (const { command } of items) assert.ok(contributed.includes(command), `contributes.menus["${menu}"] names ${command}, which is not a contributed command`);
  }
});

test('every setting in package.json lies in the protocol configuration section', { timeout: 10_000 }, () => {
  const outside = Object.keys(manifest.contributes.configuration.properties).filter((key) => !key.startsWith(`${CONFIGURATION_SECTION}.`));
  assert.deepEqual(outside, []);
});

test('no file of client/src or server/src spells a command id: they use the protocol module', { timeout: 30_000 }, () => {
  const ids = new Set<string>([...Object.values(ClientCommand), ...Object.values(ServerCommand)]);
  const literals: string[] = [];
  for (const { path, text } of sourceFiles(REPO)) {
    if (path.startsWith('server/src/protocol/')) continue;
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteralLike(node) && ids.has(node.text)) literals.push(`${path}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: '${node.text}'`);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  assert.deepEqual(literals, []);
});
