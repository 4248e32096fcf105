// Triton launches are `kernel[grid](args, BLOCK=1024, num_warps=8)`, with `grid` usually a tuple or a
// `lambda meta: (triton.cdiv(n, meta['BLOCK']),)` bound a few lines up. We follow that one binding, put the
// launch's constexpr values in for `meta[...]`, and hand each tuple component to the C-expression translator
// (the arithmetic is the same; Python's `//` on non-negative sizes is C's `/`).

import type { LaunchSite } from '../kernels/model';
import { type HostContext, offsetAt, splitTopLevel, translateCExpr, type Translation } from './cexpr';

/** `NAME=value` keyword arguments of a launch (Triton passes constexprs and num_warps that way). */
export function keywordArgs(site: LaunchSite): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of site.args) {
    const match = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]+)$/.exec(arg.trim());
    if (match) out.set(match[1], match[2].trim());
  }
  return out;
}

/** The last `name = …` line above the launch, in raw Python. */
function pythonBinding(fileText: string, name: string, before: number): { text: string; line: number } | undefined {
  const pattern = new RegExp(`^[ \\t]*${name}[ \\t]*=(?!=)[ \\t]*(.+)$`, 'gm');
  let found: { text: string; line: number } | undefined;
  for (let m = pattern.exec(fileText); m && m.index < before; m = pattern.exec(fileText)) {
    found = { text: m[1].replace(/#.*$/, '').trim(), line: fileText.slice(0, m.index).split('\n').length };
  }
  return found;
}

export interface TritonGrid {
  components: Translation[];
  /** The text each component came from, for messages. */
  texts: string[];
  note?: string;
}

/** The grid of a Triton launch as spec expressions (or the reason each component cannot be one). */
export function tritonGrid(site: LaunchSite, fileText: string | undefined, ctx: HostContext, constexprs: ReadonlyMap<string, string>): TritonGrid {
  let text = site.grid.trim();
  let note: string | undefined;
  const before = fileText !== undefined ? offsetAt(fileText, site.range.start.line, site.range.start.character) : 0;
  if (/^[A-Za-z_]\w*$/.test(text) && fileText !== undefined) {
    const binding = pythonBinding(fileText, text, before);
    if (binding) {
      note = `${text} = ${binding.text} (line ${binding.line})`;
      text = binding.text;
    }
  }
  text = text.replace(/^lambda\s+\w*\s*:\s*/, '');
  const failures: string[] = [];
  text = text.replace(/\b\w+\s*\[\s*['"](\w+)['"]\s*\]/g, (_whole, key: string) => {
    const value = constexprs.get(key);
    if (value === undefined) failures.push(key);
    return value ?? key;
  });
  const tuple = /^\(([\s\S]*)\)$/.exec(text);
  const parts = (tuple && (tuple[1].includes(',') || tuple[1].trim() === '') ? splitTopLevel(tuple[1]) : [text]).map((p) => p.replace(/\/\//g, '/'));
  const components = parts.map((part): Translation => (failures.length ? { ok: false, reason: `meta['${failures[0]}'] has no value at the launch` } : translateCExpr(part, ctx, before)));
  return { components, texts: parts, ...(note ? { note } : {}) };
}
