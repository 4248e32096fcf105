// Assertions on a real GPU run: what bench/gpu-run.sh wrote to KP_GPU_OUT (scripts/test-gpu.mjs runs it when
// unset). Every example benchmarked at a physically possible rate; every cheating candidate rejected with the
// probe that matches its cheat; every honest fast candidate accepted and not slower; ncu agrees with the
// harness within 3 % for the examples it profiled.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { summarizeGpu, type ExampleResult } from '../../bench/summarize-gpu';

const out = process.env.KP_GPU_OUT;
const examples: ExampleResult[] = out ? summarizeGpu(out) : [];
const exampleDirs = readdirSync(join(__dirname, '../../examples/cuda'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const skip = out ? false : 'KP_GPU_OUT is not set (run through npm run test:gpu, or bash bench/gpu-run.sh NODE OUTDIR first)';

/**
 * The probes of which at least one must fail for each kind of cheat, by candidate file name. A partial result
 * shows as poison left in an output ('written'), or as wrong values where there is no poison to see (an inout
 * keeping its inputs, a sum of half the blocks: 'match').
 */
function expectedProbes(candidate: string): string[] | undefined {
  if (candidate.startsWith('fast_')) return undefined;
  if (candidate.startsWith('partial_')) return ['written', 'match'];
  if (candidate.startsWith('mutate_')) return ['inputs-unchanged'];
  // cache_* is right in every check and wrong only in what its timed launches wrote.
  if (candidate.startsWith('cache_')) return ['timed'];
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

test('cheating candidates are rejected with the right probe; honest fast ones are accepted', { skip }, () => {
  for (const e of examples) {
    assert.ok(e.candidates.length > 0, `${e.example}: no candidates compared`);
    for (const c of e.candidates) {
      const where = `${e.example}/${c.candidate}: ${c.headline ?? c.error}`;
      assert.notEqual(c.verdict, 'error', where);
      const probes = expectedProbes(c.candidate);
      if (probes === undefined) {
        assert.equal(c.accepted, true, where);
        assert.notEqual(c.verdict, 'slower', where);
        assert.ok(c.speedup !== undefined && c.speedup > 0, where);
      } else {
        assert.equal(c.accepted, false, where);
        assert.ok(c.failedProbes.some((p) => probes.includes(p)), `${where} (expected a failure of ${probes.join(' or ')})`);
      }
    }
  }
});

test('run-to-run coefficient of variation is under 1 % for every example of 100 µs or more', { skip }, () => {
  const long = examples.filter((e) => (e.medianMs ?? 0) >= 0.1);
  assert.ok(long.length > 0, 'no example of 100 µs or more');
  for (const e of long) {
    assert.ok(e.runToRun && e.runToRun.runs >= 3, `${e.example}: no run-to-run repeats (gpu-run.sh REPEATS)`);
    assert.ok(e.runToRun.cv < 0.01, `${e.example}: CV ${(e.runToRun.cv * 100).toFixed(2)} % over medians ${e.runToRun.mediansMs.join(', ')} ms`);
  }
});

test('ncu timing agrees with the harness within 3 % on at least 3 examples', { skip }, () => {
  const profiled = examples.filter((e) => e.ncu);
  assert.ok(profiled.length >= 3, `ncu results for ${profiled.map((e) => e.example).join(', ') || 'no example'}`);
  for (const e of profiled) assert.ok(e.ncu?.withinTolerance, `${e.example}: harness ${e.ncu?.harnessMedianMs} ms vs ncu ${e.ncu?.ncuMedianMs} ms`);
});
