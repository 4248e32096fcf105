// Discovery over the whole fixture corpus: each file must yield exactly the kernels listed in expected.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discover } from '../../server/src/kernels/discover';
import { compareKernels, failureMessage, fixtureFiles, fixturesDir, loadExpectations } from './discovery-expectations';

const expectations = loadExpectations();

test('every fixture has expectations and every expectation a fixture', () => {
  const files = fixtureFiles();
  assert.deepEqual(files.filter((f) => !(f in expectations)), [], 'fixtures without an entry in expected.json');
  assert.deepEqual(Object.keys(expectations).filter((f) => !files.includes(f)), [], 'expected.json entries without a fixture');
  assert.ok(files.length >= 20, `the corpus should stay broad (${files.length} files)`);
});

for (const file of fixtureFiles()) {
  test(`discover: ${file}`, async (t) => {
    const path = join(fixturesDir, file);
    const { kernels } = await discover(path, readFileSync(path, 'utf8'));
    const comparison = compareKernels(kernels, expectations[file] ?? []);
    for (const missed of comparison.missedOptional) t.diagnostic(`optional kernel not found: ${missed}`);
    assert.ok(comparison.problems.length === 0, failureMessage(file, comparison, kernels));
    // Ids are unique within a document: lenses and the CLI address kernels by id.
    const ids = kernels.map((k) => k.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${file}: ${ids.join(', ')}`);
  });
}
