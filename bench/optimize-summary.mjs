// The summary of bench/gpu-optimize.sh, in plain Node (the GPU machine has a node binary but no packages):
//   node bench/optimize-summary.mjs OUTDIR      a table per part, then PASS/FAIL per example; exit 0 when all passed
// Scripted loop: which answer it chose (attempts name their scripted answer: `Scripted answer NAME: …`) — it must
// be the example's honest fast candidate (fast_*) — and what became of the cheats (none may be accepted as faster),
// the compile failure and its repair, and the slower correct answer; its report must re-derive with no mismatch,
// every gate verdict from its gate record. Built-in search: its verified speedup or "nothing faster found", and
// candidates evaluated per minute of the loop (after preparing the baseline); wall seconds include preparing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node bench/optimize-summary.mjs OUTDIR');
  process.exit(2);
}
const read = (file) => {
  try {
    return JSON.parse(readFileSync(join(out, file), 'utf8'));
  } catch {
    return undefined;
  }
};
const HONEST = /^(fast_.*|repaired|slower)$/;
const nameOf = (attempt) => /Scripted answer (\S+):/.exec(attempt.description ?? '')?.[1] ?? '?';

/** A table with columns padded to their widest cell (cells cut at 60 characters: the FAIL lines say it all). */
function table(header, rows) {
  rows = rows.map((r) => r.map((c) => (String(c).length > 60 ? `${String(c).slice(0, 59)}…` : c)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** Whether a report re-derived: no mismatch, and the gate verdicts read from their records. */
function recordsLine(report, problems) {
  if (!report) {
    problems.push('no report (kernelpilot report failed)');
    return 'no report';
  }
  if (report.mismatches.length) problems.push(`the report does not re-derive: ${report.mismatches.slice(0, 3).join('; ')}`);
  if (report.gateRecords.unchecked) problems.push(`${report.gateRecords.unchecked} gate records were not read`);
  return `${report.gateRecords.rederived} re-derived${report.mismatches.length ? `, ${report.mismatches.length} MISMATCHES` : ''}`;
}

function scripted(ex) {
  const problems = [];
  const run = read(`${ex}.scripted.json`);
  const meta = read(`${ex}.scripted.run.json`);
  if (!run?.attempts) return { row: [ex, 'ERROR', '', '', '', '', meta?.seconds ?? ''], problems: [`the scripted run failed (exit ${meta?.exitCode}): see ${ex}.scripted.log`] };
  const attempts = run.attempts.filter((a) => !a.duplicateOf);
  const best = run.best ? run.attempts.find((a) => a.id === run.best.id) : undefined;
  const chosen = best ? `${nameOf(best)} ${run.best.speedup.toFixed(2)}×` : 'nothing faster';
  if (!best || !/^fast_/.test(nameOf(best))) problems.push(`the loop chose ${chosen}, not the honest fast candidate`);
  const cheats = attempts.filter((a) => !HONEST.test(nameOf(a)) && !['broken', 'none', '?'].includes(nameOf(a)));
  const fasterCheats = cheats.filter((a) => a.accepted && / faster,/.test(a.result));
  if (fasterCheats.length) problems.push(`cheats accepted as faster: ${fasterCheats.map(nameOf).join(', ')}`);
  const rejected = cheats.filter((a) => !a.accepted).length;
  const notFaster = cheats.length - rejected - fasterCheats.length;
  const broken = attempts.find((a) => nameOf(a) === 'broken');
  const repaired = attempts.find((a) => nameOf(a) === 'repaired');
  const isRepaired = broken && /^rejected at compile/.test(broken.result) && repaired?.accepted;
  const repair = isRepaired ? `compile error → ${repaired.result.replace(/^accepted: /, '').split(',')[0]}` : 'NO';
  if (!isRepaired) problems.push(`the compile failure was not repaired (${broken?.result ?? 'no broken attempt'}; then ${repaired?.result ?? 'no repair'})`);
  const slower = attempts.find((a) => nameOf(a) === 'slower');
  const slowerText = slower?.accepted ? slower.result.replace(/^accepted: /, '').split(',')[0] : 'NOT accepted';
  if (!slower?.accepted) problems.push(`the slower correct answer was not accepted (${slower?.result ?? 'missing'})`);
  const records = recordsLine(read(`${ex}.scripted.report.json`), problems);
  const cheatText = `${rejected}/${cheats.length} rejected${notFaster ? `, ${notFaster} timed, not faster` : ''}${fasterCheats.length ? `, ${fasterCheats.length} FASTER` : ''}`;
  return { row: [ex, chosen, cheatText, repair, slowerText, records, meta?.seconds ?? ''], problems };
}

function search(ex) {
  const problems = [];
  const run = read(`${ex}.search.json`);
  const meta = read(`${ex}.search.run.json`);
  if (!run?.attempts) return { row: [ex, 'ERROR', '', '', '', meta?.seconds ?? ''], problems: [`the search run failed (exit ${meta?.exitCode}): see ${ex}.search.log`] };
  const best = run.best ? `${run.best.speedup.toFixed(2)}× (${run.best.strategy}, ${run.best.id})` : 'nothing faster found';
  const records = recordsLine(read(`${ex}.search.report.json`), problems);
  const t = run.throughput;
  return { row: [ex, best, `${t.evaluated} in ${(t.elapsedMs / 1000).toFixed(1)} s`, t.perMinute.toFixed(1), records, meta?.seconds ?? ''], problems };
}

const examples = [...new Set(readdirSync(out).flatMap((f) => /^(.+)\.(scripted|search)\.run\.json$/.exec(f)?.[1] ?? []))].sort();
if (!examples.length) {
  console.error(`${out}: no <example>.scripted.run.json or .search.run.json`);
  process.exit(2);
}
const a = examples.map(scripted);
const b = examples.map(search);
console.log('(a) the model loop, scripted answers: the honest fast candidate, every cheat, a compile failure to repair, a slower correct one\n');
console.log(table(['example', 'chosen', 'cheats', 'repair', 'slower answer', 'gate records', 'wall s'], a.map((r) => r.row)));
console.log('\n(b) the built-in search\n');
console.log(table(['example', 'verified result', 'evaluated', 'per minute', 'gate records', 'wall s'], b.map((r) => r.row)));
console.log('');
let failed = 0;
for (const [i, ex] of examples.entries()) {
  const problems = [...a[i].problems.map((p) => `scripted: ${p}`), ...b[i].problems.map((p) => `search: ${p}`)];
  if (problems.length) failed++;
  console.log(`${problems.length ? 'FAIL' : 'PASS'} ${ex}${problems.length ? `: ${problems.join('; ')}` : ''}`);
}
if (existsSync(join(out, 'env.txt'))) console.log(`\n(${readFileSync(join(out, 'env.txt'), 'utf8').split('\n').find((l) => /NVIDIA H|GPU \d|Tesla|NVIDIA-SMI/.test(l))?.trim() ?? 'env.txt'})`);
process.exit(failed ? 1 : 0);
