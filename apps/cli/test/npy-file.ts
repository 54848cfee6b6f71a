/**
 * A .npy file as NumPy writes it (format 1.0: magic, version, little-endian header length,
 * a Python dict literal padded to 64 bytes, then the data), for tests that have no NumPy.
 */
export function npyFile(
  dtype: string,
  shape: readonly number[],
  data: ArrayBufferView,
  o: { fortranOrder?: boolean } = {},
): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': ${o.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const preamble = Buffer.alloc(10);
  preamble.write('\x93NUMPY', 0, 'latin1');
  preamble[6] = 1;
  preamble[7] = 0;
  preamble.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    preamble,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}
