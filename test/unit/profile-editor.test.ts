// What the editor shows of a profile report (profile/markdown.ts) and how reports are stored and read back
// (runs/profile-store.ts, profile/report-schema.ts), over reports built from the H200 recordings.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { escapeMarkdown, profileHoverSection, profileReportDocument } from '../../server/src/profile/markdown';
import type { ProfileReport } from '../../server/src/profile/report';
import { latestProfileReport, PROFILE_DOCUMENT, PROFILE_FILE, writeProfileReport } from '../../server/src/runs/profile-store';
import { recordedReport } from './profile-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'kp-profile-editor-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fresh = { stale: false, lineShift: 0 };

test('the hover section: live figures in one table, the top three hints with their lines and gains', { timeout: 10_000 }, () => {
  const report = recordedReport('strided');
  const hover = profileHoverSection(report, fresh);
  assert.match(hover, /^\*\*Profile\*\* \(Nsight Compute on recorded, sm\\_90\)/);
  assert.match(hover, /\| time \(ncu\) \| DRAM \| SM \| occupancy \(achieved of theoretical\) \| registers \| spills \|/);
  assert.match(hover, /\| 32\.\d µs \| 13 % \| 17 % \| 8\d % of 100 % \(limit: warps\) \| 18 \| none \|/);
  assert.match(hover, /\*\*Bottleneck:\*\* memory-bound/);
  const hints = hover.split('\n').filter((l) => /^\d\. /.test(l));
  assert.equal(hints.length, 3, hover);
  assert.match(hints[0], /^1\. \*\*Uncoalesced global load\*\* \(est\. up to \d+ %\) — line 8: /);
  assert.doesNotMatch(hover, /Stale|Live figures absent/);
});

test('a stale report says so; lines follow a kernel that moved', { timeout: 10_000 }, () => {
  const report = recordedReport('strided');
  assert.match(profileHoverSection(report, { stale: true, lineShift: 0 }), /^⚠ \*Stale:\* this kernel changed since it was profiled/);
  assert.match(profileHoverSection(report, { stale: false, lineShift: 3 }), /— line 11: /);
});

test('without live figures: the static table and why they are absent', { timeout: 10_000 }, () => {
  const report: ProfileReport = { ...recordedReport('spill'), live: { status: 'absent', reason: 'ncu-missing', message: 'ncu is not on the target: install Nsight Compute' } };
  const hover = profileHoverSection(report, fresh);
  assert.match(hover, /\(static analysis, sm\\_90\)/);
  assert.match(hover, /\| — \| — \| — \| — of 100 % \(limit: \w+\) \| 32 \| none \|/);
  assert.match(hover, /\*Live figures absent:\* ncu is not on the target: install Nsight Compute$/);
});

test('tool and file text is escaped: no links, HTML or table breaks from a rule text or a stored report', { timeout: 10_000 }, () => {
  const base = recordedReport('saxpy');
  if (base.live.status !== 'measured') throw new Error('saxpy is measured');
  const evil = '[click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> | cell `code`';
  const report: ProfileReport = { ...base, live: { ...base.live, rules: [{ rule: 'Evil', section: 's', type: 'OPT', text: evil }] }, hints: [{ kind: 'ncu-rule', origin: 'ncu', severity: 'warning', title: evil, text: evil, basis: 'live' }] };
  for (const text of [profileHoverSection(report, fresh), profileReportDocument(report)]) {
    assert.doesNotMatch(text, /(^|[^\\])(\]\(command:|<img|\| cell)/);
    assert.ok(text.includes(escapeMarkdown(evil)));
  }
});

test('the full report document: resources, occupancy by block size, live figures, every rule, the hot lines', { timeout: 10_000 }, () => {
  const doc = profileReportDocument(recordedReport('strided'));
  for (const heading of ['# Profile of `gather_strided`', '## Resources (ptxas)', '## Theoretical occupancy by block size', '## Nsight Compute', '## Lines']) assert.ok(doc.includes(heading), heading);
  assert.match(doc, /\| UncoalescedGlobalAccess \| OPT \|/);
  assert.match(doc, /^\| 8 \| [\d.]+ % \| /m);
});

test('stored reports: the newest of the kernel in that file is read back; other files and malformed reports are not', { timeout: 10_000 }, async () => {
  const workspace = join(dir, 'ws');
  const file = join(workspace, 'strided.cu');
  const report = recordedReport('strided', undefined, { file });
  const older = await writeProfileReport(workspace, report, new Date('2026-11-29T00:00:00Z'));
  const newer = await writeProfileReport(workspace, { ...report, createdAt: 'newer' }, new Date('2026-11-29T00:00:01Z'));
  await writeProfileReport(workspace, recordedReport('strided', undefined, { file: join(workspace, 'other.cu') }), new Date('2026-11-29T00:00:02Z'));
  assert.match(readFileSync(join(newer, PROFILE_DOCUMENT), 'utf8'), /^# Profile of `gather_strided`/);
  const latest = await latestProfileReport(workspace, 'gather_strided', file);
  assert.equal(latest?.dir, newer);
  assert.equal(latest?.report.createdAt, 'newer');

  // A repository may ship a crafted .kernelpilot/: a report of the wrong shape is skipped and named, never shown.
  const crafted = join(workspace, '.kernelpilot/runs/2026-11-29T00-00-03Z-gather_strided-00000000');
  mkdirSync(crafted, { recursive: true });
  const bad = JSON.parse(readFileSync(join(newer, PROFILE_FILE), 'utf8')) as { hints: Array<{ line: unknown }> };
  bad.hints[0].line = 'rm -rf ~';
  writeFileSync(join(crafted, PROFILE_FILE), JSON.stringify(bad));
  const skipped: string[] = [];
  assert.equal((await latestProfileReport(workspace, 'gather_strided', file, skipped))?.dir, newer);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0], /profile report .*profile\.json is malformed at \/hints\/0\/line: must be integer/);
  writeFileSync(join(crafted, PROFILE_FILE), JSON.stringify({ ...bad, version: 99 }));
  assert.equal((await latestProfileReport(workspace, 'gather_strided', file))?.dir, newer);
  writeFileSync(join(crafted, PROFILE_FILE), '{');
  assert.equal((await latestProfileReport(workspace, 'gather_strided', file))?.dir, newer);
  assert.notEqual(older, newer);
});
