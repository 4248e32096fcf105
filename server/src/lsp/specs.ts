// Bench spec files in the editor: problems in an open `.kernelpilot/specs/*.json` as diagnostics on the JSON nodes
// they are about (the "?" fields inference left included), and "Create bench spec" for a kernel.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Connection, DiagnosticSeverity, type TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Kernel } from '../kernels/model';
import { specDiagnostics } from '../benchspec/diagnostics';
import { inferSpec } from '../benchspec/infer';
import { findSpec, installedSchemaUri, saveSpec, specPath } from '../benchspec/store';
import { ServerCommand } from '../protocol/commands';
import { toLspRange } from './convert';
import type { DiagnosticSink } from './diagnostics';
import { pathOf } from './documents';
import { workspaceRootFor } from './kernel-ref';

export const specCommands = { create: ServerCommand.createSpec } as const;

/** A spec file by its place: `<workspace>/.kernelpilot/specs/<name>.json` (what the manifest's jsonValidation matches). */
export function isSpecUri(uri: string): boolean {
  const parts = pathOf(uri).split(/[\\/]/);
  return parts.length >= 3 && parts[parts.length - 3] === '.kernelpilot' && parts[parts.length - 2] === 'specs' && parts[parts.length - 1].endsWith('.json');
}

interface Deps {
  connection: Connection;
  diagnostics: DiagnosticSink;
  workspaceRoots: () => string[];
  /** The client can open a document on request (window.showDocument). */
  showDocument: () => boolean;
}

export class SpecFiles {
  private readonly open = new Map<string, TextDocument>();

  constructor(private readonly deps: Deps) {}

  didOpen(uri: string, languageId: string, version: number, text: string): void {
    const document = TextDocument.create(uri, languageId, version, text);
    this.open.set(uri, document);
    this.publish(document);
  }

  didChange(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    let document = this.open.get(uri);
    if (!document) return;
    // One change at a time on a fresh document: TextDocument.update keeps its line table incrementally, and that
    // table drifts when an edit joins a `\r` to a `\n` (or lands past the last line), and with it every later position.
    for (const change of changes) document = TextDocument.create(uri, document.languageId, version, TextDocument.update(document, [change], version).getText());
    this.open.set(uri, document);
    this.publish(document);
  }

  didClose(uri: string): void {
    this.open.delete(uri);
    this.deps.diagnostics.set('spec', uri, []);
  }

  isOpen(uri: string): boolean {
    return this.open.has(uri);
  }

  text(uri: string): string | undefined {
    return this.open.get(uri)?.getText();
  }

  private publish(document: TextDocument): void {
    const diagnostics = specDiagnostics(document.getText()).map((d) => ({
      range: toLspRange(d.range),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: 'kernelpilot spec',
      message: d.message,
    }));
    this.deps.diagnostics.set('spec', document.uri, diagnostics);
  }

  /**
   * Infers the kernel's spec into `.kernelpilot/specs/` unless it has one, and opens it: what inference could not
   * decide shows there as diagnostics on the "?" fields. The user's source is never touched.
   */
  async create(kernel: Kernel, sourceUri: string, fileText: string): Promise<string> {
    const file = pathOf(sourceUri);
    const root = workspaceRootFor(file, this.deps.workspaceRoots().map(pathOf));
    const existing = await findSpec(root, { qualifiedName: kernel.qualifiedName, file });
    let path = existing;
    let message: string;
    if (existing) {
      message = `KernelPilot: ${kernel.qualifiedName} already has a bench spec: ${existing}`;
    } else {
      path = specPath(root, kernel.qualifiedName);
      if (existsSync(path)) throw new Error(`KernelPilot: ${path} exists but is not the spec of ${kernel.qualifiedName}; rename or remove it first.`);
      const result = inferSpec(kernel, { fileText, workspaceRoot: root });
      await saveSpec(path, result.spec, { schemaUri: installedSchemaUri() });
      const todo = result.unknowns.length ? `; fill in ${result.unknowns.length} "?" field${result.unknowns.length === 1 ? '' : 's'} (marked in the file)` : '';
      message = `KernelPilot: wrote ${path} (${result.assumptions.length} assumption${result.assumptions.length === 1 ? '' : 's'} to check${todo})`;
    }
    const uri = pathToFileURL(path as string).toString();
    if (this.deps.showDocument()) {
      await this.deps.connection.window.showDocument({ uri, takeFocus: true }).catch(() => undefined);
    }
    void this.deps.connection.window.showInformationMessage(message);
    return message;
  }
}
