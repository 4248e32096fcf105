// `kernelpilot --version`: the version of the package this CLI was installed from, read from its package.json
// (beside dist/ in a bundle, three folders up from the sources) rather than imported, which would bundle the
// whole manifest and reach outside server/src.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function installedVersion(): string {
  for (const candidate of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'kernelpilot' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // not this layout
    }
  }
  return 'unknown (no package.json found beside the CLI)';
}
