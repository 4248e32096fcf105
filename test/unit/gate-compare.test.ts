// The comparison the gate runs on the GPU (kp_compare.cuh) against its specification, bench/elementwise.ts: the
// header compiled for the host with the real nvcc decides a corpus of element pairs of every dtype — random values,
// values on the tolerance's edge, NaN, infinities, signed zeros, subnormals, poison, integers past 2^53 — and every
// verdict, error and poison call must be the TypeScript one, bit for bit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import type { Dtype } from '../../server/src/benchspec/model';
import { ELEMENT_BYTES } from '../../server/src/benchspec/defaults';
import { decodeValues, rawBits } from '../../server/src/bench/dtype';
import { countPoison, matchValues } from '../../server/src/bench/elementwise';
import { RUNTIME_FILES } from '../../server/src/harness/cuda/runtime';
import { POISON_BYTE, poisonPattern } from '../../server/src/harness/poison';
import { mulberry32 } from '../../server/src/derive/prng';
import { tempDir } from './harness-helpers';

const CPP_TYPE: Record<Dtype, string> = { float32: 'float', float16: '__half', bfloat16: '__nv_bfloat16', float64: 'double', int8: 'int8_t', uint8: 'uint8_t', int16: 'int16_t', int32: 'int32_t', uint32: 'uint32_t', int64: 'int64_t', uint64: 'uint64_t', bool: 'bool' };

// Reads "dtype-index baselineHex candidateHex atol rtol poison" lines; prints "why measured absBits relBits hasRel poisonVerdict".
const PROGRAM = `#include "kp_compare.cuh"
#include <cstdio>
#include <cstring>
#include <cstdint>
template <class T> void decide(unsigned long long bBits, unsigned long long cBits, double atol, double rtol, unsigned poison) {
  T b, c;
  std::memcpy(&b, &bBits, sizeof(T));
  std::memcpy(&c, &cBits, sizeof(T));
  kp::ElementVerdict v = kp::compare_element<T>(b, c, atol, rtol);
  unsigned long long a = 0, r = 0;
  std::memcpy(&a, &v.absErr, 8);
  std::memcpy(&r, &v.relErr, 8);
  std::printf("%d %d %016llx %016llx %d %d\\n", v.why, v.measured ? 1 : 0, a, r, v.hasRel ? 1 : 0, kp::poison_element<T>(b, c, poison));
}
int main() {
  int t; unsigned long long b, c; double atol, rtol; unsigned poison;
  while (std::scanf("%d %llx %llx %lf %lf %u", &t, &b, &c, &atol, &rtol, &poison) == 6) {
    switch (t) {
${(Object.keys(CPP_TYPE) as Dtype[]).map((d, i) => `      case ${i}: decide<${CPP_TYPE[d]}>(b, c, atol, rtol, poison); break;`).join('\n')}
    }
  }
}
`;

interface Case {
  dtype: Dtype;
  b: bigint;
  c: bigint;
  atol: number;
  rtol: number;
}

function bitsOf(dtype: Dtype, value: number | bigint): bigint {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  switch (dtype) {
    case 'float32': view.setFloat32(0, Number(value), true); break;
    case 'float64': view.setFloat64(0, Number(value), true); break;
    case 'float16': case 'bfloat16': {
      // Through float32: bfloat16 keeps the top half; float16 is built from the float32 with round-to-nearest-even.
      view.setFloat32(0, Number(value), true);
      const f = view.getUint32(0, true);
      if (dtype === 'bfloat16') return BigInt(f >>> 16);
      return BigInt(float16Bits(Number(value)));
    }
    case 'int64': view.setBigInt64(0, BigInt(value), true); break;
    case 'uint64': view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true); break;
    default: return BigInt.asUintN(ELEMENT_BYTES[dtype] * 8, BigInt(Math.trunc(Number(value))));
  }
  return view.getBigUint64(0, true) & ((1n << BigInt(ELEMENT_BYTES[dtype] * 8)) - 1n);
}

function float16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -24 / 2) return sign;
  let e = Math.floor(Math.log2(a));
  if (e < -14) return sign | Math.round(a / 2 ** -24);
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) { m = 0; e++; }
  return sign | ((e + 15) << 10) | m;
}

