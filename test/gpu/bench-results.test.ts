// Assertions on a real GPU run: what bench/gpu-run.sh wrote to KP_GPU_OUT (scripts/test-gpu.mjs runs it when
// unset). Every example benchmarked at a physically possible rate; every cheating candidate rejected with the probe
// that matches its cheat (or, for the stream escapes, timed in full: not faster); every honest fast candidate
// accepted and faster; the gate's kernel time agrees with ncu; the speed targets of issue 8 are met.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { speedOf, summarizeGpu, type ExampleResult } from '../../bench/summarize-gpu';

const out = process.env.KP_GPU_OUT;
const examples: ExampleResult[] = out ? summarizeGpu(out) : [];
const exampleDirs = readdirSync(join(__dirname, '../../examples/cuda'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const skip = out ? false : 'KP_GPU_OUT is not set (run through npm run test:gpu, or bash bench/gpu-run.sh NODE OUTDIR first)';

/**
 * What the gate must conclude for a candidate, by file name: accepted and faster (fast_), timed in full and so not
 * faster (escape_: a launch that moves its work to streams of its own), or rejected with one of these probes.
 */
function expected(candidate: string): 'faster' | 'not-faster' | string[] {
  if (candidate.startsWith('fast_')) return 'faster';
  // A launch that moves its work to streams of its own: timed in full, or refused as host code (`structure`).
  if (candidate.startsWith('escape_')) return 'not-faster';
  if (candidate.startsWith('partial_')) return ['written', 'match'];
  if (candidate.startsWith('mutate_')) return ['inputs-unchanged', 'match'];
  // cache_* and unchecked_* behave differently on launches they guess are unchecked: every launch is.
  // (unchecked_launch_count counts on the host: refused as host code, `structure`.)
  if (candidate.startsWith('cache_') || candidate.startsWith('unchecked_')) return ['timed', 'match', 'written', 'structure'];
  // sweep_wrong_* is wrong at a sweep point, where it may also write out of bounds and fault ('runs').
  if (candidate.startsWith('sweep_')) return ['match', 'runs'];
  return ['match']; // wrong_*, zeros_output
}

test('every example was benchmarked on the GPU', { skip }, () => {
  assert.deepEqual(examples.map((e) => e.example), exampleDirs);
  for (const e of examples) {
    assert.equal(e.error, undefined, `${e.example}: ${e.error}`);
    assert.ok(e.medianMs && e.medianMs > 0, `${e.example}: median ${e.medianMs}`);
    assert.ok(e.fractionOfPeak !== undefined && e.fractionOfPeak > 0 && e.fractionOfPeak <= 1.05, `${e.example}: ${e.fractionOfPeak} of peak`);
    assert.ok(e.gpu, `${e.example}: GPU name`);
  }
});

test('cheats are rejected by a named probe or timed in full; honest fast candidates are accepted and faster', { skip }, () => {
  for (const e of examples) {
    assert.ok(e.candidates.length > 0, `${e.example}: no candidates compared`);
    for (const c of e.candidates) {
      const where = `${e.example}/${c.candidate}: ${c.headline ?? c.error}`;
      assert.notEqual(c.verdict, 'error', where);
      const want = expected(c.candidate);
      if (want === 'faster') {
        assert.equal(c.verdict, 'faster', where);
      } else if (want === 'not-faster') {
        assert.notEqual(c.verdict, 'faster', `${where}: its work on other streams was not all timed`);
      } else {
        assert.equal(c.accepted, false, where);
        assert.equal(c.speedup, undefined, `${where}: a rejected candidate shows no speedup`);
        assert.ok(c.failedProbes.some((p) => want.includes(p)), `${where} (expected a failure of ${want.join(' or ')})`);
      }
    }
  }
});

test('run-to-run coefficient of variation is under 1 % for every repeated example of 20 µs or more', { skip }, () => {
  const repeated = examples.filter((e) => e.runToRun && (e.medianMs ?? 0) >= 0.02);
  assert.ok(repeated.length > 0, 'no repeated example of 20 µs or more (gpu-run.sh REPEATS)');
  for (const e of repeated) assert.ok((e.runToRun?.cv ?? 1) < 0.01, `${e.example}: CV ${((e.runToRun?.cv ?? 1) * 100).toFixed(2)} % over medians ${e.runToRun?.mediansMs.join(', ')} ms`);
});

test('kernel time agrees with ncu: within 3 % from 5 µs, within 0.5 µs below (CUPTI timing)', { skip }, () => {
  const points = examples.flatMap((e) => e.fidelity.filter((f) => f.method === 'cupti-activity').map((f) => ({ example: e.example, ...f })));
  assert.ok(points.length >= 10, `${points.length} fidelity points`);
  const outside = points.filter((p) => !p.withinTarget).map((p) => `${p.example} ${p.point}: gate ${(p.harnessMs * 1000).toFixed(2)} µs, ncu ${(p.ncuMs * 1000).toFixed(2)} µs`);
  assert.deepEqual(outside, []);
});

test('speed: a candidate in ≤ 3 s (≤ 2 s rejected at its first probe), ≥ 20 verified candidates per minute', { skip }, () => {
  const speed = speedOf(out as string, examples);
  assert.ok(speed.acceptedSeconds !== undefined && speed.acceptedSeconds <= 3, `accepted: ${speed.acceptedSeconds} s`);
  assert.ok(speed.rejectedAtFirstProbeSeconds !== undefined && speed.rejectedAtFirstProbeSeconds <= 2, `rejected at the first probe: ${speed.rejectedAtFirstProbeSeconds} s`);
  assert.ok(speed.candidatesPerMinute !== undefined && speed.candidatesPerMinute >= 20, `${speed.candidatesPerMinute} candidates per minute`);
});
