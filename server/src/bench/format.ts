// Text for people: the one-line code lens, the hover's markdown, the CLI's report. Only formatting; every
// number comes from a BenchSummary, so what is shown is what the run record re-derives.

import type { TimingMethod } from '../harness/protocol';
import { formatMs, percent, sig, siRate } from '../derive/num';
import type { RooflineResult } from '../derive/roofline';
import type { SampleSummary } from '../derive/stats';
import type { BenchSummary } from '../derive/summary';

/** "NVIDIA H100 80GB HBM3" → "H100", "NVIDIA GeForce RTX 4090" → "RTX 4090". */
export function shortGpuName(name: string): string {
  const words = name.split(/\s+/).filter((w) => w && !/^(NVIDIA|GeForce|Tesla|Quadro)$/i.test(w));
  const cut = words.findIndex((w) => /^\d+GB$|^PCIe$|^SXM\d*$|^NVL$|^HBM/i.test(w));
  const kept = cut > 0 ? words.slice(0, cut) : words;
  return kept.join(' ') || name;
}

function rateText(r: RooflineResult): string {
  return r.bound === 'compute' && r.achievedFlopsPerSecond !== undefined ? siRate(r.achievedFlopsPerSecond, 'FLOP/s') : siRate(r.achievedBytesPerSecond, 'B/s');
}

function timeText(s: SampleSummary): string {
  return `${formatMs(s.median)} ±${percent(s.ciHalfWidthRel)}`;
}

/**
 * The code lens: `0.93 ms ±0.3 % · 3.45 TB/s · 80 % of peak · H200`, prefixed with the gate's headline when a
 * candidate was compared. A rejected candidate shows no time at all: its numbers are not results.
 */
export function lensText(s: BenchSummary): string {
  const gpu = shortGpuName(s.gpuName);
  if (s.gate && !s.gate.accepted) return `✗ ${s.gate.headline} · ${gpu}`;
  const side = s.candidate ?? s.baseline;
  const r = s.candidate ? s.candidateRoofline : s.baselineRoofline;
  const parts: string[] = [];
  if (s.gate) parts.push(s.gate.headline);
  parts.push(timeText(side));
  if (r) parts.push(rateText(r), `${percent(r.fractionOfPeak)} of peak`);
  parts.push(gpu);
  return parts.join(' · ');
}

