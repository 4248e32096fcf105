// What discovery says it could not read (a binary or oversized file, a kernel name that is not UTF-8) as
// diagnostics on the document, published when they change rather than on every keystroke.
import { DiagnosticSeverity } from 'vscode-languageserver';
import { toLspRange } from './convert';
import type { DiagnosticSink } from './diagnostics';
import type { Documents } from './documents';

export class KernelProblems {
  /** The problems last published per URI, as JSON, to publish only changes. */
  private readonly published = new Map<string, string>();

  constructor(
    private readonly documents: Documents,
    private readonly diagnostics: DiagnosticSink,
  ) {}

  async update(uri: string): Promise<void> {
    const document = await this.documents.get(uri);
    if (!document) return;
    const problems = document.kernels().problems;
    const key = JSON.stringify(problems);
    if ((this.published.get(uri) ?? '[]') === key) return;
    this.published.set(uri, key);
    this.diagnostics.set('kernels', uri, problems.map((p) => ({ range: toLspRange(p.range), severity: DiagnosticSeverity.Warning, source: 'kernelpilot', message: p.message })));
  }

  forget(uri: string): void {
    if (this.published.delete(uri)) this.diagnostics.set('kernels', uri, []);
  }
}
