import { rvfError } from '@rvfjs/types';
import type { InputRow } from './input-row.js';
import type { InputSource } from './input-source.js';

/** What a .npy header says about the array after it. */
export interface NpyHeader {
  dtype: string;
  rows: number;
  dimension: number;
  /** Bytes before the data: magic, version, header length and the header itself. */
  dataOffset: number;
}

type ReadValue = (view: DataView, at: number) => number;

const READERS: Record<string, { size: number; read: (little: boolean) => ReadValue }> = {
  f2: { size: 2, read: (le) => (v, at) => halfToFloat(v.getUint16(at, le)) },
  f4: { size: 4, read: (le) => (v, at) => v.getFloat32(at, le) },
  f8: { size: 8, read: (le) => (v, at) => v.getFloat64(at, le) },
  i1: { size: 1, read: () => (v, at) => v.getInt8(at) },
  u1: { size: 1, read: () => (v, at) => v.getUint8(at) },
  i2: { size: 2, read: (le) => (v, at) => v.getInt16(at, le) },
  u2: { size: 2, read: (le) => (v, at) => v.getUint16(at, le) },
  i4: { size: 4, read: (le) => (v, at) => v.getInt32(at, le) },
  u4: { size: 4, read: (le) => (v, at) => v.getUint32(at, le) },
  i8: { size: 8, read: (le) => (v, at) => Number(v.getBigInt64(at, le)) },
  u8: { size: 8, read: (le) => (v, at) => Number(v.getBigUint64(at, le)) },
};

/**
 * A NumPy .npy file of shape (rows, dimension), read as a stream (so stdin works and memory
 * stays one chunk plus one row): the header first, then row after row converted to float32.
 * Any float or integer dtype, either byte order; a 1-D array is one vector and trailing
 * dimensions are flattened. Rows are named by index from 0, as NumPy numbers them.
 */
export async function* readNpy(
  source: InputSource,
  onHeader: (header: NpyHeader) => void = () => undefined,
): AsyncGenerator<InputRow> {
  const label = source.label;
  let buffer: Uint8Array = new Uint8Array(0);
  let header: NpyHeader | undefined;
  let read: ReadValue | undefined;
  let itemSize = 0;
  let row = 0;
  for await (const chunk of source.chunks()) {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    if (!header) {
      header = parseHeader(label, buffer);
      if (!header) continue;
      const spec = dtypeSpec(label, header.dtype);
      read = spec.read;
      itemSize = spec.size;
      buffer = buffer.subarray(header.dataOffset);
      onHeader(header);
    }
    const rowBytes = header.dimension * itemSize;
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let at = 0;
    while (at + rowBytes <= buffer.length && rowBytes > 0) {
      if (row >= header.rows) {
        throw rvfError(
          'InvalidRecord',
          `${label}: data continues after the ${header.rows} rows its header declares`,
          {
            input: label,
          },
        );
      }
      const vector = new Float32Array(header.dimension);
      for (let d = 0; d < header.dimension; d++) vector[d] = read!(view, at + d * itemSize);
      yield { fields: { vector }, where: `row ${row}` };
      row++;
      at += rowBytes;
    }
    buffer = buffer.subarray(at);
  }
  if (!header)
    throw rvfError('InvalidRecord', `${label}: not a .npy file (no complete NUMPY header)`, { input: label });
  if (row < header.rows || buffer.length > 0) {
    throw rvfError(
      'InvalidRecord',
      `${label}: the file ends after ${row} of the ${header.rows} rows its header declares`,
      { input: label, row },
    );
  }
}

/** The header once enough bytes are there, undefined before; a malformed one throws. */
export function parseHeader(label: string, bytes: Uint8Array): NpyHeader | undefined {
  if (bytes.length < 10) return undefined;
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') {
    throw rvfError('InvalidRecord', `${label}: not a .npy file (no \\x93NUMPY magic)`, { input: label });
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) return undefined;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (bytes.length < dataOffset) return undefined;
  const text = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(8 + lengthBytes, dataOffset),
  );
  const bad = (why: string) =>
    rvfError('InvalidRecord', `${label}: ${why} in the .npy header ${text.trim()}`, { input: label });
  const descr = /'descr':\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad('the header has no descr, fortran_order or shape');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.length === 0 || shape.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw bad('the header has an unusable shape');
  const rows = shape.length === 1 ? 1 : shape[0]!;
  const dimension = shape.length === 1 ? shape[0]! : shape.slice(1).reduce((a, b) => a * b, 1);
  if (fortran === 'True' && rows > 1 && dimension > 1) {
    throw bad('the array is column-major (fortran_order); save np.ascontiguousarray(a) instead');
  }
  return { dtype: descr, rows, dimension, dataOffset };
}

function dtypeSpec(label: string, dtype: string): { size: number; read: ReadValue } {
  const m = /^([<>|=])?([fiu]\d)$/.exec(dtype);
  const spec = m ? READERS[m[2]!] : undefined;
  if (!m || !spec) {
    throw rvfError(
      'InvalidRecord',
      `${label}: dtype '${dtype}' is not supported (float16/32/64 or an integer type)`,
      { input: label },
    );
  }
  return { size: spec.size, read: spec.read(m[1] !== '>') };
}

/** IEEE 754 half precision to a number (DataView has no getFloat16 in Node 20). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
