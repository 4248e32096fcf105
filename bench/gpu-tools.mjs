// Small JSON/CSV helpers for bench/gpu-run.sh, in plain Node (the GPU machine has a node binary but no
// packages). Subcommands:
//   kernel SPEC                 the spec's kernel name
//   binary DRYRUN_JSON          the baseline harness binary from `bench --dry-run --json`
//   harness-median TIME_JSON    "median_ms empty_kernel_ms" of a harness time report (its last {"kind": line)
//   ncu-median CSV              median of gpu__time_duration.sum over the profiled launches, in ms
//   repeat-cv EX LOG...         run-to-run spread: the medians of several harness time logs, their CV, as JSON
//   table OUTDIR                the summary table of every *.bench.json / *.compare.json / ncu-*.txt / repeat-*.json
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [cmd, arg, ...more] = process.argv.slice(2);
const json = (file) => JSON.parse(readFileSync(file, 'utf8'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One CSV line → fields (ncu quotes every field; numbers may carry thousands separators). */
function csvFields(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const UNIT_MS = { nsecond: 1e-6, ns: 1e-6, usecond: 1e-3, us: 1e-3, msecond: 1, ms: 1, second: 1e3, s: 1e3 };

function ncuMedian(file) {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.startsWith('"'));
  if (lines.length < 2) throw new Error(`${file}: no ncu CSV rows`);
  const header = csvFields(lines[0]);
  const name = header.indexOf('Metric Name');
  const unit = header.indexOf('Metric Unit');
  const value = header.indexOf('Metric Value');
  const ms = [];
  for (const line of lines.slice(1)) {
    const f = csvFields(line);
    if (f[name] !== 'gpu__time_duration.sum') continue;
    const scale = UNIT_MS[f[unit]];
    if (scale === undefined) throw new Error(`${file}: unknown unit '${f[unit]}'`);
    ms.push(Number(f[value].replace(/,/g, '')) * scale);
  }
  if (!ms.length) throw new Error(`${file}: no gpu__time_duration.sum rows`);
  return median(ms);
}

function lastReport(file) {
  const line = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.startsWith('{"kind":')).pop();
  if (!line) throw new Error(`${file}: no harness report`);
  return JSON.parse(line);
}

function fmt(x, digits = 3) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(digits) : '-';
}

/** Run-to-run variation: the spread of whole runs' medians (what a user sees when benchmarking twice). */
function repeatCv(example, logs) {
  const medians = logs.map((f) => median(lastReport(f).timesMs));
  const mean = medians.reduce((a, b) => a + b, 0) / medians.length;
  const sd = Math.sqrt(medians.reduce((a, m) => a + (m - mean) ** 2, 0) / (medians.length - 1));
  return { example, runs: medians.length, mediansMs: medians, meanMs: mean, cv: sd / mean };
}

function table(dir) {
  const files = readdirSync(dir);
  const rows = [['example', 'median ms', 'TB/s', '% peak', 'GPU', 'candidates (verdict, speedup or failed probes)']];
  for (const f of files.filter((n) => n.endsWith('.bench.json')).sort()) {
    const ex = f.replace(/\.bench\.json$/, '');
    let b;
    try {
      b = json(join(dir, f));
    } catch {
      rows.push([ex, 'FAILED', '-', '-', '-', `see ${ex}.bench.log`]);
      continue;
    }
    const cands = files.filter((n) => n.startsWith(`${ex}.`) && n.endsWith('.compare.json')).sort().map((n) => {
      const name = n.slice(ex.length + 1, -'.compare.json'.length);
      try {
        const c = json(join(dir, n));
        const what = c.accepted ? `${c.verdict} ${fmt(c.speedup)}x` : `REJECTED ${(c.failedProbes ?? []).join('+') || (c.reasons ?? [])[0] || ''}`;
        return `${name}: ${what}`;
      } catch {
        return `${name}: ERROR (see ${ex}.${name}.compare.log)`;
      }
    });
    rows.push([ex, fmt(b.medianMs, 4), fmt((b.bytesPerSecond ?? NaN) / 1e12), b.fractionOfPeak === undefined ? '-' : `${(b.fractionOfPeak * 100).toFixed(0)} %`, b.gpu ?? '-', cands.join('; ')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : String(c).padEnd(widths[i]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const ncu = files.filter((n) => /^ncu-.*\.txt$/.test(n)).sort().map((n) => readFileSync(join(dir, n), 'utf8').trim());
  const repeats = files.filter((n) => /^repeat-[^.]+\.json$/.test(n)).sort().map((n) => json(join(dir, n)));
  if (repeats.length) {
    lines.push('', 'run-to-run variation (CV of the medians of separate harness runs, 100 launches each):');
    for (const r of repeats) lines.push(`${r.example}: ${r.runs} runs, mean median ${fmt(r.meanMs, 4)} ms, CV ${(r.cv * 100).toFixed(2)} %`);
  }
  if (ncu.length) lines.push('', 'ncu timing fidelity (harness median minus empty-kernel latency vs ncu gpu__time_duration median; accept within 3 %):', ...ncu);
  return lines.join('\n');
}

switch (cmd) {
  case 'kernel':
    console.log(json(arg).kernel);
    break;
  case 'binary': {
    const b = json(arg).builds?.find((x) => x.role === 'baseline');
    if (!b) throw new Error(`${arg}: no baseline build`);
    console.log(b.binary);
    break;
  }
  case 'harness-median': {
    const r = lastReport(arg);
    if (r.kind !== 'time') throw new Error(`${arg}: a ${r.kind} report, not a time report`);
    console.log(`${median(r.timesMs)} ${r.emptyKernelMs ?? 0}`);
    break;
  }
  case 'ncu-median':
    console.log(ncuMedian(arg));
    break;
  case 'repeat-cv':
    console.log(JSON.stringify(repeatCv(arg, more)));
    break;
  case 'table':
    if (!existsSync(arg)) throw new Error(`${arg}: no such folder`);
    console.log(table(arg));
    break;
  default:
    console.error('usage: node bench/gpu-tools.mjs kernel|binary|harness-median|ncu-median|repeat-cv|table ARG');
    process.exit(2);
}
