import { rvfError } from '@rvfjs/types';
import { type VectorDigest, wordsOf } from './digest.js';
import { checkedElementWord } from './graph-layout.js';
import { normalizeInto } from './normalize.js';

/**
 * hnswlib's saveIndex layout (hnswalg.h, as built into hnswlib-node 3.x; little-endian, size_t = 8):
 *
 *   header (96 bytes): offsetLevel0 u64, max_elements u64, cur_element_count u64,
 *     size_data_per_element u64, label_offset u64, offsetData u64, maxlevel i32,
 *     enterpoint_node u32, maxM u64, maxM0 u64, M u64, mult f64, ef_construction u64
 *   level 0: cur_element_count × size_data_per_element bytes, each element
 *     [u32 list header: count in bits 0..15, delete mark bit 16][maxM0 × u32 links]
 *     [dimension × f32 data][u64 label]
 *   upper levels, per element: u32 byte size (level × (4 + 4·maxM)), then per level
 *     [u32 list header][maxM × u32 links]
 *
 * The data region is the bulk of the file (512 of ~650 bytes per element at 128 dimensions, M 16)
 * and duplicates vectors the store already keeps, so we persist a compact graph stream instead and
 * rebuild the full file from the store's vectors on load. The stream is u32 words, per element in
 * internal-id order:
 *
 *   label, (level | deleted << 8 | level0Count << 16), level0Count links,
 *   then for each upper level 1..level: count, count links
 *
 * Unused link slots are dropped too, which is why the graph persists smaller than hnswlib's own
 * level-0 block even before counting the vectors.
 */
export const HNSWLIB_HEADER_BYTES = 96;
const HEADER_WORDS = HNSWLIB_HEADER_BYTES / 4;
const DELETE_MARK = 1 << 16;
/** Levels are drawn as floor(-ln U · 1/ln M); 255 is unreachable for any sane M. */
export const MAX_LEVEL = 255;

export interface GraphShape {
  count: number;
  capacity: number;
  m: number;
  efConstruction: number;
  maxLevel: number;
  entryPoint: number;
  mult: number;
}

export interface CompactGraph extends GraphShape {
  /** Ordinal of each internal id, in internal order (what the vector digest walks). */
  labels: Uint32Array;
  /** 1 where hnswlib marks the internal id deleted. */
  deleted: Uint8Array;
  body: Uint32Array;
}

/** Where each element's record starts in a checked body, plus what loading needs. */
export interface CheckedGraph {
  labels: Uint32Array;
  levels: Uint8Array;
  starts: Uint32Array;
  upperBytes: number;
}

function u32View(bytes: Uint8Array): Uint32Array {
  // Typed-array views need 4-byte alignment; a pooled or sliced buffer may not have it.
  const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
}

function layoutError(message: string): Error {
  return rvfError(
    'PlatformUnsupported',
    `hnswlib wrote an index layout this package does not understand: ${message}`,
  );
}

