// Turns what bench/gpu-run.sh left in OUTDIR (<ex>.bench.json, <ex>.compare.json, fidelity-*.json,
// repeat-<ex>.summary.json, throughput.*) into bench/results/gpu-bench.json (per example, plus the speed figures)
// and bench/results/gpu-bench.md (a table):
//   node --import ./scripts/ts.mjs bench/summarize-gpu.ts OUTDIR [RESULTS_DIR]
// test/gpu/ reads the same structure through summarizeGpu(), so what CI asserts is what the table shows.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface CandidateResult {
  candidate: string;
  /** Seconds from source to verdict by part (compare's JSON). */
  seconds?: { build: number; waitForGpu: number; gpu: number; total: number; sincePrepared?: number };
  probes?: Array<{ name: string; passed: boolean; skipped: boolean }>;
  /** 'faster' | 'slower' | 'no-significant-difference' | 'rejected' | 'error'. */
  verdict: string;
  accepted: boolean;
  speedup?: number;
  speedupCI?: { low: number; high: number };
  failedProbes: string[];
  headline?: string;
  error?: string;
}

export interface ExampleResult {
  example: string;
  kernel?: string;
  gpu?: string;
  medianMs?: number;
  bytesPerSecond?: number;
  fractionOfPeak?: number;
  bound?: string;
  error?: string;
  candidates: CandidateResult[];
  /** Launch-to-launch coefficient of variation within the bench run. */
  cv?: number;
  /** Run-to-run: the medians of separate bench runs (gpu-run.sh's REPEATS) and their CV. */
  runToRun?: { runs: number; mediansMs: number[]; meanMs: number; cv: number };
  /** The gate's kernel time against ncu's gpu__time_duration, per size point. */
  fidelity: Array<{ point: string; method: string; harnessMs: number; ncuMs: number; ratio: number; withinTarget: boolean }>;
  /** Seconds to prepare the baseline (bench's wall time, builds included when not cached). */
  prepareSeconds?: number;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function lastLine(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').pop() ?? '';
  } catch {
    return '';
  }
}

export function summarizeGpu(outDir: string): ExampleResult[] {
  const files = readdirSync(outDir);
  const examples = [...new Set(files.filter((f) => /^[a-z0-9_]+\.bench\.json$/.test(f)).map((f) => f.slice(0, -'.bench.json'.length)))].sort();
  return examples.map((example) => {
    const b = readJson(join(outDir, `${example}.bench.json`));
    const result: ExampleResult = { example, candidates: [], fidelity: [] };
    if (b) {
      Object.assign(result, {
        kernel: b['kernel'] as string,
        gpu: b['gpu'] as string,
        medianMs: b['medianMs'] as number,
        bytesPerSecond: b['bytesPerSecond'] as number,
        fractionOfPeak: b['fractionOfPeak'] as number,
        bound: b['bound'] as string,
        cv: ((b['summary'] as { baseline?: { cv?: number } } | undefined)?.baseline?.cv),
      });
    } else {
      result.error = lastLine(join(outDir, `${example}.bench.log`)) || 'no bench result';
    }
    const compare = readJson(join(outDir, `${example}.compare.json`)) as unknown;
    if (compare === undefined && files.includes(`${example}.compare.log`)) {
      result.candidates.push({ candidate: 'compare', verdict: 'error', accepted: false, failedProbes: [], error: lastLine(join(outDir, `${example}.compare.log`)) });
    }
    for (const c of compare === undefined ? [] : ([compare].flat() as Array<Record<string, unknown>>)) result.candidates.push(candidateOf(c));
    const repeat = readJson(join(outDir, `repeat-${example}.summary.json`));
    if (repeat) result.runToRun = repeat as unknown as ExampleResult['runToRun'];
    result.fidelity = files
      .filter((f) => f.startsWith(`fidelity-${example}-`) && /\.json$/.test(f) && !/\.(bench|build)\.json$/.test(f))
      .map((f) => readJson(join(outDir, f)) as unknown as ExampleResult['fidelity'][number] | undefined)
      .filter((x) => x !== undefined);
    const prepare = readJson(join(outDir, `${example}.prepare-seconds.json`));
    if (prepare) result.prepareSeconds = prepare['seconds'] as number;
    return result;
  });
}

