import type { Connection, Diagnostic } from 'vscode-languageserver';

/** Who published a set of diagnostics; each owns its own set per document. */
export type DiagnosticOwner = 'check' | 'bench' | 'spec' | 'kernels' | 'profile';

/**
 * publishDiagnostics replaces everything a document has, so the static check, the benchmark and the spec
 * validator would erase each other's messages. Each owner sets its own list; the union is what is sent.
 */
export class DiagnosticSink {
  private readonly byUri = new Map<string, Map<DiagnosticOwner, Diagnostic[]>>();

  constructor(private readonly connection: Connection) {}

  set(owner: DiagnosticOwner, uri: string, diagnostics: Diagnostic[]): void {
    let owners = this.byUri.get(uri);
    if (!owners) {
      if (diagnostics.length === 0) return void this.send(uri, []); // still clear what an older session left
      owners = new Map();
      this.byUri.set(uri, owners);
    }
    if (diagnostics.length) owners.set(owner, diagnostics);
    else owners.delete(owner);
    this.send(uri, [...owners.values()].flat());
    if (owners.size === 0) this.byUri.delete(uri);
  }

  /** The URIs where `owner` has diagnostics now. */
  urisOf(owner: DiagnosticOwner): string[] {
    return [...this.byUri].filter(([, owners]) => owners.has(owner)).map(([uri]) => uri);
  }

  private send(uri: string, diagnostics: Diagnostic[]): void {
    void this.connection.sendDiagnostics({ uri, diagnostics });
  }
}