/** Converts the file hnswlib just wrote into the compact graph stream, dropping the vector data. */
export function compactHnswlibFile(file: Uint8Array, dimension: number): CompactGraph {
  if (file.byteLength < HNSWLIB_HEADER_BYTES) throw layoutError(`file of ${file.byteLength} bytes`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u64 = (at: number): number => {
    if (dv.getUint32(at + 4, true) !== 0) throw layoutError(`64-bit field at ${at} exceeds 2^32`);
    return dv.getUint32(at, true);
  };
  const offsetLevel0 = u64(0);
  const capacity = u64(8);
  const count = u64(16);
  const sizePer = u64(24);
  const labelOffset = u64(32);
  const offsetData = u64(40);
  const maxLevel = dv.getInt32(48, true);
  const entryPoint = dv.getUint32(52, true);
  const maxM = u64(56);
  const maxM0 = u64(64);
  const m = u64(72);
  const mult = dv.getFloat64(80, true);
  const efConstruction = u64(88);
  if (offsetLevel0 !== 0 || maxM !== m || maxM0 !== 2 * m || offsetData !== 4 + 4 * maxM0) {
    throw layoutError(
      `offsetLevel0 ${offsetLevel0}, M ${m}, maxM ${maxM}, maxM0 ${maxM0}, offsetData ${offsetData}`,
    );
  }
  if (labelOffset !== offsetData + 4 * dimension || sizePer !== labelOffset + 8) {
    throw layoutError(`labelOffset ${labelOffset}, sizePerElement ${sizePer} for dimension ${dimension}`);
  }
  const level0End = HNSWLIB_HEADER_BYTES + count * sizePer;
  if (file.byteLength < level0End + 4 * count)
    throw layoutError(`file of ${file.byteLength} bytes for ${count} elements`);

  const words = u32View(file);
  const perWords = sizePer / 4;
  const labels = new Uint32Array(count);
  const deletedMarks = new Uint8Array(count);
  // Worst case: every level-0 slot used, plus the upper-level section verbatim.
  const body = new Uint32Array(count * (2 + maxM0) + ((file.byteLength - level0End) >>> 2));
  let p = 0;
  let up = level0End / 4;
  for (let i = 0; i < count; i++) {
    const base = HEADER_WORDS + i * perWords;
    const head = words[base]!;
    const c0 = head & 0xffff;
    const deleted = (head >>> 16) & 1;
    const labelAt = base + labelOffset / 4;
    if (words[labelAt + 1] !== 0) throw layoutError(`label of element ${i} exceeds 2^32`);
    const label = words[labelAt]!;
    const upperBytes = words[up++]!;
    const levelBytes = 4 + 4 * maxM;
    const level = upperBytes / levelBytes;
    if (!Number.isInteger(level) || level > MAX_LEVEL || c0 > maxM0) {
      throw layoutError(`element ${i}: level-0 count ${c0}, upper link bytes ${upperBytes}`);
    }
    labels[i] = label;
    deletedMarks[i] = deleted;
    body[p++] = label;
    body[p++] = level | (deleted << 8) | (c0 << 16);
    body.set(words.subarray(base + 1, base + 1 + c0), p);
    p += c0;
    for (let l = 0; l < level; l++) {
      const c = words[up]! & 0xffff;
      if (c > maxM) throw layoutError(`element ${i} level ${l + 1}: count ${c}`);
      body[p++] = c;
      body.set(words.subarray(up + 1, up + 1 + c), p);
      p += c;
      up += levelBytes / 4;
    }
  }
  if (up * 4 !== file.byteLength) throw layoutError(`${file.byteLength - up * 4} trailing bytes`);
  return {
    count,
    capacity,
    m,
    efConstruction,
    maxLevel,
    entryPoint,
    mult,
    labels,
    deleted: deletedMarks,
    body: body.slice(0, p),
  };
}

/**
 * Checks a compact graph stream from untrusted bytes against everything hnswlib would otherwise
 * trust blindly: hnswlib bounds-checks nothing on load, and an out-of-range link or a link into a
 * level its target does not have reads wild memory (or aborts the process from inside a search).
 */
export function checkGraph(
  shape: GraphShape,
  body: Uint32Array,
  vectorCount: number,
  offset: number,
): CheckedGraph {
  const { count, m, maxLevel, entryPoint } = shape;
  const labels = new Uint32Array(count);
  const levels = new Uint8Array(count);
  const starts = new Uint32Array(count);
  const seen = new Uint8Array(vectorCount);
  const len = body.length;
  const corrupt = (message: string, at: number) =>
    rvfError('InvalidManifest', `HNSW graph: ${message}`, { offset: offset + 4 * at });
  const truncated = (at: number) =>
    rvfError('TruncatedSegment', 'HNSW graph stream ends inside an element', { offset: offset + 4 * at });
  let upperBytes = 0;
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 2 > len) throw truncated(p);
    starts[i] = p;
    const label = body[p]!;
    const w = checkedElementWord(body, p, i, shape, vectorCount, corrupt);
    const level = w & 0xff;
    const c0 = w >>> 16;
    if (seen[label]) throw corrupt(`ordinal ${label} appears twice`, p);
    seen[label] = 1;
    labels[i] = label;
    levels[i] = level;
    upperBytes += 4 + level * (4 + 4 * m);
    p += 2;
    if (p + c0 > len) throw truncated(p);
    for (let j = 0; j < c0; j++)
      if (body[p + j]! >= count) throw corrupt(`element ${i} links to ${body[p + j]}`, p + j);
    p += c0;
    for (let l = 1; l <= level; l++) {
      if (p >= len) throw truncated(p);
      const c = body[p++]!;
      if (c > m) throw corrupt(`element ${i} level ${l} has ${c} links (max ${m})`, p - 1);
      if (p + c > len) throw truncated(p);
      p += c; // targets are checked below, once every element's level is known
    }
  }
  if (p !== len) throw corrupt(`${len - p} words after the last element`, p);
  if (count > 0 && (entryPoint >= count || levels[entryPoint] !== maxLevel)) {
    throw corrupt(`entry point ${entryPoint} is not an element on the top level ${maxLevel}`, 0);
  }
  for (let i = 0; i < count; i++) {
    const level = levels[i]!;
    if (level === 0) continue;
    let q = starts[i]! + 2 + (body[starts[i]! + 1]! >>> 16);
    for (let l = 1; l <= level; l++) {
      const c = body[q++]!;
      for (let j = 0; j < c; j++) {
        const t = body[q + j]!;
        if (t >= count || levels[t]! < l) throw corrupt(`element ${i} level ${l} links to ${t}`, q + j);
      }
      q += c;
    }
  }
  return { labels, levels, starts, upperBytes };
}

