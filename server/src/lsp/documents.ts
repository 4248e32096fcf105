import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { KernelDocument } from '../kernels/document';

/**
 * The local file of a `file:` URI; undefined for other schemes (untitled:, vscode-notebook-cell:) and for file
 * URIs that name no path on this machine (`file://host/…`, an encoded `/` as in `%2F`).
 */
export function localPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

/** A file path for a document URI; untitled, virtual and non-local documents keep their URI as their name. */
export function pathOf(uri: string): string {
  return localPath(uri) ?? uri;
}

/**
 * Open documents by URI. Opening and changing apply to the text at once; the parse follows in the background
 * (in slices for large files), and `get` waits for it, so a request sees the kernels of the text it was sent after.
 */
export class Documents {
  private readonly byUri = new Map<string, KernelDocument>();

  open(uri: string, languageId: string, version: number, text: string): KernelDocument {
    this.close(uri);
    const document = KernelDocument.create(pathOf(uri), text, version, languageId);
    this.byUri.set(uri, document);
    return document;
  }

  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): KernelDocument | undefined {
    const document = this.byUri.get(uri);
    document?.applyChanges(changes.map((c) => ('range' in c ? { range: c.range, text: c.text } : { text: c.text })), version);
    return document;
  }

  /** The document with its parse caught up with its text; undefined when it is not open (or closed meanwhile). */
  async get(uri: string): Promise<KernelDocument | undefined> {
    const document = this.byUri.get(uri);
    await document?.settled();
    return this.byUri.get(uri) === document ? document : undefined;
  }

  /** The text as the editor has it now, without waiting for a parse (for the debug read-back). */
  text(uri: string): string | undefined {
    return this.byUri.get(uri)?.content;
  }

  /** Frees the document's tree and parser: a closed file holds no memory. */
  close(uri: string): void {
    this.byUri.get(uri)?.dispose();
    this.byUri.delete(uri);
  }

  uris(): string[] {
    return [...this.byUri.keys()];
  }
}

/** The open document of a job that compiles the file as saved, or an error saying to save it first. */
export async function savedDocument(documents: Documents, uri: string, job: 'benchmark' | 'profile'): Promise<KernelDocument> {
  const document = await documents.get(uri);
  const file = pathOf(uri);
  const onDisk = await readFile(file, 'utf8').catch(() => undefined);
  if (!document || onDisk === undefined) throw new Error(`KernelPilot: cannot ${job} ${file}: it is not a saved file on disk. Save it first.`);
  if (onDisk !== document.content) throw new Error(`KernelPilot: ${file} has unsaved changes. Save it, then ${job}: the job compiles the file as saved.`);
  return document;
}
