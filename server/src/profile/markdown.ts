// A profile report as Markdown for editors: the compact hover section on a kernel's name and the full report the
// "Open Profile Report" command shows. Pure; the LSP layer adds nothing but where it goes. Every string that came
// from a tool (ncu's rule texts) or a file is escaped: a hover renders Markdown, and a report may come from a
// repository's `.kernelpilot/` folder.

import type { Freshness } from './stale';
import type { Hint, LiveMeasured, Occupancy, ProfileReport } from './report';

/** Escapes Markdown so tool text shows as written (no links, emphasis, HTML or table breaks). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} %`);

function timeText(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

function occupancyText(live: LiveMeasured | undefined, occupancy: Occupancy | undefined): string {
  if (live) return `${pct(live.achievedOccupancyPct)} of ${pct(live.theoreticalOccupancyPct)} (limit: ${live.occupancyLimiter})`;
  if (occupancy) return `— of ${pct(occupancy.theoreticalPct)} (limit: ${occupancy.limiter})`;
  return '—';
}

function spillText(report: ProfileReport): string {
  const r = report.static.resources;
  if (!r) return '—';
  if (!r.spillStoreBytes && !r.spillLoadBytes) return 'none';
  return `${r.spillStoreBytes} B stores, ${r.spillLoadBytes} B loads`;
}

function hintLine(hint: Hint, lineShift: number): string {
  const gain = hint.estimatedSpeedupPct === undefined ? '' : ` (est. up to ${pct(hint.estimatedSpeedupPct)})`;
  const where = hint.line === undefined ? '' : ` — line ${hint.line + lineShift + 1}`;
  return `**${escapeMarkdown(hint.title)}**${gain}${where}: ${escapeMarkdown(hint.text)}`;
}

function staleNote(report: ProfileReport, freshness: Freshness): string[] {
  return freshness.stale ? [`⚠ *Stale:* this kernel changed since it was profiled (${escapeMarkdown(report.createdAt)}); profile it again for current figures.`, ''] : [];
}

/** The hover's profile section: one table of figures, the top hints, and why live figures are missing if they are. */
export function profileHoverSection(report: ProfileReport, freshness: Freshness, maxHints = 3): string {
  const live = report.live.status === 'measured' ? report.live : undefined;
  const r = report.static.resources;
  // One header row and one row of figures: compact enough that the hints fit in the hover too.
  const columns: [string, string][] = [
    ['time (ncu)', live ? timeText(live.durationNs) : '—'],
    ['DRAM', pct(live?.dramPct)],
    ['SM', pct(live?.computePct)],
    ['occupancy (achieved of theoretical)', occupancyText(live, report.static.occupancy)],
    ['registers', r ? String(r.registersPerThread) : live ? String(live.registersPerThread) : '—'],
    ['spills', spillText(report)],
  ];
  const lines = [
    ...staleNote(report, freshness),
    `**Profile** (${live ? `Nsight Compute on ${escapeMarkdown(report.kernel.target)}` : 'static analysis'}, ${escapeMarkdown(report.kernel.arch)})`,
    '',
    `| ${columns.map(([k]) => k).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    `| ${columns.map(([, v]) => v).join(' | ')} |`,
    '',
    `**Bottleneck:** ${report.classification ? escapeMarkdown(report.classification.summary) : 'not known (no live figures or benchmark)'}`,
  ];
  const hints = report.hints.slice(0, maxHints);
  if (hints.length) lines.push('', ...hints.map((h, i) => `${i + 1}. ${hintLine(h, freshness.lineShift)}`));
  if (report.live.status === 'absent' && report.live.reason !== 'not-requested') lines.push('', `*Live figures absent:* ${escapeMarkdown(report.live.message)}`);
  return lines.join('\n');
}

/** The whole report as a Markdown document (static facts, live figures, every rule and hint, the per-line table). */
export function profileReportDocument(report: ProfileReport): string {
  const { kernel } = report;
  const out: string[] = [`# Profile of \`${kernel.qualifiedName.replace(/`/g, '')}\``, ''];
  out.push(`${escapeMarkdown(kernel.file)}, line ${kernel.line + 1} · ${escapeMarkdown(kernel.target)} · ${escapeMarkdown(kernel.arch)} · ${escapeMarkdown(report.createdAt)}`, '');
  out.push(profileHoverSection(report, { stale: false, lineShift: 0 }, Number.POSITIVE_INFINITY), '');
  const r = report.static.resources;
  if (r) {
    out.push('## Resources (ptxas)', '', `registers ${r.registersPerThread}, static shared ${r.staticSharedBytes} B, stack frame ${r.stackFrameBytes} B, spill stores ${r.spillStoreBytes} B, spill loads ${r.spillLoadBytes} B, barriers ${r.barriers}`, '');
  }
  const curve = report.static.occupancyByBlockSize ?? [];
  if (curve.length) {
    out.push('## Theoretical occupancy by block size', '', '| block | occupancy | limited by |', '|---:|---:|---|');
    for (const p of curve) out.push(`| ${p.blockSize} | ${pct(p.theoreticalPct)} | ${p.limiter} |`);
    out.push('');
  }
  const sass = report.static.sass;
  if (sass) {
    const widths = (m: Record<string, number>) => Object.entries(m).map(([w, n]) => `${n}× ${w}-bit`).join(', ') || 'none';
    const tensor = Object.entries(sass.tensorCore).map(([op, n]) => `${n}× ${op}`).join(', ') || 'none';
    out.push('## SASS', '', `${sass.instructions} instructions; global loads ${widths(sass.globalLoadsByWidth)}; global stores ${widths(sass.globalStoresByWidth)}; tensor-core ${tensor}; local loads ${sass.localLoads}, local stores ${sass.localStores}`, '');
  }
  if (report.live.status === 'measured') {
    const live = report.live;
    out.push('## Nsight Compute', '', `${escapeMarkdown(live.device.name ?? 'GPU')} (sm ${escapeMarkdown(live.device.computeCapability)}, ${live.device.smCount} SMs), grid ${live.launch.grid.join('×')}, block ${live.launch.block.join('×')}, ${live.wavesPerSm.toFixed(2)} waves per SM, clocks: ${live.tool.clockControl}`, '');
    if (live.stalls.length) out.push(`Top stalls (cycles per issued instruction): ${live.stalls.slice(0, 5).map((s) => `${escapeMarkdown(s.reason)} ${s.cyclesPerIssue.toFixed(1)}`).join(', ')}`, '');
    if (live.rules.length) {
      out.push('| rule | type | estimated speedup | what it says |', '|---|---|---:|---|');
      for (const rule of live.rules) out.push(`| ${escapeMarkdown(rule.rule)} | ${rule.type} | ${pct(rule.estimatedSpeedupPct)} | ${escapeMarkdown(rule.text)} |`);
      out.push('');
    }
  }
  const hot = report.lines.filter((l) => l.stallSamples || l.l2SectorsGlobal);
  if (hot.length) {
    out.push('## Lines', '', '| line | stall share | top stall | L2 sectors (ideal) |', '|---:|---:|---|---:|');
    for (const l of hot) {
      const top = l.stalls?.[0];
      const sectors = l.l2SectorsGlobal === undefined ? '—' : `${l.l2SectorsGlobal} (${l.l2SectorsGlobalIdeal ?? '—'})`;
      out.push(`| ${l.line + 1} | ${l.stallShare === undefined ? '—' : pct(l.stallShare * 100)} | ${top ? escapeMarkdown(top.reason) : '—'} | ${sectors} |`);
    }
    out.push('');
  }
  if (report.notes.length) out.push('## Notes', '', ...report.notes.map((n) => `- ${escapeMarkdown(n)}`), '');
  return out.join('\n');
}