function candidateOf(c: Record<string, unknown>): CandidateResult {
  const ci = c['speedupCI'] as { low: number; high: number } | undefined;
  const file = String(c['candidate'] ?? '?');
  return {
    candidate: file.slice(file.lastIndexOf('/') + 1).replace(/\.cu$/, ''),
    verdict: c['verdict'] as string,
    accepted: c['accepted'] === true,
    ...(typeof c['speedup'] === 'number' ? { speedup: c['speedup'] } : {}),
    ...(ci ? { speedupCI: { low: ci.low, high: ci.high } } : {}),
    failedProbes: (c['failedProbes'] as string[] | undefined) ?? [],
    headline: c['headline'] as string,
    ...(c['seconds'] ? { seconds: c['seconds'] as CandidateResult['seconds'] } : {}),
    ...(c['probes'] ? { probes: c['probes'] as CandidateResult['probes'] } : {}),
  };
}

export interface SpeedFigures {
  /** Median build + GPU-process seconds of a lone candidate. */
  acceptedSeconds?: number;
  rejectedAtFirstProbeSeconds?: number;
  /** Verified candidates per minute in the throughput run (last verdict after the baseline was prepared). */
  candidatesPerMinute?: number;
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The speed targets of issue 8, from every compare of the run and its throughput run. */
export function speedOf(outDir: string, results: ExampleResult[]): SpeedFigures {
  const all = results.flatMap((r) => r.candidates).filter((c) => c.seconds);
  const alone = (c: CandidateResult) => (c.seconds?.build ?? NaN) + (c.seconds?.gpu ?? NaN);
  const firstProbe = all.filter((c) => !c.accepted && c.probes?.some((p) => p.name === 'seeds' && p.skipped));
  const out: SpeedFigures = {};
  const accepted = median(all.filter((c) => c.accepted).map(alone));
  const rejected = median(firstProbe.map(alone));
  if (accepted !== undefined) out.acceptedSeconds = accepted;
  if (rejected !== undefined) out.rejectedAtFirstProbeSeconds = rejected;
  const throughput = readJson(join(outDir, 'throughput.compare.json')) as unknown;
  if (throughput !== undefined) {
    const runs = ([throughput].flat() as Array<Record<string, unknown>>).map(candidateOf);
    const last = Math.max(...runs.map((c) => c.seconds?.sincePrepared ?? Number.NaN));
    if (Number.isFinite(last)) out.candidatesPerMinute = (60 * runs.length) / last;
  }
  return out;
}

const fixed = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

export function markdownTable(results: ExampleResult[], speed: SpeedFigures = {}): string {
  const lines = ['| example | GPU | kernel ms | TB/s | % of peak | CV run-to-run | gate ÷ ncu | candidates |', '|---|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const cands = r.candidates
      .map((c) => (c.accepted ? `${c.candidate}: ${c.verdict} ${fixed(c.speedup, 2)}×` : `${c.candidate}: ✗ ${c.verdict === 'error' ? `error (${c.error ?? ''})` : c.failedProbes.join(', ') || c.headline}`))
      .join('<br>');
    const ncu = r.fidelity.length ? r.fidelity.map((f) => `${f.point}${f.method === 'cuda-events' ? ' (events)' : ''}: ${fixed(f.ratio, 3)}${f.withinTarget ? '' : ' ✗'}`).join('<br>') : '–';
    const cv = r.runToRun ? `${(r.runToRun.cv * 100).toFixed(2)} % (${r.runToRun.runs} runs)` : '–';
    lines.push(`| ${r.example} | ${r.gpu ?? r.error ?? '–'} | ${fixed(r.medianMs, 4)} | ${fixed((r.bytesPerSecond ?? NaN) / 1e12, 2)} | ${r.fractionOfPeak === undefined ? '–' : `${Math.round(r.fractionOfPeak * 100)} %`} | ${cv} | ${ncu} | ${cands} |`);
  }
  const s = (x: number | undefined, unit: string) => (x === undefined ? '–' : `${x.toPrecision(3)} ${unit}`);
  lines.push('', `Speed: ${s(speed.acceptedSeconds, 's')} from source to verdict for an accepted candidate, ${s(speed.rejectedAtFirstProbeSeconds, 's')} for one rejected at its first probe, ${s(speed.candidatesPerMinute, 'verified candidates per minute')}.`);
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  const [outDir, resultsDir = join(__dirname, 'results')] = process.argv.slice(2);
  if (!outDir || !existsSync(outDir)) {
    console.error('usage: node --import ./scripts/ts.mjs bench/summarize-gpu.ts OUTDIR [RESULTS_DIR]  (OUTDIR: what bench/gpu-run.sh wrote)');
    process.exit(2);
  }
  const results = summarizeGpu(resolve(outDir));
  const speed = speedOf(resolve(outDir), results);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'gpu-bench.json'), JSON.stringify({ source: relative(process.cwd(), resolve(outDir)), createdAt: new Date().toISOString(), examples: results, speed }, null, 2) + '\n');
  const md = markdownTable(results, speed);
  writeFileSync(join(resultsDir, 'gpu-bench.md'), md);
  process.stdout.write(md);
}
