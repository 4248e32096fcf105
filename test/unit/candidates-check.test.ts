// The candidate check (server/src/candidates/): a corpus of refused candidates whose lines say what must be found
// there, every example candidate accepted, and the translation unit compiled with real nvcc.
//
// Corpus markers: `// refused: A | B` at the end of a line (a problem whose construct contains A, and one with B,
// on that line); `// refused-next-line: A` (the same, one line down, for lines that cannot hold a comment);
// `// refused-file: A` (a problem about the whole file, e.g. a missing kernel). Every problem must sit on a marked
// line, so an unexpected refusal fails too.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCandidate, describeRefusal, type CandidateCheck } from '../../server/src/candidates/check';
import { discover } from '../../server/src/kernels/discover';
import { localTarget } from './local-target';

const FIXTURES = join(__dirname, '../fixtures/candidates');
const EXAMPLES = join(__dirname, '../../examples/cuda');
const BASELINE = join(FIXTURES, 'baseline.cu');

async function check(candidateFile: string, baselineFile = BASELINE, source = readFileSync(candidateFile, 'utf8')): Promise<CandidateCheck> {
  const text = readFileSync(baselineFile, 'utf8');
  const { kernels } = await discover(baselineFile, text);
  return checkCandidate(source, { file: candidateFile, baseline: { file: baselineFile, text, kernel: kernels[0] } });
}

interface Expectation {
  line: number | 'file';
  construct: string;
}

function expectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /\/\/ refused(-next-line|-file)?: (.*)$/.exec(line);
    if (!m) return;
    const at = m[1] === '-file' ? 'file' : m[1] === '-next-line' ? i + 1 : i;
    for (const construct of m[2].split(' | ')) out.push({ line: at, construct: construct.replace(/ \(and .*\)$/, '').trim() });
  });
  return out;
}

async function nvccCompile(source: string, name: string): Promise<{ ok: boolean; log: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kp-candidate-tu-'));
  writeFileSync(join(dir, name), source);
  const r = await localTarget().exec('nvcc', ['-arch=sm_90', '-std=c++17', '-c', '-o', 'tu.o', name], { cwd: dir, timeoutMs: 120_000 });
  return { ok: r.exitCode === 0, log: `${r.stdout}${r.stderr}` };
}

describe('candidate check: the refusal corpus', { timeout: 60_000 }, () => {
  const files = readdirSync(join(FIXTURES, 'refused')).filter((f) => f.endsWith('.cu'));
  it('has a corpus of every kind', () => {
    assert.ok(files.length >= 15, `${files.length} files`);
  });
  for (const name of files) {
    it(`refuses ${name}, naming each construct on its line`, async () => {
      const file = join(FIXTURES, 'refused', name);
      const expected = expectations(readFileSync(file, 'utf8'));
      assert.ok(expected.length > 0, `${name} marks what must be refused`);
      const result = await check(file);
      assert.equal(result.ok, false);
      assert.equal(result.tuSource, undefined, 'nothing to compile for a refused candidate');
      const shown = result.problems.map((p) => `${p.line + 1}: ${p.construct}`).join('\n');
      for (const e of expected) {
        const found = result.problems.some((p) => p.construct.includes(e.construct) && (e.line === 'file' || p.line === e.line));
        assert.ok(found, `${name}: expected '${e.construct}' at ${e.line === 'file' ? 'file level' : `line ${e.line + 1}`}; found:\n${shown}`);
      }
      const marked = new Set(expected.map((e) => e.line));
      for (const p of result.problems) {
        const fileLevel = marked.has('file') && expected.some((e) => e.line === 'file' && p.construct.includes(e.construct));
        assert.ok(marked.has(p.line) || fileLevel, `${name}: unexpected problem at line ${p.line + 1}: ${p.construct}: ${p.reason}`);
      }
      const message = describeRefusal(file, result.problems);
      assert.match(message, new RegExp(`candidate ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} refused`));
      assert.match(message, new RegExp(`${basename(file).replace('.', '\\.')}:\\d+: `));
    });
  }
});

