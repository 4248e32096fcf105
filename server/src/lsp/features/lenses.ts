// Lenses per kernel: the static check's resources; "▶ Benchmark" with its last result on CUDA and Triton kernels and on
// a KernelBench task's Model; on CUDA kernels also "◎ Profile" with its report (bottleneck, hints); on CUDA and Triton
// kernels "⚡ Optimize" with its run's state (round, best verified speedup, cancel) or result (Review).
import type { CodeLens, Connection, ServerCapabilities } from 'vscode-languageserver';
import { toLspRange } from '../convert';
import { documentUri } from '../params';
import type { Services } from '../services';
import { benchmarkable, optimizable } from '../kernel-ref';

export function register(connection: Connection, { documents, checks, bench, optimize, profile }: Services): ServerCapabilities {
  connection.onCodeLens(async (params) => {
    const uri = documentUri(params, 'textDocument/codeLens');
    const document = await documents.get(uri);
    if (!document) return [];
    return document.kernels().kernels.flatMap((kernel) => {
      const range = toLspRange(kernel.nameRange);
      const lens = checks.lensFor(uri, kernel);
      const lenses: CodeLens[] = [{ range, command: lens.command ? { title: lens.title, command: lens.command, arguments: [uri] } : { title: lens.title, command: '' } }];
      if (benchmarkable(kernel)) {
        const b = bench.lensFor(uri, kernel, document.version);
        lenses.push({ range, command: { title: b.title, command: b.command, arguments: [uri, kernel.qualifiedName] } });
      }
      if (kernel.language === 'cuda') {
        const p = profile.lensFor(uri, kernel, document);
        lenses.push({ range, command: { title: p.title, command: p.command, arguments: [uri, kernel.qualifiedName] } });
      }
      if (optimizable(kernel)) lenses.push({ range, command: optimize.lensFor(uri, kernel, document) });
      return lenses;
    });
  });
  return { codeLensProvider: { resolveProvider: false } };
}
