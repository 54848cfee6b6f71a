import { type Metric, MetricCode, metricFromCode, rvfError } from '@rvfjs/types';
import { MAX_LEVEL } from './hnsw-file.js';

/**
 * The bytes an HNSW index persists as: a fixed 64-byte header of our own followed by the compact
 * graph stream (see hnsw-file.ts). No checksum — the store hashes whole segments — but the header
 * carries the element count and a digest of the vectors the graph was built over (bound to the
 * header fields that shape the graph), so loading it against changed vectors, or with a damaged
 * header, is refused instead of silently returning a wrong graph's answers.
 *
 *   0  magic "RVHN"        16 capacity u32        32 maxLevel i32       48 digest lane 1 u32
 *   4  version u16         20 m u32               36 entryPoint u32     52 digest lane 2 u32
 *   6  metric u8 (spec §7) 24 efConstruction u32  40 mult f64           56 body words u32
 *   7  reserved u8 (0)     28 efSearch u32                              60 reserved u32 (0)
 *   8  dimension u32
 *  12  count u32
 *
 * All little-endian; the body is `body words` u32s.
 */
export const RVHN_MAGIC = 0x4e485652; // "RVHN" read as a little-endian u32
/** The RVHN blob format version written and accepted. */
export const RVHN_VERSION = 1;
export const RVHN_HEADER_BYTES = 64;
/** hnswlib caps M at 10000 itself; anything larger in a blob is corruption. */
export const MAX_M = 10_000;

export interface RvhnHeader {
  metric: Metric;
  dimension: number;
  count: number;
  capacity: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  maxLevel: number;
  entryPoint: number;
  mult: number;
  digest: [number, number];
}

/**
 * The header fields the vector digest also covers: everything that shapes how the graph is read,
 * so a damaged header is refused rather than loaded as a different, still well-formed graph.
 */
export function digestContext(h: Omit<RvhnHeader, 'digest'>): number[] {
  const mult = new DataView(new ArrayBuffer(8));
  mult.setFloat64(0, h.mult, true);
  return [
    MetricCode[h.metric],
    h.dimension,
    h.count,
    h.m,
    h.efConstruction,
    h.maxLevel,
    h.entryPoint,
    mult.getUint32(0, true),
    mult.getUint32(4, true),
  ];
}

export function encodeRvhn(h: RvhnHeader, body: Uint32Array): Uint8Array {
  const out = new Uint8Array(RVHN_HEADER_BYTES + body.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RVHN_MAGIC, true);
  dv.setUint16(4, RVHN_VERSION, true);
  dv.setUint8(6, MetricCode[h.metric]);
  dv.setUint32(8, h.dimension, true);
  dv.setUint32(12, h.count, true);
  dv.setUint32(16, h.capacity, true);
  dv.setUint32(20, h.m, true);
  dv.setUint32(24, h.efConstruction, true);
  dv.setUint32(28, h.efSearch, true);
  dv.setInt32(32, h.maxLevel, true);
  dv.setUint32(36, h.entryPoint, true);
  dv.setFloat64(40, h.mult, true);
  dv.setUint32(48, h.digest[0], true);
  dv.setUint32(52, h.digest[1], true);
  dv.setUint32(56, body.length, true);
  new Uint32Array(out.buffer, RVHN_HEADER_BYTES, body.length).set(body);
  return out;
}

/**
 * The member count from the first 16 bytes of a blob, or undefined when they are not an RVHN
 * header: enough to size a saved graph without reading (or checking) the rest of it.
 */
export function rvhnCount(head: Uint8Array): number | undefined {
  if (head.byteLength < 16) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return dv.getUint32(0, true) === RVHN_MAGIC ? dv.getUint32(12, true) : undefined;
}

/** Parses and sanity-checks the header; the body is returned as an aligned u32 view. */
export function decodeRvhn(bytes: Uint8Array): { header: RvhnHeader; body: Uint32Array } {
  if (!(bytes instanceof Uint8Array)) throw rvfError('InvalidArgument', 'HNSW blob must be a Uint8Array');
  if (bytes.byteLength < RVHN_HEADER_BYTES) {
    throw rvfError('TruncatedSegment', `HNSW blob of ${bytes.byteLength} bytes is shorter than its header`, {
      offset: 0,
    });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== RVHN_MAGIC)
    throw rvfError('InvalidMagic', 'not an RVHN HNSW blob', { offset: 0 });
  const version = dv.getUint16(4, true);
  if (version !== RVHN_VERSION) throw rvfError('InvalidVersion', `RVHN version ${version}`, { offset: 4 });
  const metricCode = dv.getUint8(6);
  if (metricCode > 2) throw rvfError('MetricUnsupported', `RVHN metric byte ${metricCode}`, { offset: 6 });
  const header: RvhnHeader = {
    metric: metricFromCode(metricCode),
    dimension: dv.getUint32(8, true),
    count: dv.getUint32(12, true),
    capacity: dv.getUint32(16, true),
    m: dv.getUint32(20, true),
    efConstruction: dv.getUint32(24, true),
    efSearch: dv.getUint32(28, true),
    maxLevel: dv.getInt32(32, true),
    entryPoint: dv.getUint32(36, true),
    mult: dv.getFloat64(40, true),
    digest: [dv.getUint32(48, true), dv.getUint32(52, true)],
  };
  const bodyWords = dv.getUint32(56, true);
  const bad = (message: string, offset: number) =>
    rvfError('InvalidManifest', `RVHN header: ${message}`, { offset });
  if (dv.getUint8(7) !== 0 || dv.getUint32(60, true) !== 0) throw bad('reserved bytes are not zero', 7);
  if (header.dimension === 0) throw bad('dimension 0', 8);
  if (header.m < 2 || header.m > MAX_M) throw bad(`M ${header.m}`, 20);
  if (header.efConstruction === 0 || header.efSearch === 0) throw bad('ef of 0', 24);
  const emptyShape = header.count === 0 && header.maxLevel === -1;
  if (!emptyShape && (header.count === 0 || header.maxLevel < 0 || header.maxLevel > MAX_LEVEL)) {
    throw bad(`max level ${header.maxLevel} for ${header.count} elements`, 32);
  }
  if (!(Number.isFinite(header.mult) && header.mult > 0)) throw bad(`level multiplier ${header.mult}`, 40);
  if (RVHN_HEADER_BYTES + 4 * bodyWords !== bytes.byteLength) {
    throw rvfError(
      bytes.byteLength < RVHN_HEADER_BYTES + 4 * bodyWords ? 'TruncatedSegment' : 'InvalidManifest',
      `RVHN body of ${bodyWords} words does not match a blob of ${bytes.byteLength} bytes`,
      { offset: 56 },
    );
  }
  // Every element takes at least two words, which bounds what the count can make us allocate.
  if (header.count * 2 > bodyWords) throw bad(`${header.count} elements in ${bodyWords} words`, 12);
  const start = bytes.byteOffset + RVHN_HEADER_BYTES;
  const body =
    start % 4 === 0
      ? new Uint32Array(bytes.buffer, start, bodyWords)
      : new Uint32Array(bytes.slice(RVHN_HEADER_BYTES).buffer, 0, bodyWords);
  return { header, body };
}