describe('candidate check: accepted candidates', { timeout: 120_000 }, () => {
  it('accepts every example candidate against its baseline, and refuses the cheats that bring host code', async () => {
    const refused: string[] = [];
    // These take the launch over on the host (examples/cuda/README.md): a structural refusal is their verdict.
    const hostCheats = new Set(['escape_stream.cu', 'escape_two_streams.cu', 'unchecked_launch_count.cu']);
    let count = 0;
    for (const example of readdirSync(EXAMPLES).filter((d) => !d.includes('.'))) {
      const baseline = join(EXAMPLES, example, `${example}.cu`);
      for (const c of readdirSync(join(EXAMPLES, example, 'candidates')).filter((f) => f.endsWith('.cu'))) {
        const file = join(EXAMPLES, example, 'candidates', c);
        const r = await check(file, baseline);
        count++;
        if (hostCheats.has(c)) assert.ok(!r.ok && r.problems.some((p) => /host function '__cudaLaunchKernel'/.test(p.construct)), `${c} is refused as host code`);
        else if (!r.ok) refused.push(describeRefusal(file, r.problems));
      }
    }
    assert.ok(count >= 30, `${count} example candidates`);
    assert.deepEqual(refused, []);
  });

  it('a whole-file candidate keeps only what differs from the baseline: the user\'s host code appears once', async () => {
    const r = await check(join(FIXTURES, 'accepted', 'whole_file.cu'));
    assert.equal(r.ok, true, r.problems.map((p) => p.construct).join(', '));
    const tu = r.tuSource ?? '';
    assert.equal(tu.match(/void launch_scale\(/g)?.length, 1);
    assert.equal(tu.match(/int main\(\)/g)?.length, 1);
    assert.equal(tu.match(/__global__ void scale\(/g)?.length, 1, 'only the candidate\'s kernel');
    assert.match(tu, /i \+= gridDim\.x \* blockDim\.x/, 'the candidate\'s body');
  });
});

describe('candidate check: template kernels are compared as the spec instantiates them', { timeout: 30_000 }, () => {
  const baselineText = ['#include <cuda_runtime.h>', 'template <typename T, int Block>', '__global__ void blend(const T* x, T* y, int n) { int i = blockIdx.x * Block + threadIdx.x; if (i < n) y[i] = x[i]; }', ''].join('\n');
  const baselineFile = join(tmpdir(), 'kp-template-baseline.cu');
  const run = async (candidate: string) => {
    const { kernels } = await discover(baselineFile, baselineText);
    return checkCandidate(candidate, { file: join(tmpdir(), 'kp-template-candidate.cu'), baseline: { file: baselineFile, text: baselineText, kernel: kernels[0] }, templateArgs: ['float', '128'] });
  };
  it('accepts other template parameter names and __restrict__', async () => {
    const r = await run('template <typename U, int B>\n__global__ void blend(const U* __restrict__ x, U* __restrict__ y, int n) {}\n');
    assert.equal(r.ok, true, r.problems.map((p) => p.reason).join('; '));
  });
  it('refuses a non-template, a different instantiated type, and a missing parameter', async () => {
    for (const [candidate, reason] of [
      ['__global__ void blend(const float* x, float* y, int n) {}\n', /not a template, but the baseline is one \(launched as blend<float, 128>\)/],
      ['template <typename U, int B>\n__global__ void blend(const U* x, double* y, int n) {}\n', /parameter 2 is 'double \*', the baseline's is 'float \*'/],
      ['template <typename U, int B>\n__global__ void blend(const U* x, U* y) {}\n', /2 parameter\(s\), the baseline has 3/],
    ] as const) {
      const r = await run(candidate);
      assert.equal(r.ok, false);
      assert.match(r.problems.map((p) => p.reason).join('\n'), reason);
    }
  });
});

describe('candidate check: the translation unit compiles with nvcc', { timeout: 300_000 }, () => {
  it('the accepted fixtures and an example compile: the user\'s host code, includes and namespaces stay intact', async () => {
    for (const [file, baseline] of [
      [join(FIXTURES, 'accepted', 'whole_file.cu'), BASELINE],
      [join(FIXTURES, 'accepted', 'device_code.cu'), BASELINE],
      [join(EXAMPLES, 'matmul', 'candidates', 'fast_tiled.cu'), join(EXAMPLES, 'matmul', 'matmul.cu')],
    ]) {
      const r = await check(file, baseline);
      assert.equal(r.ok, true, describeRefusal(file, r.problems));
      const built = await nvccCompile(r.tuSource ?? '', 'tu.cu');
      assert.equal(built.ok, true, `${file}:\n${built.log}`);
    }
  });

  it('a candidate\'s macros do not reach the user\'s code after the kernel', async () => {
    const file = join(tmpdir(), 'kp-macro-leak-candidate.cu');
    const source = [
      '#include <cuda_runtime.h>',
      '#define launch_scale renamed_by_the_candidate',
      '#define n 0',
      'namespace ops {',
      '__global__ void scale(const float* in, float* out, int count) { if (threadIdx.x < count) out[threadIdx.x] = in[threadIdx.x]; }',
      '}',
    ].join('\n');
    const r = await check(file, BASELINE, source);
    assert.equal(r.ok, true, describeRefusal(file, r.problems));
    // If either macro leaked, the baseline's launcher (after the kernel) would not compile or would be renamed.
    const built = await nvccCompile(`${r.tuSource}\nvoid (*kept)(const float*, float*, int) = &ops::launch_scale;\n`, 'tu.cu');
    assert.equal(built.ok, true, built.log);
  });

  it('a compile error in the candidate is reported on the candidate\'s file and line', async () => {
    const file = join(tmpdir(), 'kp-broken-candidate.cu');
    const source = ['#include <cuda_runtime.h>', 'namespace ops {', '__global__ void scale(const float* in, float* out, int n) {', '  out[0] = undefined_name;', '}', '}'].join('\n');
    const r = await check(file, BASELINE, source);
    assert.equal(r.ok, true);
    const built = await nvccCompile(r.tuSource ?? '', 'tu.cu');
    assert.equal(built.ok, false);
    assert.match(built.log, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\(4\\): error: identifier "undefined_name" is undefined`));
  });
});
