// Whether a profile report still describes the kernel in a document: the kernel's own text is hashed when profiled
// and compared with its text now. Edits elsewhere in the file keep the report current; its lines then move with the
// kernel (lineShift). Pure and cheap (one hash of the kernel's text), so editor requests may call it.

import { createHash } from 'node:crypto';
import { indexLines, offsetAt } from '../kernels/lines';
import type { Kernel, Range } from '../kernels/model';
import type { ProfileReport } from './report';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash `KernelIdentity.kernelHash` holds: sha256 of the text in the kernel's range. */
export function kernelTextHash(documentText: string, range: Range): string {
  const index = indexLines(documentText);
  return sha256Hex(documentText.slice(offsetAt(documentText, index, range.start), offsetAt(documentText, index, range.end)));
}

export interface Freshness {
  /** The kernel's text differs from the profiled one (or the kernel is another one): figures are stale. */
  stale: boolean;
  /** Add to a report line to get the line in the document now (0 when stale: lines are as profiled). */
  lineShift: number;
}

export function reportFreshness(report: ProfileReport, documentText: string, kernel: Pick<Kernel, 'qualifiedName' | 'range'>): Freshness {
  const same = kernel.qualifiedName === report.kernel.qualifiedName && kernelTextHash(documentText, kernel.range) === report.kernel.kernelHash;
  return same ? { stale: false, lineShift: kernel.range.start.line - report.kernel.line } : { stale: true, lineShift: 0 };
}
