// The summary of bench/gpu-scaling.sh, in plain Node (the GPU machine has a node binary but no packages):
//   node bench/scaling-summary.mjs OUTDIR COUNT...      a table, then PASS/FAIL per GPU count; exit 0 when all passed
// Per GPU count: the candidates gated (every example's compare), the seconds from the end of preparing each baseline
// to its last verdict (summed over the examples), candidates per minute over those seconds, the wall seconds of the
// compares (preparing included), and the ratio to the first count (1 GPU) against the target (≥ 1.8× with 2 GPUs,
// ≥ 3.4× with 4; other counts are shown without one). A compare that failed (exit other than 0 or 3) fails its count.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, ...countArgs] = process.argv.slice(2);
const counts = countArgs.map(Number);
if (!out || counts.length === 0 || !counts.every((c) => Number.isInteger(c) && c > 0)) {
  console.error('usage: node bench/scaling-summary.mjs OUTDIR COUNT...');
  process.exit(2);
}
const TARGETS = { 2: 1.8, 4: 3.4 };
const read = (file) => {
  try {
    return JSON.parse(readFileSync(join(out, file), 'utf8'));
  } catch {
    return undefined;
  }
};

function measure(count) {
  const tag = `${count}gpu`;
  const runs = readdirSync(out).filter((f) => f.startsWith(`scaling-${tag}-`) && f.endsWith('.run.json'));
  const problems = [];
  let candidates = 0;
  let seconds = 0;
  let wall = 0;
  for (const file of runs) {
    const run = read(file);
    const example = file.slice(`scaling-${tag}-`.length, -'.run.json'.length);
    if (!run || (run.exitCode !== 0 && run.exitCode !== 3)) {
      problems.push(`${example}: compare failed (exit ${run?.exitCode ?? '?'}; see scaling-${tag}-${example}.log)`);
      continue;
    }
    const json = read(`scaling-${tag}-${example}.json`);
    const results = Array.isArray(json) ? json : json ? [json] : [];
    const since = results.map((r) => r.seconds?.sincePrepared).filter((s) => typeof s === 'number');
    if (since.length !== results.length || results.length === 0) {
      problems.push(`${example}: no per-candidate seconds in scaling-${tag}-${example}.json`);
      continue;
    }
    candidates += results.length;
    seconds += Math.max(...since);
    wall += run.seconds;
  }
  if (runs.length === 0) problems.push('no run');
  return { count, candidates, seconds, wall, perMinute: seconds > 0 ? (60 * candidates) / seconds : 0, problems };
}

const rows = counts.map(measure);
const base = rows[0];
for (const row of rows) {
  row.ratio = base.perMinute > 0 ? row.perMinute / base.perMinute : 0;
  row.target = TARGETS[row.count];
  if (base.candidates !== row.candidates && row.problems.length === 0) row.problems.push(`${row.candidates} candidates, ${base.candidates} with ${base.count} GPU(s): not the same set`);
  row.pass = row.problems.length === 0 && (row.target === undefined || row.ratio >= row.target);
}

const header = ['GPUs', 'candidates', 's after preparing', 'candidates/min', `× vs ${base.count} GPU`, 'target', 'wall s'];
const cells = rows.map((r) => [r.count, r.candidates, r.seconds.toFixed(1), r.perMinute.toFixed(1), r.ratio.toFixed(2), r.target ? `≥ ${r.target}` : '—', r.wall.toFixed(1)]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
const line = (c) => c.map((x, i) => String(x).padEnd(widths[i])).join(' | ');
const verdicts = rows.map((r) => `${r.pass ? 'PASS' : 'FAIL'} ${r.count} GPU(s)${r.problems.length ? `: ${r.problems.join('; ')}` : r.target ? `: ${r.ratio.toFixed(2)}× (target ≥ ${r.target}×)` : ''}`);
const text = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line), '', ...verdicts].join('\n');
console.log(text);
writeFileSync(join(out, 'scaling.txt'), `${text}\n`);
writeFileSync(join(out, 'scaling.json'), `${JSON.stringify(rows, null, 2)}\n`);
if (existsSync(join(out, 'env.txt'))) console.log(`\n(environment: ${join(out, 'env.txt')})`);
process.exit(rows.every((r) => r.pass) ? 0 : 1);
