// The hover on a kernel's name or launch: its signature, its profile (first: what limits it), the check's resource
// table, the last benchmark and optimize run.
import type { Connection, ServerCapabilities } from 'vscode-languageserver';
import { describeKernel } from '../../kernels/describe';
import { contains, toLspRange } from '../convert';
import { documentUri, position as positionOf } from '../params';
import type { Services } from '../services';

export function register(connection: Connection, { documents, checks, bench, optimize, profile }: Services): ServerCapabilities {
  connection.onHover(async (params) => {
    const uri = documentUri(params, 'textDocument/hover');
    const position = positionOf((params as { position?: unknown }).position, 'textDocument/hover');
    const document = await documents.get(uri);
    const kernels = document?.kernels().kernels ?? [];
    const kernel =
      kernels.find((k) => contains(k.nameRange, position)) ??
      kernels.find((k) => k.launchSites.some((s) => contains(s.range, position) && position.line === s.range.start.line));
    if (!kernel || !document) return null;
    const benchSection = bench.hoverSection(uri, kernel);
    const optimizeSection = optimize.hoverSection(uri, kernel);
    const profileSection = profile.hoverSection(uri, kernel, document);
    const sections = [...checks.hoverSections(uri, kernel), ...[benchSection, optimizeSection].filter((s): s is string => s !== undefined)];
    // What limits the kernel is what a profiled kernel's hover is for: it comes right after the kernel's name.
    return { contents: { kind: 'markdown', value: describeKernel(kernel, sections, profileSection ? [profileSection] : []) }, range: toLspRange(kernel.nameRange) };
  });
  return { hoverProvider: true };
}
