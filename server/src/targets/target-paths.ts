// A target's processes see this machine's files under their own paths (Target.targetPath); what they print is read
// here with those paths turned back into this machine's, so messages point at files the user can open.
import type { Target } from './target';

/** `text` with the target's copies of `paths` named as this machine's (on this machine nothing changes). */
export function localPaths(text: string, target: Target, paths: readonly string[]): string {
  let out = text;
  for (const path of paths) {
    const there = target.targetPath(path);
    if (there !== path) out = out.split(there).join(path);
  }
  return out;
}
