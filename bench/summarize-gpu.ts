// Turns what bench/gpu-run.sh left in OUTDIR (<ex>.bench.json, <ex>.<candidate>.compare.json, ncu-<ex>.json)
// into bench/results/gpu-bench.json (one object, per example) and bench/results/gpu-bench.md (a table):
//   node --import ./scripts/ts.mjs bench/summarize-gpu.ts OUTDIR [RESULTS_DIR]
// test/gpu/ reads the same structure through summarizeGpu(), so what CI asserts is what the table shows.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface CandidateResult {
  candidate: string;
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
  /** Run-to-run: the medians of separate harness runs (gpu-run.sh's REPEATS) and their CV. */
  runToRun?: { runs: number; mediansMs: number[]; meanMs: number; cv: number };
  ncu?: { harnessMedianMs: number; emptyKernelMs: number; ncuMedianMs: number; rawDiff: number; netDiff: number; withinTolerance: boolean };
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
  const examples = [...new Set(files.filter((f) => f.endsWith('.bench.json')).map((f) => f.slice(0, -'.bench.json'.length)))].sort();
  return examples.map((example) => {
    const b = readJson(join(outDir, `${example}.bench.json`));
    const result: ExampleResult = { example, candidates: [] };
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
    for (const f of files.filter((n) => n.startsWith(`${example}.`) && n.endsWith('.compare.json')).sort()) {
      const candidate = f.slice(example.length + 1, -'.compare.json'.length);
      const c = readJson(join(outDir, f));
      if (!c) {
        result.candidates.push({ candidate, verdict: 'error', accepted: false, failedProbes: [], error: lastLine(join(outDir, `${example}.${candidate}.compare.log`)) });
        continue;
      }
      const ci = c['speedupCI'] as { low: number; high: number } | undefined;
      result.candidates.push({
        candidate,
        verdict: c['verdict'] as string,
        accepted: c['accepted'] === true,
        ...(typeof c['speedup'] === 'number' ? { speedup: c['speedup'] } : {}),
        ...(ci ? { speedupCI: { low: ci.low, high: ci.high } } : {}),
        failedProbes: (c['failedProbes'] as string[] | undefined) ?? [],
        headline: c['headline'] as string,
      });
    }
    const repeat = readJson(join(outDir, `repeat-${example}.json`));
    if (repeat) result.runToRun = repeat as unknown as ExampleResult['runToRun'];
    const ncu = readJson(join(outDir, `ncu-${example}.json`));
    if (ncu) result.ncu = ncu as unknown as ExampleResult['ncu'];
    return result;
  });
}

const fixed = (x: number | undefined, digits: number) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

export function markdownTable(results: ExampleResult[]): string {
  const lines = ['| example | GPU | median ms | TB/s | % of peak | CV run-to-run | ncu Δ (net) | candidates |', '|---|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const cands = r.candidates
      .map((c) => (c.accepted ? `${c.candidate}: ${c.verdict} ${fixed(c.speedup, 2)}×` : `${c.candidate}: ✗ ${c.verdict === 'error' ? `error (${c.error ?? ''})` : c.failedProbes.join(', ') || c.headline}`))
      .join('<br>');
    const ncu = r.ncu ? `${(r.ncu.netDiff * 100).toFixed(1)} %${r.ncu.withinTolerance ? '' : ' ✗'}` : '–';
    const cv = r.runToRun ? `${(r.runToRun.cv * 100).toFixed(2)} % (${r.runToRun.runs} runs)` : '–';
    lines.push(`| ${r.example} | ${r.gpu ?? r.error ?? '–'} | ${fixed(r.medianMs, 4)} | ${fixed((r.bytesPerSecond ?? NaN) / 1e12, 2)} | ${r.fractionOfPeak === undefined ? '–' : `${Math.round(r.fractionOfPeak * 100)} %`} | ${cv} | ${ncu} | ${cands} |`);
  }
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  const [outDir, resultsDir = join(__dirname, 'results')] = process.argv.slice(2);
  if (!outDir || !existsSync(outDir)) {
    console.error('usage: node --import ./scripts/ts.mjs bench/summarize-gpu.ts OUTDIR [RESULTS_DIR]  (OUTDIR: what bench/gpu-run.sh wrote)');
    process.exit(2);
  }
  const results = summarizeGpu(resolve(outDir));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'gpu-bench.json'), JSON.stringify({ source: relative(process.cwd(), resolve(outDir)), createdAt: new Date().toISOString(), examples: results }, null, 2) + '\n');
  const md = markdownTable(results);
  writeFileSync(join(resultsDir, 'gpu-bench.md'), md);
  process.stdout.write(md);
}