function mdEscape(text: string): string {
  return text.replace(/[\\`*_[\]|<>#]/g, (c) => `\\${c}`);
}

const METHOD_TEXT: Record<TimingMethod, string> = {
  'cupti-activity': 'kernel time: first to last GPU activity of the launch, on any stream (CUPTI kernel records; traced kernels run one at a time, so overlap between streams is not credited); launch overhead: host time inside the launch call; wall: launch to whole-device sync',
  'cuda-events': 'kernel time: CUDA events around the launch and a whole-device sync (CUPTI unavailable: includes launch and sync latency)',
  'cpu-wall': 'time: the host clock around the call (the Python harness on a CPU)',
};

function statRows(s: BenchSummary): Array<[string, string, string?]> {
  const row = (label: string, f: (x: SampleSummary) => string): [string, string, string?] => [label, f(s.baseline), s.candidate ? f(s.candidate) : undefined];
  const extra = (label: string, b: SampleSummary | undefined, c: SampleSummary | undefined): Array<[string, string, string?]> =>
    b ? [[label, formatMs(b.median), s.candidate ? (c ? formatMs(c.median) : '–') : undefined]] : [];
  return [
    row('median', (x) => formatMs(x.median)),
    row(`${Math.round(s.baseline.medianCI.requested * 100)} % CI of median`, (x) => `${formatMs(x.medianCI.low, 1)} – ${formatMs(x.medianCI.high, 1)} (±${percent(x.ciHalfWidthRel)})`),
    row('p10 / p90', (x) => `${formatMs(x.p10)} / ${formatMs(x.p90)}`),
    row('CV', (x) => (Number.isNaN(x.cv) ? '–' : percent(x.cv))),
    row('samples', (x) => {
      const o = x.outliers.low + x.outliers.high;
      return `${x.n}${o ? ` (${o} outlier${o > 1 ? 's' : ''})` : ''}`;
    }),
    ...extra('launch overhead (median)', s.baselineLaunch, s.candidateLaunch),
    ...extra('wall, launch to sync (median)', s.baselineWall, s.candidateWall),
  ];
}

function rooflineLine(r: RooflineResult): string {
  const flops = r.achievedFlopsPerSecond !== undefined ? `, ${siRate(r.achievedFlopsPerSecond, 'FLOP/s')} (${percent(r.fractionOfFlops ?? 0)} of FP32)` : '';
  return `${siRate(r.achievedBytesPerSecond, 'B/s')} (${percent(r.fractionOfCopy)} of copy)${flops}, ${r.bound}-bound`;
}

function speedupLine(s: BenchSummary): string | undefined {
  const c = s.comparison;
  if (!c) return undefined;
  return `speedup ${c.speedup.toFixed(3)}× (${Math.round(c.speedupCI.confidence * 100)} % CI ${c.speedupCI.low.toFixed(3)}–${c.speedupCI.high.toFixed(3)}×), ${c.rule}`;
}

export function hoverMarkdown(s: BenchSummary): string {
  const lines: string[] = [];
  lines.push(`**${mdEscape(s.kernel)}** on ${mdEscape(s.gpuName)}${s.gate ? ` — **${mdEscape(s.gate.headline)}**` : ''}`, '');
  for (const r of s.gate?.reasons ?? []) lines.push(`- ✗ ${mdEscape(r)}`);
  for (const w of s.gate?.warnings ?? []) lines.push(`- ⚠ ${mdEscape(w)}`);
  if (s.gate && (s.gate.reasons.length || s.gate.warnings.length)) lines.push('');
  lines.push(s.candidate ? '| | baseline | candidate |' : '| | time |', s.candidate ? '|---|---|---|' : '|---|---|');
  for (const [label, b, c] of statRows(s)) lines.push(c === undefined ? `| ${label} | ${b} |` : `| ${label} | ${b} | ${c} |`);
  if (s.baselineRoofline) {
    const b = rooflineLine(s.baselineRoofline);
    lines.push(s.candidateRoofline ? `| roofline | ${b} | ${rooflineLine(s.candidateRoofline)} |` : `| roofline | ${b} |`);
  }
  const speed = speedupLine(s);
  if (speed) lines.push('', mdEscape(speed));
  if (s.method) lines.push('', `*${mdEscape(METHOD_TEXT[s.method])}*`);
  if (s.trust?.notes.length) lines.push('', '**trust**', ...s.trust.notes.map((n) => `- ${mdEscape(n)}`));
  if (s.verification) {
    lines.push('', '| probe | | |', '|---|---|---|');
    for (const p of s.verification.probes) {
      const mark = p.skipped ? '–' : p.passed ? '✓' : p.gate ? '✗' : '⚠';
      lines.push(`| ${p.name} | ${mark} | ${mdEscape(p.reason)} |`);
    }
  }
  return lines.join('\n');
}

function table(rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

/** The CLI's report: verdict, statistics, roofline, probes. Plain text, no colour codes (callers may add them). */
export function cliReport(s: BenchSummary): string {
  const out: string[] = [`${s.kernel} on ${s.gpuName}`];
  if (s.gate) {
    out.push(`verdict: ${s.gate.headline}`);
    for (const r of s.gate.reasons) out.push(`  ✗ ${r}`);
    for (const w of s.gate.warnings) out.push(`  ⚠ ${w}`);
  }
  out.push('');
  const header = s.candidate ? ['', 'baseline', 'candidate'] : ['', 'time'];
  const rows: string[][] = [header, ...statRows(s).map(([l, b, c]) => (c === undefined ? [l, b] : [l, b, c]))];
  if (s.baselineRoofline) rows.push(s.candidateRoofline ? ['roofline', rooflineLine(s.baselineRoofline), rooflineLine(s.candidateRoofline)] : ['roofline', rooflineLine(s.baselineRoofline)]);
  out.push(...table(rows));
  const speed = speedupLine(s);
  if (speed) out.push('', speed);
  if (s.method) out.push('', `timing: ${METHOD_TEXT[s.method]}`);
  if (s.trust?.notes.length) out.push('', 'trust:', ...s.trust.notes.map((n) => `  · ${n}`));
  if (s.verification) {
    out.push('', 'probes:');
    const probeRows = s.verification.probes.map((p) => [`  ${p.skipped ? '–' : p.passed ? '✓' : p.gate ? '✗' : '⚠'}`, p.name, p.gate ? '' : '(advisory)', p.reason]);
    out.push(...table(probeRows));
    const m = s.verification.probes.find((p) => p.name === 'match')?.details;
    if (m && typeof m['maxAbsErr'] === 'number') out.push(`  max |Δ| ${sig(m['maxAbsErr'] as number)}, max relative ${sig(m['maxRelErr'] as number)}`);
  }
  return out.join('\n');
}
