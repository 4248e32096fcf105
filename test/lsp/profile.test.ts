// Profile insights through a real JSON-RPC client over stdio: a report recorded on an H200 (live Nsight Compute
// figures) restored on open as lens, hover and line diagnostics; diagnostics that follow their kernel and go when
// it changes; the full report opened; and a profile run for real here (real nvcc, no GPU): static facts plus why
// live figures are absent.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import type { Diagnostic, MarkupContent } from 'vscode-languageserver-protocol';
import { ServerCommand } from '../../server/src/protocol/commands';
import { writeProfileReport } from '../../server/src/runs/profile-store';
import { recordedReportFor, KERNELS_DIR } from '../unit/profile-fixtures';
import { type LspClient, positionOf, PROFILE_LENS_COMMANDS, uriOf, withLspClient } from './client';
import { tempDir } from './fixtures';

const dir = tempDir();
after(() => rmSync(dir, { recursive: true, force: true }));
const source = readFileSync(join(KERNELS_DIR, 'strided.cu'), 'utf8');

/** A workspace holding strided.cu and, when `recorded`, the report recorded for it as a profile run stores it. */
async function workspace(name: string, recorded: boolean): Promise<{ root: string; file: string; uri: string }> {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  const file = join(root, 'strided.cu');
  copyFileSync(join(KERNELS_DIR, 'strided.cu'), file);
  copyFileSync(join(KERNELS_DIR, 'strided.spec.json'), join(root, 'strided.spec.json'));
  if (recorded) await writeProfileReport(root, await recordedReportFor('strided', file));
  return { root, file, uri: uriOf(file) };
}

const profileLens = async (client: LspClient, uri: string) => ((await client.allLenses(uri)) ?? []).find((l) => PROFILE_LENS_COMMANDS.includes(l.command?.command ?? ''));
const hoverText = async (client: LspClient, uri: string, text: string) => ((await client.hover(uri, positionOf(text, 'gather_strided(')))?.contents as MarkupContent | undefined)?.value ?? '';
const profileDiagnostics = (client: LspClient, uri: string): Diagnostic[] => (client.lastDiagnostics(uri) ?? []).filter((d) => d.source === 'kernelpilot');

test('a recorded profile: lens, hover table with live figures, diagnostics on the load line; edits move them, a kernel change withdraws them', { timeout: 90_000 }, async (t) => {
  const { root, uri } = await workspace('recorded', true);
  await withLspClient(t, { root, windowFeatures: true, settings: { check: { onOpen: false, onSave: false } } }, async (client) => {
    await client.open(uri, 'cuda-cpp', source);
    const lens = await client.waitFor('the restored profile lens', async () => {
      const l = await profileLens(client, uri);
      return l?.command?.command === ServerCommand.openProfileReport ? l : undefined;
    });
    assert.match(lens.command?.title ?? '', /^◎ memory-bound · \d+ hints$/);
    const hover = await hoverText(client, uri, source);
    assert.match(hover, /\*\*Profile\*\* \(Nsight Compute on recorded, sm\\_90\)/);
    assert.match(hover, /\| 32\.\d µs \| 13 % \| 17 % \| 8\d % of 100 % \(limit: warps\) \| 18 \| none \|/);
    assert.match(hover, /1\. \*\*Uncoalesced global load\*\* \(est\. up to \d+ %\) — line 8/);

    const onLoad = await client.waitFor('the profile diagnostics', () => profileDiagnostics(client, uri).find((d) => /Uncoalesced/.test(d.message)));
    assert.equal(onLoad.range.start.line, 7, 'on the strided load (line 8), not the store');
    assert.equal(onLoad.severity, 3, 'Information');
    assert.match(onLoad.message, /^Uncoalesced global load: .*line 8.* \(estimated gain up to \d+ %\)$/);
    assert.ok(profileDiagnostics(client, uri).every((d) => d.severity === 3 || d.severity === 4), 'Information or Hint only');

    // A line added above the kernel: the report still holds, its diagnostics move with the kernel.
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// a note\n' }]);
    await client.waitFor('the moved diagnostic', () => profileDiagnostics(client, uri).find((d) => /Uncoalesced/.test(d.message) && d.range.start.line === 8));
    assert.match(await hoverText(client, uri, `// a note\n${source}`), /— line 9/);

    // The kernel itself changed: the figures are stale, said so, and the line diagnostics go.
    const edited = `// a note\n${source.replace('2.0f * v', '3.0f * v')}`;
    const at = positionOf(`// a note\n${source}`, '2.0f');
    await client.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '3' }]);
    await client.waitFor('the withdrawn diagnostics', () => (profileDiagnostics(client, uri).length === 0 ? true : undefined));
    assert.match(await hoverText(client, uri, edited), /⚠ \*Stale:\* this kernel changed since it was profiled/);
    assert.equal((await profileLens(client, uri))?.command?.title, '◎ Profile (kernel changed since its profile)');
  });
});

