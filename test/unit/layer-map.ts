// The layer map of ARCHITECTURE.md, checked against every import in server/src and client/src (issue 16): which
// top-level folder may import which, no folder-level cycle, and the capabilities only one folder may use
// (spawning processes, the network, the LSP libraries), also through `import()`, `require()` and globals such as
// `fetch` — the holes that eslint's no-restricted-imports leaves. Imports are read with the TypeScript parser.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

/** `client/src`, and each server/src folder or top-level file (`cli.ts` joins `cli/`: it is the CLI's entry). */
export type Layer = string;

export interface SourceFile {
  /** Repository-relative, `/`-separated. */
  path: string;
  text: string;
}

export interface ImportRef {
  specifier: string;
  line: number;
  /** How it was written, for the message: `import`, `export … from`, `import()`, `require()`, `import type`. */
  form: string;
}

export interface GlobalRef {
  name: string;
  line: number;
}

export interface Violation {
  path: string;
  line: number;
  message: string;
}

export interface LayerMap {
  /** Layer → the layers it may import (not itself: a layer always imports its own files). */
  allowed: Map<Layer, Set<Layer>>;
}

/** An edge allowed for now although it is not in the map; each makes the test fail once it is no longer needed. */
export interface KnownException {
  from: Layer;
  to: Layer;
  why: string;
}

const CLIENT_ROOT = 'client/src/';
const SERVER_ROOT = 'server/src/';
/** Data files server code may import from outside the source roots. */
const DATA_ROOTS = ['schemas/'];
const MAP_HEADING = '## Layer map';

/** Reads the ```layers block under ARCHITECTURE.md's "Layer map" heading: lines `layer → other other …`. */
export function parseLayerMap(markdown: string): LayerMap {
  const section = markdown.split(MAP_HEADING)[1];
  const block = section && /```layers\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`ARCHITECTURE.md has no \`\`\`layers block under "${MAP_HEADING}"`);
  const allowed = new Map<Layer, Set<Layer>>();
  for (const raw of block.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const match = /^(\S+)\s*→\s*(.*)$/.exec(line);
    if (!match) throw new Error(`ARCHITECTURE.md layer map: cannot read "${raw}" (expected "layer → layer layer …")`);
    if (allowed.has(match[1])) throw new Error(`ARCHITECTURE.md layer map: "${match[1]}" has two lines`);
    allowed.set(match[1], new Set(match[2].split(/\s+/).filter(Boolean)));
  }
  for (const [from, targets] of allowed) {
    for (const to of targets) if (!allowed.has(to)) throw new Error(`ARCHITECTURE.md layer map: ${from} → ${to}, but ${to} has no line of its own`);
  }
  return { allowed };
}

/** The layer a repository file belongs to, or undefined outside client/src and server/src. */
export function layerOf(path: string): Layer | undefined {
  if (path.startsWith(CLIENT_ROOT)) return 'client';
  if (!path.startsWith(SERVER_ROOT)) return undefined;
  const rest = path.slice(SERVER_ROOT.length);
  const slash = rest.indexOf('/');
  if (slash >= 0) return rest.slice(0, slash);
  return rest.replace(/(\.d)?\.ts$/, '');
}

const lineOf = (file: ts.SourceFile, node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;

/**
 * Every module a file names: static imports and re-exports (type-only ones too), `import x = require()`,
 * `import()` in code and in types, and `require()` / `module.require()`. A specifier that is not a string
 * literal is reported as `<computed>` so it cannot slip past the map.
 */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined, form: string) =>
    found.push({ specifier: specifier && ts.isStringLiteralLike(specifier) ? specifier.text : '<computed>', line: lineOf(file, node), form });
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ? 'import type' : 'import');
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node, node.moduleSpecifier, 'export … from');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, 'import = require()');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, 'import() type');
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], 'import()');
      else if (isRequire(callee)) add(node, node.arguments[0], 'require()');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function isRequire(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'require';
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'require' && ts.isIdentifier(callee.expression) && callee.expression.text === 'module';
}

const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'self', 'window']);

