// The numbers under the gate's decisions and what it shows: dump decoding per dtype (signs, widths, odd offsets,
// half-precision edge values), the normal distribution behind p-values, and the figures in lenses and reasons.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bfloat16ToFloat, decodeValues, halfToFloat, isDtype, isFloatDtype, rawBits } from '../../server/src/bench/dtype';
import { unravelIndex } from '../../server/src/derive/shapes';
import { erfc, normalCdf, normalQuantile, twoSidedP } from '../../server/src/derive/normal';
import { formatMs, percent, quoteList, sig, siRate } from '../../server/src/derive/num';

const bytesOf = (view: ArrayBufferView) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

test('every dtype decodes with its sign and width, also from an odd offset', { timeout: 10_000 }, () => {
  const cases: Array<[Parameters<typeof decodeValues>[1], ArrayBufferView, unknown[]]> = [
    ['float32', Float32Array.from([-1.5, 2]), [-1.5, 2]],
    ['float64', Float64Array.from([-1e300, 0.1]), [-1e300, 0.1]],
    ['int8', Int8Array.from([-128, 127]), [-128, 127]],
    ['uint8', Uint8Array.from([255, 0]), [255, 0]],
    ['bool', Uint8Array.from([1, 0]), [1, 0]],
    ['int16', Int16Array.from([-32768, 7]), [-32768, 7]],
    ['int32', Int32Array.from([-(2 ** 31), 5]), [-(2 ** 31), 5]],
    ['uint32', Uint32Array.from([2 ** 32 - 1, 5]), [2 ** 32 - 1, 5]],
    ['int64', BigInt64Array.from([-(2n ** 63n), 5n]), [-(2n ** 63n), 5n]],
    ['uint64', BigUint64Array.from([2n ** 64n - 1n, 5n]), [2n ** 64n - 1n, 5n]],
    ['float16', Uint16Array.from([0xbe00, 0x4000]), [-1.5, 2]],
    ['bfloat16', Uint16Array.from([0xbfc0, 0x4000]), [-1.5, 2]],
  ];
  for (const [dtype, view, expected] of cases) {
    assert.deepEqual([...decodeValues(bytesOf(view), dtype)], expected, dtype);
    const odd = new Uint8Array(view.byteLength + 1);
    odd.set(bytesOf(view), 1);
    assert.deepEqual([...decodeValues(odd.subarray(1), dtype)], expected, `${dtype} from an odd offset`);
    assert.equal(rawBits(bytesOf(view), dtype).BYTES_PER_ELEMENT, view.byteLength / 2, `${dtype} bit width`);
  }
  assert.throws(() => decodeValues(new Uint8Array(6), 'float64', 'out'), /out: 6 bytes is not a whole number of float64 elements \(8 bytes each\)/);
  assert.throws(() => rawBits(new Uint8Array(3), 'int32'), /not a whole number/);
});

test('half-precision edge values: subnormals, infinities, NaN, negative zero, the largest finite', { timeout: 10_000 }, () => {
  assert.equal(halfToFloat(0x03ff), 1023 * 2 ** -24);
  assert.equal(halfToFloat(0x8001), -(2 ** -24));
  assert.equal(halfToFloat(0x0400), 2 ** -14);
  assert.equal(halfToFloat(0xfbff), -65504);
  assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(halfToFloat(0x7c01)));
  assert.equal(bfloat16ToFloat(0x7f80), Number.POSITIVE_INFINITY);
  assert.equal(bfloat16ToFloat(0x1_3f80), 1, 'only the low 16 bits count');
  assert.ok(Object.is(bfloat16ToFloat(0x8000), -0));
});

test('dtype names and kinds; indexes in row-major order', { timeout: 10_000 }, () => {
  assert.equal(isDtype('float32'), true);
  assert.equal(isDtype('float8'), false);
  assert.equal(isDtype('toString'), false, 'not an inherited property');
  assert.deepEqual(['float32', 'float16', 'bfloat16', 'float64', 'int32', 'bool'].map((d) => isFloatDtype(d as never)), [true, true, true, true, false, false]);
  assert.deepEqual(unravelIndex(7, [2, 4]), [1, 3]);
  assert.deepEqual(unravelIndex(7, []), [7]);
  assert.deepEqual(unravelIndex(7, undefined), [7]);
});

test('the normal distribution behind p-values matches tables to 1e-6', { timeout: 10_000 }, () => {
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
  close(erfc(0), 1, 'erfc(0)');
  close(erfc(1), 0.157299207, 'erfc(1)');
  close(erfc(-1), 1.842700793, 'erfc(-1)');
  close(erfc(3), 2.20904970e-5, 'erfc(3)');
  close(normalCdf(1.959963985), 0.975, 'Φ(1.96)');
  close(normalCdf(-2.326347874), 0.01, 'Φ(-2.33)');
  close(twoSidedP(2.575829304), 0.01, 'p at z = 2.576');
  close(twoSidedP(-2.575829304), 0.01, 'p at z = -2.576');
  assert.equal(twoSidedP(0), 1);
  close(normalQuantile(0.975), 1.959963985, 'z_0.975');
  close(normalQuantile(0.01), -2.326347874, 'z_0.01');
  for (const bad of [0, 1, -0.1, Number.NaN]) assert.throws(() => normalQuantile(bad), /p must be in \(0, 1\)/);
});

test('figures as shown: significant digits, SI rates, milliseconds, percentages', { timeout: 10_000 }, () => {
  assert.deepEqual([sig(0), sig(1.23456), sig(-0.000123456), sig(1234567), sig(0.001), sig(999999), sig(Number.POSITIVE_INFINITY), sig(2.5, 2)], ['0', '1.23', '-1.23e-4', '1.23e+6', '0.001', '1000000', 'Infinity', '2.5']);
  assert.equal(quoteList(['a', 'b']), "'a', 'b'");
  assert.deepEqual([siRate(3.45e12, 'B/s'), siRate(1e15, 'B/s'), siRate(999, 'B/s'), siRate(1000, 'B/s'), siRate(2.5e6, 'FLOP/s'), siRate(7e9, 'B/s'), siRate(-2e3, 'B/s')], ['3.45 TB/s', '1.00 PB/s', '999.00 B/s', '1.00 kB/s', '2.50 MFLOP/s', '7.00 GB/s', '-2.00 kB/s']);
  assert.deepEqual([formatMs(0.93), formatMs(0.0124), formatMs(153), formatMs(12.34), formatMs(0.1), formatMs(0.93, 1), formatMs(Number.NaN)], ['0.93 ms', '12.4 µs', '153 ms', '12.3 ms', '0.10 ms', '0.930 ms', 'NaN ms']);
  assert.deepEqual([percent(0.803), percent(0.0031), percent(0.1), percent(-0.05), percent(Number.NaN)], ['80 %', '0.3 %', '10 %', '-5.0 %', '– %']);
});