function corpus(): Case[] {
  const rand = mulberry32(2026);
  const out: Case[] = [];
  const tolerances = [[0, 0], [1e-4, 1e-4], [1e-2, 1e-2], [1e-7, 0], [0.5, 0.25]];
  for (const dtype of Object.keys(CPP_TYPE) as Dtype[]) {
    const isFloat = dtype.startsWith('float') || dtype === 'bfloat16';
    const poison = poisonPattern(POISON_BYTE[dtype], ELEMENT_BYTES[dtype]);
    const specials: Array<number | bigint> = isFloat
      ? [0, -0, 1, -1, 1e-30, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 65504, 3.0000001, 1e38]
      : dtype === 'int64' ? [0n, 1n, -1n, 2n ** 60n, 2n ** 60n + 1n, -(2n ** 63n), 2n ** 63n - 1n]
      : dtype === 'uint64' ? [0n, 1n, 2n ** 64n - 1n, 2n ** 53n + 1n]
      : dtype === 'bool' ? [0, 1] : [0, 1, -1, 100, -128, 127, 255];
    for (const [atol, rtol] of tolerances) {
      for (const b of specials) for (const c of specials) out.push({ dtype, b: bitsOf(dtype, b), c: bitsOf(dtype, c), atol, rtol });
      for (let k = 0; k < 40; k++) {
        const base = (rand() - 0.5) * (isFloat ? 200 : 200);
        const b = isFloat ? base : Math.round(base);
        // On and around the tolerance's edge, then rounded to the dtype.
        const allowed = atol + rtol * Math.abs(b);
        const c = isFloat ? b + allowed * [0, 0.5, 1, 1.0000001, 2][k % 5] * (k % 2 ? 1 : -1) : b + [0, 1, -1, 2][k % 4];
        out.push({ dtype, b: bitsOf(dtype, b), c: bitsOf(dtype, c), atol, rtol });
      }
      out.push({ dtype, b: bitsOf(dtype, 1), c: poison, atol, rtol }, { dtype, b: poison, c: poison, atol, rtol }, { dtype, b: poison, c: bitsOf(dtype, 2), atol, rtol });
    }
  }
  return out;
}

function bytesOf(dtype: Dtype, bits: bigint): Uint8Array {
  const bytes = new Uint8Array(ELEMENT_BYTES[dtype]);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number((bits >> BigInt(8 * i)) & 0xffn);
  return bytes;
}

function double(hex: string): number {
  return new DataView(new BigUint64Array([BigInt(`0x${hex}`)]).buffer).getFloat64(0, true);
}

it('kp_compare.cuh decides every element exactly as bench/elementwise.ts does', { timeout: 300_000 }, () => {
  const dir = tempDir('gate-compare');
  writeFileSync(join(dir, 'kp_compare.cuh'), RUNTIME_FILES['kp_compare.cuh']);
  writeFileSync(join(dir, 'check.cu'), PROGRAM);
  const build = spawnSync('nvcc', ['-std=c++17', '-o', 'check', 'check.cu'], { cwd: dir, encoding: 'utf8' });
  assert.equal(build.status, 0, `${build.stdout}${build.stderr}`);
  const cases = corpus();
  const dtypes = Object.keys(CPP_TYPE) as Dtype[];
  const input = cases.map((c) => `${dtypes.indexOf(c.dtype)} ${c.b.toString(16)} ${c.c.toString(16)} ${c.atol} ${c.rtol} ${POISON_BYTE[c.dtype]}`).join('\n');
  const run = spawnSync(join(dir, 'check'), [], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, run.stderr);
  const answers = run.stdout.trim().split('\n');
  assert.equal(answers.length, cases.length);
  let disagreements = 0;
  const first: string[] = [];
  cases.forEach((k, i) => {
    const [why, measured, absHex, relHex, hasRel, poisonVerdict] = answers[i].split(' ');
    const b = decodeValues(bytesOf(k.dtype, k.b), k.dtype);
    const c = decodeValues(bytesOf(k.dtype, k.c), k.dtype);
    const m = matchValues(b, c, { atol: k.atol, rtol: k.rtol });
    const p = countPoison(rawBits(bytesOf(k.dtype, k.c), k.dtype), poisonPattern(POISON_BYTE[k.dtype], ELEMENT_BYTES[k.dtype]), rawBits(bytesOf(k.dtype, k.b), k.dtype), poisonPattern(POISON_BYTE[k.dtype], ELEMENT_BYTES[k.dtype]));
    const tsWhy = m.failures === 0 ? 0 : m.first?.why === 'tolerance' ? 1 : m.first?.why === 'non-finite-baseline' ? 2 : 3;
    const tsPoison = p.baselineUnwritten ? 2 : p.unwritten ? 1 : 0;
    const problems: string[] = [];
    if (Number(why) !== tsWhy) problems.push(`verdict ${why} vs ${tsWhy}`);
    if (Number(poisonVerdict) !== tsPoison) problems.push(`poison ${poisonVerdict} vs ${tsPoison}`);
    if (measured === '1' && double(absHex) !== m.maxAbsErr) problems.push(`|Δ| ${double(absHex)} vs ${m.maxAbsErr}`);
    if (hasRel === '1' && double(relHex) !== m.maxRelErr) problems.push(`rel ${double(relHex)} vs ${m.maxRelErr}`);
    if (problems.length) {
      disagreements++;
      if (first.length < 10) first.push(`${k.dtype} b=0x${k.b.toString(16)} c=0x${k.c.toString(16)} atol=${k.atol} rtol=${k.rtol}: ${problems.join(', ')}`);
    }
  });
  assert.equal(disagreements, 0, `${disagreements} of ${cases.length} disagree:\n${first.join('\n')}`);
  assert.ok(cases.length > 3000, `${cases.length} cases`);
});
