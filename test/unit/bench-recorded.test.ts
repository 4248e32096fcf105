// The GPU runs committed under bench/results/ as data for CI: every number their run records show re-derives from
// the raw timings and probes they keep, and the gate's verdicts there are what the examples' file names promise.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkRederivation, type RunRecord } from '../../server/src/runs/record';

const RECORDS = join(__dirname, '../../bench/results/gpu-2026-11-21-h200x4/records');
const records = readdirSync(RECORDS)
  .filter((f) => f.endsWith('.record.json'))
  .map((f) => ({ file: f, record: JSON.parse(readFileSync(join(RECORDS, f), 'utf8')) as RunRecord }));

test('the recorded H200 runs re-derive every shown number from their raw data', () => {
  assert.ok(records.length >= 30, `${records.length} records`);
  for (const { file, record } of records) assert.deepEqual(checkRederivation(record).differences, [], file);
});

test('the recorded gate verdicts: fast candidates accepted and faster, every cheat rejected; bench runs under the copy ceiling', () => {
  for (const { file, record } of records) {
    const candidate = file.split('.')[1];
    const gate = record.summary.gate;
    if (candidate === 'bench') {
      const roof = record.summary.baselineRoofline;
      assert.ok(roof && roof.fractionOfCopy > 0 && roof.fractionOfCopy <= 1, `${file}: ${roof?.fractionOfCopy} of the copy ceiling`);
      assert.ok(record.timings.baselineMs.length >= 100, `${file}: ${record.timings.baselineMs.length} samples`);
    } else if (candidate.startsWith('fast_')) {
      assert.equal(gate?.status, 'faster', `${file}: ${gate?.headline}`);
      assert.equal(record.timings.order, 'interleaved');
    } else {
      assert.equal(gate?.accepted, false, `${file}: ${gate?.headline}`);
      assert.equal(record.summary.candidate, undefined, `${file}: a rejected candidate's time is not shown`);
    }
  }
});
