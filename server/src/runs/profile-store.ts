// Profile reports on disk: `.kernelpilot/runs/<id>/profile.json` (the report) and `profile.md` (the same as a
// document to read), one folder per profile, named like bench runs so a kernel's folders are found by name.

import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { profileReportDocument } from '../profile/markdown';
import type { ProfileReport } from '../profile/report';
import { parseProfileReport } from '../profile/report-schema';
import { kernelRunIds, runDir, runId } from './record';

export const PROFILE_FILE = 'profile.json';
export const PROFILE_DOCUMENT = 'profile.md';

/** Writes the report and its document; returns the folder. */
export async function writeProfileReport(workspace: string, report: ProfileReport, now = new Date()): Promise<string> {
  const dir = runDir(workspace, runId(now, report.kernel.qualifiedName));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, PROFILE_FILE), `${JSON.stringify(report, null, 2)}\n`, { encoding: 'utf8', flag: 'wx' });
  await writeFile(join(dir, PROFILE_DOCUMENT), profileReportDocument(report), 'utf8');
  return dir;
}

/** The newest readable report of `kernel` in `file`, or undefined; malformed ones are skipped and named in `skipped`. */
export async function latestProfileReport(workspace: string, kernel: string, file: string, skipped: string[] = []): Promise<{ report: ProfileReport; dir: string } | undefined> {
  for (const id of await kernelRunIds(workspace, kernel)) {
    const dir = runDir(workspace, id);
    const text = await readFile(join(dir, PROFILE_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) continue; // a bench or optimize run of the same kernel
    try {
      const report = parseProfileReport(text, join(dir, PROFILE_FILE));
      if (report.kernel.qualifiedName === kernel && report.kernel.file === file) return { report, dir };
    } catch (error) {
      skipped.push((error as Error).message);
    }
  }
  return undefined;
}
