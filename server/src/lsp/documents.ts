import { fileURLToPath } from 'node:url';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { KernelDocument } from '../kernels/document';

/** A file path for a document URI; untitled and virtual documents keep their URI as their name. */
export function pathOf(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

/**
 * Open documents by URI. Opening is asynchronous (grammar loading), so changes that arrive meanwhile queue
 * behind it; once open, a change is applied synchronously so the next request sees it at once.
 */
export class Documents {
  private readonly ready = new Map<string, KernelDocument>();
  private readonly pending = new Map<string, Promise<KernelDocument | undefined>>();

  open(uri: string, languageId: string, version: number, text: string): Promise<KernelDocument | undefined> {
    this.close(uri);
    const opening = KernelDocument.open(pathOf(uri), text, version, languageId).then(
      (document) => {
        if (this.pending.get(uri) !== opening) {
          document.dispose();
          return undefined;
        }
        this.pending.delete(uri);
        this.ready.set(uri, document);
        return document;
      },
      (error: unknown) => {
        this.pending.delete(uri);
        throw error;
      },
    );
    this.pending.set(uri, opening);
    return opening;
  }

  async change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): Promise<KernelDocument | undefined> {
    const document = this.ready.get(uri) ?? (await this.pending.get(uri));
    if (!document) return undefined;
    await document.applyChanges(changes.map((c) => ('range' in c ? { range: c.range, text: c.text } : { text: c.text })), version);
    return document;
  }

  /** The document as it is now, waiting only if it is still being opened. */
  async get(uri: string): Promise<KernelDocument | undefined> {
    return this.ready.get(uri) ?? (await this.pending.get(uri));
  }

  close(uri: string): void {
    this.ready.get(uri)?.dispose();
    this.ready.delete(uri);
    this.pending.delete(uri);
  }

  uris(): string[] {
    return [...this.ready.keys()];
  }
}
