import type { ByteReader } from './byte-reader.js';

/** Unsigned LEB128 (spec §3.1). Values are bigint-free numbers: ordinals and deltas fit 2^53. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Appends `v` (a non-negative integer up to 2^53) to `out` as an LEB128 varint. */
export function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Reads one varint; rejects values past 2^53 and ones cut off by the end of input. */
export function readVarint(r: ByteReader, field = 'varint'): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.u8(field);
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(result)) throw r.fail(`${field} ${result} exceeds 2^53`);
      return result;
    }
    scale *= 128;
  }
  throw r.fail(`${field} is longer than 10 bytes`);
}

/** Delta list (spec §3.2): first value absolute, then successive differences. */
export function writeDeltaList(out: number[], sorted: readonly number[]): void {
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    writeVarint(out, i === 0 ? v : v - prev);
    prev = v;
  }
}

/** Reads `count` delta-coded values (see writeDeltaList) and returns them absolute. */
export function readDeltaList(r: ByteReader, count: number, field = 'delta list'): number[] {
  const out = new Array<number>(count);
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const v = readVarint(r, field);
    prev = i === 0 ? v : prev + v;
    if (!Number.isSafeInteger(prev)) throw r.fail(`${field} value exceeds 2^53`);
    out[i] = prev;
  }
  return out;
}