test('Open Profile Report shows the stored report document; without a profile it says what to do', { timeout: 60_000 }, async (t) => {
  const { root, uri } = await workspace('report', true);
  const bare = join(root, 'bare.cu');
  copyFileSync(join(KERNELS_DIR, 'strided.cu'), bare);
  await withLspClient(t, { root, windowFeatures: true, settings: { check: { onOpen: false, onSave: false } } }, async (client) => {
    await client.open(uri, 'cuda-cpp', source);
    await client.waitFor('the restored profile', async () => ((await profileLens(client, uri))?.command?.command === ServerCommand.openProfileReport ? true : undefined));
    assert.equal(await client.executeCommand(ServerCommand.openProfileReport, [uri, 'gather_strided']), 'KernelPilot: opened the profile of gather_strided.');
    const shown = client.shownDocuments.at(-1);
    assert.ok(shown);
    const doc = readFileSync(fileURLToPath(shown.uri), 'utf8');
    assert.ok(fileURLToPath(shown.uri).startsWith(join(root, '.kernelpilot', 'runs')));
    assert.match(doc, /^# Profile of `gather_strided`/);
    assert.match(doc, /\| UncoalescedGlobalAccess \| OPT \|/);
    await client.open(uriOf(bare), 'cuda-cpp', source);
    await assert.rejects(client.executeCommand(ServerCommand.openProfileReport, [uriOf(bare), 'gather_strided']), /gather_strided has no profile yet\. Run "◎ Profile"/);
  });
});

test('profile here (real nvcc, no GPU): the static report as lens and hover, and one message why live figures are absent', { timeout: 120_000 }, async (t) => {
  const { root, uri } = await workspace('live', false);
  await withLspClient(t, { root, windowFeatures: true, settings: { check: { onOpen: false, onSave: false } } }, async (client) => {
    await client.open(uri, 'cuda-cpp', source);
    assert.equal((await profileLens(client, uri))?.command?.title, '◎ Profile');
    assert.equal(await client.executeCommand(ServerCommand.profile, [uri, 'gather_strided']), 'KernelPilot: profiling gather_strided…');
    const message = await client.waitFor('the profile notification', () => client.messages.find((m) => /gather_strided: ◎|profile of gather_strided failed/.test(m.message)), 100_000);
    assert.equal(message.type, 3, message.message);
    assert.match(message.message, /^KernelPilot: gather_strided: ◎ .* \(static analysis only: .+\)$/);
    const hover = await hoverText(client, uri, source);
    assert.match(hover, /\*\*Profile\*\* \(static analysis, sm_?\\?_?\d+a?\)/);
    assert.match(hover, /\| — \| — \| — \| — of \d+ % \(limit: \w+\) \| \d+ \| none \|/);
    assert.match(hover, /\*Live figures absent:\* /);
    assert.equal((await profileLens(client, uri))?.command?.command, ServerCommand.openProfileReport);
    writeFileSync(join(root, 'done'), '');
  });
});
