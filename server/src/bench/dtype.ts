// Reading the harness's raw output dumps (little-endian element arrays) as numbers, and as raw bits for the
// poison check. float16 and bfloat16 have no JavaScript typed array, so they are decoded to float32 values
// (exactly: both are subsets of float32).

import { ELEMENT_BYTES } from '../benchspec/defaults';
import type { Dtype } from '../benchspec/model';


export function isDtype(s: string): s is Dtype {
  return Object.prototype.hasOwnProperty.call(ELEMENT_BYTES, s);
}

export function isFloatDtype(d: Dtype): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

/** Values as numbers (bigint arrays for the 64-bit integers, whose values a double cannot hold exactly). */
export type Values = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
/** Element bit patterns. */
export type Bits = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes as an ArrayBuffer slice aligned for `dtype`, after checking the length is whole elements. */
function aligned(bytes: Uint8Array, dtype: Dtype, what: string): { buffer: ArrayBuffer; offset: number; count: number } {
  if (!littleEndianHost) throw new Error('dump decoding assumes a little-endian host (dumps are little-endian)');
  const width = ELEMENT_BYTES[dtype];
  if (bytes.byteLength % width !== 0) {
    throw new RangeError(`${what}: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements (${width} bytes each)`);
  }
  const count = bytes.byteLength / width;
  if (bytes.byteOffset % width === 0 && bytes.buffer instanceof ArrayBuffer) return { buffer: bytes.buffer, offset: bytes.byteOffset, count };
  // Node's Buffer pool hands out unaligned views; copy rather than read element by element.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return { buffer: copy.buffer, offset: 0, count };
}

export function rawBits(bytes: Uint8Array, dtype: Dtype, what = 'dump'): Bits {
  const { buffer, offset, count } = aligned(bytes, dtype, what);
  switch (ELEMENT_BYTES[dtype]) {
    case 1:
      return new Uint8Array(buffer, offset, count);
    case 2:
      return new Uint16Array(buffer, offset, count);
    case 4:
      return new Uint32Array(buffer, offset, count);
    default:
      return new BigUint64Array(buffer, offset, count);
  }
}

let halfTable: Float32Array | undefined;

/** IEEE 754 binary16 bits → value. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 bits → value: they are the upper half of a float32. */
export function bfloat16ToFloat(bits: number): number {
  return new Float32Array(new Uint32Array([(bits & 0xffff) << 16]).buffer)[0];
}

export function decodeValues(bytes: Uint8Array, dtype: Dtype, what = 'dump'): Values {
  const { buffer, offset, count } = aligned(bytes, dtype, what);
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, count);
    case 'float64':
      return new Float64Array(buffer, offset, count);
    case 'float16': {
      // 65 536 entries: cheaper than decoding each element of a large output.
      halfTable ??= Float32Array.from({ length: 0x10000 }, (_, b) => halfToFloat(b));
      const table = halfTable;
      const src = new Uint16Array(buffer, offset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[src[i]];
      return out;
    }
    case 'bfloat16': {
      const src = new Uint16Array(buffer, offset, count);
      const widened = new Uint32Array(count);
      for (let i = 0; i < count; i++) widened[i] = src[i] << 16;
      return new Float32Array(widened.buffer);
    }
    case 'int8':
      return new Int8Array(buffer, offset, count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, offset, count);
    case 'int16':
      return new Int16Array(buffer, offset, count);
    case 'int32':
      return new Int32Array(buffer, offset, count);
    case 'uint32':
      return new Uint32Array(buffer, offset, count);
    case 'int64':
      return new BigInt64Array(buffer, offset, count);
    case 'uint64':
      return new BigUint64Array(buffer, offset, count);
  }
}
