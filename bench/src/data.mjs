// Seeded data sets, Fashion-MNIST loading, and the flat .f32 files workers read.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { mulberry32 } from '@rvfjs/test-kit';

export { mulberry32 };

function gaussian(rng) {
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * `count` data vectors followed by `queries` held-out vectors from the same distribution.
 * clustered: 100 Gaussian blobs (centres N(0,1), spread 0.3 per coordinate); uniform: U[-1, 1).
 */
export function synthetic(kind, count, queries, dim, seed) {
  const rng = mulberry32(seed);
  const total = count + queries;
  const all = new Float32Array(total * dim);
  if (kind === 'uniform') {
    for (let i = 0; i < all.length; i++) all[i] = rng() * 2 - 1;
  } else if (kind === 'clustered') {
    const gauss = gaussian(rng);
    const blobs = 100;
    const centres = Float32Array.from({ length: blobs * dim }, gauss);
    for (let i = 0; i < total; i++) {
      const c = Math.floor(rng() * blobs);
      for (let j = 0; j < dim; j++) all[i * dim + j] = centres[c * dim + j] + 0.3 * gauss();
    }
  } else {
    throw new Error(`unknown synthetic kind ${kind}`);
  }
  return { data: all.subarray(0, count * dim), queries: all.subarray(count * dim) };
}

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** Where Debian's dataset-fashion-mnist put the idx files, or undefined when it is not installed. */
export function fashionFiles() {
  const train = `${FASHION_DIR}/train-images-idx3-ubyte.gz`;
  const test = `${FASHION_DIR}/t10k-images-idx3-ubyte.gz`;
  if (existsSync(train) && existsSync(test)) return { train, test };
  // Some packagings ship them uncompressed.
  const trainRaw = `${FASHION_DIR}/train-images-idx3-ubyte`;
  const testRaw = `${FASHION_DIR}/t10k-images-idx3-ubyte`;
  if (existsSync(trainRaw) && existsSync(testRaw)) return { train: trainRaw, test: testRaw };
  return undefined;
}

/**
 * Parses an idx3-ubyte image file (big-endian magic 0x00000803, count, rows, cols, then
 * count·rows·cols unsigned bytes) into flat float32 pixel values 0..255.
 */
export function readIdxImages(path, limit = Infinity) {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (magic !== 0x00000803)
    throw new Error(`${path}: not an idx3-ubyte file (magic 0x${magic.toString(16)})`);
  const total = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  const dim = rows * cols;
  const count = Math.min(total, limit);
  if (buf.length < 16 + total * dim) throw new Error(`${path}: truncated (${buf.length} bytes)`);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) out[i] = buf[16 + i];
  return { data: out, count, dim };
}

export function writeF32(path, arr) {
  writeFileSync(path, new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
}

export function readF32(path) {
  const buf = readFileSync(path);
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new Float32Array(copy);
}

/** The reference's flat metadata form: one u64 field 0 per vector. */
export function refMeta(from, to) {
  const out = [];
  for (let i = from; i < to; i++) out.push({ fieldId: 0, valueType: 'u64', value: String(i % 10) });
  return out;
}

/** Our metadata form. */
export function oursMeta(from, to) {
  const out = [];
  for (let i = from; i < to; i++) out.push({ cat: i % 10 });
  return out;
}

export const FILTER_CAT = 3;
export const REF_FILTER_EQ = JSON.stringify({
  op: 'eq',
  fieldId: 0,
  valueType: 'u64',
  value: String(FILTER_CAT),
});
/** Matches every vector (cat is 0..9): forces the reference's exact (filtered) scan. */
export const REF_FILTER_ALL = JSON.stringify({
  op: 'range',
  fieldId: 0,
  valueType: 'u64',
  low: '0',
  high: '10',
});

/**
 * The branch edits on a parent of `n` vectors: 50 upserts overriding inherited ids 0..49, 50 new
 * ids n..n+49, and deletes of inherited ids 50..99. Vectors are seeded, so the orchestrator can
 * rebuild the child's visible set for ground truth.
 */
export function branchEdits(n, dim, seed = 77) {
  const rng = mulberry32(seed);
  const ids = [];
  for (let i = 0; i < 50; i++) ids.push(i);
  for (let i = 0; i < 50; i++) ids.push(n + i);
  const vectors = new Float32Array(100 * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = rng() * 2 - 1;
  const deletes = [];
  for (let i = 50; i < 100; i++) deletes.push(i);
  return { ids, vectors, deletes };
}
