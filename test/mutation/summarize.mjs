// Turns Stryker's JSON report into the summary that is committed:
// `node test/mutation/summarize.mjs [--label TEXT] [--recheck RERUN.json …] [--rerun PART.json …] [REPORT.json …] > test/mutation/report-<date>.md`.
// Several reports (a run split over parts of the mutate list with --mutate) are merged, a later one's file over an
// earlier one's; default test/mutation/out/mutation.json.
// Survivors listed in test/mutation/equivalent.md (a mutant that no test can tell apart from the original, with
// why) are shown as equivalent and count as neither killed nor survived in the adjusted score.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name) => {
  const values = [];
  for (let at = args.indexOf(name); at >= 0; at = args.indexOf(name)) values.push(args.splice(at, 2)[1]);
  return values;
};
const label = option('--label')[0] ?? '';
const rechecks = option('--recheck').map((file) => JSON.parse(readFileSync(file, 'utf8')));
const reruns = option('--rerun').map((file) => JSON.parse(readFileSync(file, 'utf8')));
const reports = (args.length ? args : [join(root, 'test/mutation/out/mutation.json')]).map((file) => JSON.parse(readFileSync(file, 'utf8')));
const report = { framework: reports[0].framework, files: Object.assign({}, ...reports.map((r) => r.files)) };

/**
 * `--recheck RERUN.json` (repeatable, later ones win): a rerun of the timed-out mutants with a longer timeoutMS
 * (`stryker run` with their locations as `mutate`). Under a heavy machine load a mutant whose covering test files
 * take long in a row can time out without hanging, and a timeout counts as detected: the rerun's result replaces
 * each Timeout it has one for, so a slow survivor is counted as one.
 */
const mutantKey = (m) => `${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement}`;
let rechecked = 0;
for (const recheck of rechecks) {
  for (const [file, { mutants }] of Object.entries(recheck.files)) {
    const results = new Map(mutants.filter((m) => m.status !== 'Ignored' && m.status !== 'CompileError').map((m) => [mutantKey(m), m]));
    for (const m of report.files[file]?.mutants ?? []) {
      const again = m.status === 'Timeout' ? results.get(mutantKey(m)) : undefined;
      if (again && again.status !== 'Timeout') {
        m.status = again.status;
        rechecked++;
      }
    }
  }
}

/**
 * `--rerun PART.json` (repeatable, later ones win): a run over some lines of files whose code is unchanged since the
 * merged reports (`--mutate 'file:10-12'`, with --force after new tests): its result replaces the earlier one of
 * each mutant it ran, whatever the status, so new tests count without rerunning whole files.
 */
let rerun = 0;
for (const part of reruns) {
  for (const [file, { mutants }] of Object.entries(part.files)) {
    const results = new Map(mutants.map((m) => [mutantKey(m), m]));
    for (const m of report.files[file]?.mutants ?? []) {
      const again = results.get(mutantKey(m));
      if (again) {
        m.status = again.status;
        rerun++;
      }
    }
  }
}

/**
 * equivalent.md lines: "- `path:line` Mutator `replacement` — why". The replacement is matched too, so an entry
 * stops applying when the code under it changes.
 */
function equivalents() {
  const text = readFileSync(join(root, 'test/mutation/equivalent.md'), 'utf8');
  const entries = [];
  for (const line of text.split('\n')) {
    const m = /^- `([^`:]+):(\d+)` (\w+) `(.*)` — (.+)$/.exec(line);
    if (m) entries.push({ file: m[1], line: Number(m[2]), mutator: m[3], replacement: m[4], why: m[5] });
  }
  return entries;
}

const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const known = equivalents();
const rows = [];
const survivors = [];
const total = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, compileError: 0, ignored: 0 };
for (const [file, { mutants }] of Object.entries(report.files).sort()) {
  const row = { file, mutants: mutants.length, killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, compileError: 0, ignored: 0 };
  for (const m of mutants) {
    const at = m.location.start.line;
    const replacement = (m.replacement ?? '').replace(/\s+/g, ' ');
    const equivalent = UNDETECTED.has(m.status) && known.find((e) => e.file === file && e.line === at && e.mutator === m.mutatorName && e.replacement === replacement);
    if (equivalent) row.equivalent++;
    else if (m.status === 'Killed') row.killed++;
    else if (m.status === 'Timeout') row.timeout++;
    else if (m.status === 'Survived') row.survived++;
    else if (m.status === 'NoCoverage') row.noCoverage++;
    else if (m.status === 'CompileError') row.compileError++;
    else if (m.status === 'Ignored') row.ignored++;
    if (UNDETECTED.has(m.status) && !equivalent) survivors.push(`- \`${file}:${at}\` ${m.mutatorName} \`${replacement}\` (${m.status})`);
  }
  rows.push(row);
  for (const key of Object.keys(total)) total[key] += row[key];
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;
/** Stryker's score: detected / (detected + undetected); compile errors and ignored mutants are not valid mutants. */
const score = (r, adjusted) => {
  const detected = r.killed + r.timeout;
  const undetected = r.survived + r.noCoverage + (adjusted ? 0 : r.equivalent);
  return detected + undetected ? detected / (detected + undetected) : 1;
};

const lines = [];
lines.push(`# Mutation report${label ? ` (${label})` : ''}`, '');
lines.push(`Run: ${new Date().toISOString().slice(0, 10)}, StrykerJS ${report.framework?.version ?? '?'} (\`npm run test:mutation\`, stryker.config.mjs).`, '');
lines.push(`Score: **${pct(score(total, false))}** (${total.killed + total.timeout} detected of ${total.killed + total.timeout + total.survived + total.noCoverage + total.equivalent}); counting the ${total.equivalent} listed equivalent mutants out: **${pct(score(total, true))}**.`);
if (rechecks.length) lines.push(`Timeouts rechecked with a longer timeout (--recheck): ${rechecked} changed to the rerun's result.`);
if (reruns.length) lines.push(`Mutants rerun on their lines after new tests (--rerun): ${rerun}, each counted with the rerun's result.`);
lines.push(`Not counted: ${total.compileError} mutants the TypeScript checker rejected, ${total.ignored} ignored (message text and declarations that are not gate decisions, test/mutation/ignore.mjs).`, '');
lines.push('| file | mutants | killed | timeout | survived | no coverage | equivalent | compile error | ignored | score |', '|---|---|---|---|---|---|---|---|---|---|');
for (const r of [...rows, { ...total, file: '**all**' }]) {
  lines.push(`| ${r.file} | ${r.mutants} | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.equivalent} | ${r.compileError} | ${r.ignored} | ${pct(score(r, true))} |`);
}
lines.push('', `## Survivors (${survivors.length})`, '', ...(survivors.length ? survivors : ['None.']), '');
process.stdout.write(lines.join('\n'));