/** Level-0 records are produced in chunks of about this many bytes. */
const CHUNK_BYTES = 1 << 20;

/**
 * Streams the file hnswlib's loadIndex expects, rebuilt from a checked graph plus the store's
 * vectors (normalised for cosine, exactly as they were handed to hnswlib when the graph was built).
 * Output comes in ~1 MiB chunks through one reused buffer: materialising the whole ~13 MB file
 * (20k × 128) first would add a page-faulting allocation to every load. Each vector is fed to
 * `digest` as it is copied, so checking for a stale graph costs no extra pass. A generator, so
 * an async writer can yield to the event loop between chunks; each chunk views the reused
 * buffer: consume it before asking for the next.
 */
export function* hnswlibFileChunks(
  shape: GraphShape,
  body: Uint32Array,
  checked: CheckedGraph,
  dimension: number,
  vectors: Float32Array,
  normalise: boolean,
  digest: VectorDigest,
): Generator<Uint8Array, void, undefined> {
  const vectorWords = wordsOf(vectors);
  const { count, m } = shape;
  const maxM0 = 2 * m;
  const perWords = 1 + maxM0 + dimension + 2;
  const offsetData = 4 + 4 * maxM0;

  const head = new Uint8Array(HNSWLIB_HEADER_BYTES);
  const dv = new DataView(head.buffer);
  const putU64 = (at: number, v: number) => dv.setUint32(at, v, true); // high words stay zero
  putU64(0, 0);
  putU64(8, Math.max(shape.capacity, count));
  putU64(16, count);
  putU64(24, perWords * 4);
  putU64(32, offsetData + 4 * dimension);
  putU64(40, offsetData);
  dv.setInt32(48, shape.maxLevel, true);
  dv.setUint32(52, shape.entryPoint, true);
  putU64(56, m);
  putU64(64, maxM0);
  putU64(72, m);
  dv.setFloat64(80, shape.mult, true);
  putU64(88, shape.efConstruction);
  yield head;

  const { labels, levels, starts } = checked;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * perWords)));
  const chunk = new ArrayBuffer(Math.min(perChunk, count) * perWords * 4);
  const words = new Uint32Array(chunk);
  const floats = new Float32Array(chunk);
  for (let first = 0; first < count; first += perChunk) {
    const last = Math.min(count, first + perChunk);
    const used = (last - first) * perWords;
    for (let i = first; i < last; i++) {
      const base = (i - first) * perWords;
      const q = starts[i]!;
      const label = labels[i]!;
      const w = body[q + 1]!;
      const c0 = w >>> 16;
      words[base] = c0 | ((w >>> 8) & 1 ? DELETE_MARK : 0);
      // Plain loops: these runs are short, and subarray() would allocate two views per element.
      for (let j = 0; j < c0; j++) words[base + 1 + j] = body[q + 2 + j]!;
      // Every word is written, unused link slots as zero, so the reused chunk needs no clearing.
      for (let j = c0; j < maxM0; j++) words[base + 1 + j] = 0;
      const dataAt = base + 1 + maxM0;
      const src = label * dimension;
      if (normalise) {
        digest.update(vectorWords, src);
        normalizeInto(vectors, src, dimension, floats, dataAt);
      } else {
        digest.updateAndCopy(vectorWords, src, words, dataAt);
      }
      words[dataAt + dimension] = label;
      words[dataAt + dimension + 1] = 0; // label high word
    }
    yield new Uint8Array(chunk, 0, used * 4);
  }

  const upper = new Uint32Array(checked.upperBytes >>> 2);
  const levelWords = 1 + m;
  let up = 0;
  for (let i = 0; i < count; i++) {
    const level = levels[i]!;
    upper[up++] = level * levelWords * 4;
    if (level === 0) continue;
    let q = starts[i]! + 2 + (body[starts[i]! + 1]! >>> 16);
    for (let l = 0; l < level; l++) {
      const c = body[q]!;
      upper[up] = c;
      upper.set(body.subarray(q + 1, q + 1 + c), up + 1);
      q += 1 + c;
      up += levelWords;
    }
  }
  yield new Uint8Array(upper.buffer);
}
