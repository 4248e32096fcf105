// The report as text: the CLI's compact summary and the short block the optimizer's prompts carry.

import { basename } from 'node:path';
import { formatBytes } from '../check/format';
import { formatMs, percent } from '../derive/num';
import type { Hint, ProfileReport, SassFacts } from './report';

const pct = (value: number): string => percent(value / 100);

function widths(table: Record<string, number>, op: string): string[] {
  return Object.entries(table).map(([bits, n]) => `${op}.${bits} ×${n}`);
}

function sassLine(s: SassFacts): string {
  const memory = [...widths(s.globalLoadsByWidth, 'LDG'), ...widths(s.globalStoresByWidth, 'STG')];
  const tensor = Object.entries(s.tensorCore).map(([op, n]) => `${op} ×${n}`);
  const local = s.localLoads + s.localStores ? `local memory LDL ×${s.localLoads} STL ×${s.localStores}` : 'no local memory';
  return `SASS: ${memory.join(', ') || 'no global loads/stores'}; ${tensor.length ? `tensor cores ${tensor.join(', ')}` : 'no tensor-core instructions'}; ${local}; ${s.instructions} instructions`;
}

/** "strided.cu:8" for a hint with a line. */
function where(report: ProfileReport, hint: Hint): string {
  return hint.line === undefined ? '' : `${basename(report.kernel.file)}:${hint.line + 1} `;
}

// ncu's "local" estimates are of the part a rule looks at, not of the kernel: said so.
const gain = (h: Hint): string => (h.estimatedSpeedupPct === undefined ? '' : h.speedupKind === 'local' ? `(~${pct(h.estimatedSpeedupPct)} of its part) ` : `~${pct(h.estimatedSpeedupPct)} `);

function figures(report: ProfileReport): string[] {
  const out: string[] = [];
  const live = report.live.status === 'measured' ? report.live : undefined;
  const o = report.static.occupancy;
  const r = report.static.resources;
  if (live) {
    out.push(`time ${formatMs(live.durationNs / 1e6)} under ncu · memory ${pct(live.memoryPct)} · DRAM ${pct(live.dramPct)} · compute ${pct(live.computePct)} · ${live.wavesPerSm.toFixed(2)} waves on ${live.device.smCount} SMs`);
    out.push(`occupancy ${pct(live.achievedOccupancyPct)} achieved / ${pct(live.theoreticalOccupancyPct)} theoretical (limit: ${live.occupancyLimiter})`);
  } else if (o) {
    out.push(`occupancy ${pct(o.theoreticalPct)} theoretical at ${o.blockSize} threads/block (limit: ${o.limiter}; ${o.activeBlocksPerSm} blocks, ${o.activeWarpsPerSm}/${o.maxWarpsPerSm} warps per SM)`);
  }
  if (r) out.push(`${r.registersPerThread} registers · spills ${formatBytes(r.spillStoreBytes)} stored / ${formatBytes(r.spillLoadBytes)} loaded · static smem ${formatBytes(r.staticSharedBytes)} · stack ${formatBytes(r.stackFrameBytes)}`);
  if (report.static.sass) out.push(sassLine(report.static.sass));
  if (report.classification) out.push(`bottleneck: ${report.classification.summary}`);
  const h = report.headroom;
  if (h) out.push(`roofline: ${percent(h.fractionOfPeak)} of the ${h.bound === 'compute' ? 'FP32' : 'copy-bandwidth'} ceiling in the benchmark (${formatMs(h.timeMs)}; at the roofline ${formatMs(h.rooflineTimeMs)})`);
  return out;
}

/** The CLI's text: identity, figures, the hints ranked, why live figures are absent, notes. */
export function formatReportText(report: ProfileReport, maxHints = 6): string {
  const k = report.kernel;
  const lines = [`${k.qualifiedName} · ${basename(k.file)}:${k.line + 1} · ${k.arch} · target ${k.target}`];
  lines.push(...figures(report).map((l) => `  ${l}`));
  if (report.live.status === 'absent') lines.push(`  live figures: none — ${report.live.message}`);
  if (report.hints.length) {
    lines.push('hints (by estimated gain):');
    report.hints.slice(0, maxHints).forEach((h, i) => lines.push(`  ${i + 1}. ${gain(h)}${where(report, h)}${summary(h, h.text)}`));
    if (report.hints.length > maxHints) lines.push(`  … ${report.hints.length - maxHints} more (--json has them all)`);
  } else lines.push('hints: none');
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** Our hints' text is a whole message (the editor shows it alone); ncu's rules get their name and first sentence. */
function summary(h: Hint, text: string): string {
  return h.origin === 'ncu' ? `${h.title}: ${firstSentence(text)}` : text;
}

function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return m ? m[1] : text;
}

/**
 * The block an optimizer prompt carries: what limits the kernel and the top hints, each with the source line it is
 * about quoted from `fileText` (the model sees code, not line numbers). A few hundred characters.
 */
export function formatReportForPrompt(report: ProfileReport, fileText?: string, maxHints = 3): string {
  const source = fileText?.split(/\r\n|\r|\n/);
  const out = ['Profile of the current best version (Nsight Compute and ptxas):'];
  out.push(...figures(report).map((l) => `- ${l}`));
  for (const h of report.hints.slice(0, maxHints)) {
    const quoted = h.line !== undefined && source?.[h.line] !== undefined ? ` [at \`${source[h.line].trim().slice(0, 120)}\`]` : '';
    out.push(`- hint ${gain(h)}${summary(h, firstSentence(h.text))}${quoted}`);
  }
  return out.join('\n');
}