/**
 * Uses of the named globals: a bare identifier the file does not declare itself, or a property of
 * `globalThis`/`global`/`self`/`window` (dotted or `['…']`).
 */
export function globalsUsed(fileName: string, text: string, names: ReadonlySet<string>): GlobalRef[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declared = new Set<string>();
  const bare: GlobalRef[] = [];
  const viaGlobalObject: GlobalRef[] = [];
  const visit = (node: ts.Node) => {
    const declaredName = declarationName(node);
    if (declaredName) declared.add(declaredName);
    if (ts.isIdentifier(node) && names.has(node.text) && isReference(node)) bare.push({ name: node.text, line: lineOf(file, node) });
    const property = ts.isPropertyAccessExpression(node) ? node.name : ts.isElementAccessExpression(node) ? node.argumentExpression : undefined;
    if (property && (ts.isIdentifier(property) || ts.isStringLiteralLike(property)) && names.has(property.text) && isGlobalObject((node as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression)) {
      viaGlobalObject.push({ name: property.text, line: lineOf(file, node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // A file that declares its own `fetch` (a parameter, an import) means that one, wherever it is used.
  return [...bare.filter((u) => !declared.has(u.name)), ...viaGlobalObject].sort((a, b) => a.line - b.line);
}

function declarationName(node: ts.Node): string | undefined {
  const declares = ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isImportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node);
  const name = declares ? node.name : undefined;
  return name && ts.isIdentifier(name) ? name.text : undefined;
}

function isGlobalObject(node: ts.Expression): boolean {
  return ts.isIdentifier(node) && GLOBAL_OBJECTS.has(node.text);
}

/** An identifier where it names a variable: not a property name, an object key or the name being declared. */
function isReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (declarationName(parent) === node.text && (parent as { name?: ts.Node }).name === node) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent)) && parent.name === node) return false;
  if (ts.isQualifiedName(parent) && parent.right === node) return false;
  return true;
}

/** What only one layer may do, by the modules (any `node:` prefix or subpath) and globals that do it. */
export interface Capability {
  rule: string;
  owner: Layer;
  modules: string[];
  globals?: string[];
}

export const CAPABILITIES: Capability[] = [
  { rule: 'only server/src/targets/ spawns processes', owner: 'targets', modules: ['child_process', 'cluster', 'execa'] },
  {
    rule: 'only server/src/llm/ touches the network',
    owner: 'llm',
    modules: ['http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'undici', 'ws', 'openai', 'node-fetch', 'axios'],
    globals: ['fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource'],
  },
  { rule: 'only server/src/lsp/ imports the LSP server libraries', owner: 'lsp', modules: ['vscode-languageserver', 'vscode-languageserver-textdocument', 'vscode-languageserver-protocol', 'vscode-jsonrpc'] },
  { rule: 'only client/src/ imports VS Code', owner: 'client', modules: ['vscode', 'vscode-languageclient'] },
];

/** `node:fs/promises` → `fs`, `@scope/pkg/sub` → `@scope/pkg`. */
function packageOf(specifier: string): string {
  const bare = specifier.replace(/^node:/, '');
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export interface LayerReport {
  violations: Violation[];
  /** The folder-level import graph as found: `from → to`. */
  edges: Set<string>;
}

const MAP_REF = 'ARCHITECTURE.md § Layer map';

/** Checks every file against the map, the capabilities and the known exceptions. */
export function checkLayers(files: readonly SourceFile[], map: LayerMap, exceptions: readonly KnownException[] = []): LayerReport {
  const violations: Violation[] = [];
  const edges = new Set<string>();
  const unknown = new Set<Layer>();
  const usedExceptions = new Set<KnownException>();
  const allowedFrom = (layer: Layer) => [...(map.allowed.get(layer) ?? [])].join(', ') || 'nothing';
  const known = (path: string, line: number, layer: Layer): boolean => {
    if (map.allowed.has(layer)) return true;
    if (!unknown.has(layer)) {
      unknown.add(layer);
      violations.push({ path, line, message: `${layer} is not in the layer map: add a line "${layer} → <the layers it may import>" to ${MAP_REF} (and say what it holds in the code map)` });
    }
    return false;
  };

  for (const { path, text } of files) {
    const layer = layerOf(path);
    if (layer === undefined) throw new Error(`${path} is outside client/src and server/src`);
    if (!known(path, 1, layer)) continue;
    for (const ref of importsOf(path, text)) {
      const where = `${ref.form} '${ref.specifier}'`;
      if (ref.specifier === '<computed>') {
        violations.push({ path, line: ref.line, message: `${ref.form} with a computed module name cannot be checked against the layer map: name the module with a string literal` });
        continue;
      }
      if (!ref.specifier.startsWith('.')) {
        const name = packageOf(ref.specifier);
        for (const capability of CAPABILITIES) {
          if (layer !== capability.owner && capability.modules.includes(name)) violations.push({ path, line: ref.line, message: `${where}: ${capability.rule}` });
        }
        continue;
      }
      const target = posix.normalize(posix.join(posix.dirname(path), ref.specifier));
      const targetLayer = layerOf(target);
      if (targetLayer === undefined) {
        if (!DATA_ROOTS.some((root) => target.startsWith(root))) violations.push({ path, line: ref.line, message: `${where} reaches ${target}, outside client/src and server/src (only ${DATA_ROOTS.join(', ')} may be imported from there)` });
        continue;
      }
      if (targetLayer === layer || !known(target, 1, targetLayer)) continue;
      edges.add(`${layer} → ${targetLayer}`);
      if (map.allowed.get(layer)?.has(targetLayer)) continue;
      const exception = exceptions.find((e) => e.from === layer && e.to === targetLayer);
      if (exception) usedExceptions.add(exception);
      else violations.push({ path, line: ref.line, message: `${where}: ${layer} → ${targetLayer} is not in the layer map; ${layer} may import ${allowedFrom(layer)} (${MAP_REF})` });
    }
    for (const capability of CAPABILITIES) {
      if (layer === capability.owner || !capability.globals) continue;
      for (const use of globalsUsed(path, text, new Set(capability.globals))) violations.push({ path, line: use.line, message: `global ${use.name}: ${capability.rule}` });
    }
  }

  for (const [from, targets] of map.allowed) {
    for (const to of targets) if (!edges.has(`${from} → ${to}`)) violations.push({ path: 'ARCHITECTURE.md', line: 0, message: `the layer map allows ${from} → ${to}, but no file imports it: remove it from ${MAP_REF}` });
  }
  for (const exception of exceptions) {
    if (!usedExceptions.has(exception)) violations.push({ path: 'test/unit/layers.test.ts', line: 0, message: `the known exception ${exception.from} → ${exception.to} is no longer needed: delete it` });
  }
  for (const cycle of cyclesOf(map.allowed)) violations.push({ path: 'ARCHITECTURE.md', line: 0, message: `the layer map has a cycle among ${cycle.join(', ')}: folders that import each other cannot be read or tested one at a time` });
  violations.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line);
  return { violations, edges };
}

/** The strongly connected components with more than one layer (Tarjan), each in a stable order. */
export function cyclesOf(graph: ReadonlyMap<Layer, ReadonlySet<Layer>>): Layer[][] {
  let counter = 0;
  const index = new Map<Layer, number>();
  const low = new Map<Layer, number>();
  const stack: Layer[] = [];
  const onStack = new Set<Layer>();
  const components: Layer[][] = [];
  const connect = (node: Layer) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: Layer[] = [];
    let member: Layer;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.reverse());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return components;
}

/** Every .ts file under client/src and server/src, repository-relative with `/`. */
export function sourceFiles(repo: string): SourceFile[] {
  return [CLIENT_ROOT, SERVER_ROOT].flatMap((root) =>
    readdirSync(join(repo, root), { recursive: true, encoding: 'utf8' })
      .filter((entry) => entry.endsWith('.ts'))
      .sort()
      .map((entry) => {
        const path = root + entry.split(/[\\/]/).join('/');
        return { path, text: readFileSync(join(repo, path), 'utf8') };
      }),
  );
}
