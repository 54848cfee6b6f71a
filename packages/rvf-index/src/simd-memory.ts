import { base64Bytes, compileInBackground, type Metric } from '@rvfjs/types';
import { SIMD_KERNELS_WASM_BASE64 } from './simd-kernels-wasm.js';

/**
 * Vector storage that WebAssembly SIMD kernels can read in place.
 *
 * A large store's floats are allocated inside a shared WebAssembly memory instead of a bare
 * SharedArrayBuffer: the graph worker still reads them without a copy (the memory's buffer is
 * a SharedArrayBuffer), and a graph walk on this thread computes its distances with 128-bit
 * lanes, several times faster than scalar JavaScript (simd-kernels.wat). Each memory starts
 * with a scratch area where the query is copied before a walk; the floats follow it.
 *
 * Everything here is an optimisation with a plain fallback: where WebAssembly, SIMD or shared
 * memory is missing, or a memory cannot be reserved (each one reserves address space for its
 * bounds checks, and a process has a limited amount), callers get undefined and use the
 * scalar kernels over an ordinary SharedArrayBuffer.
 */

/** Set this environment variable to 1 to keep vectors out of WebAssembly memory (scalar kernels only). */
export const DISABLE_SIMD_ENV = 'RVF_DISABLE_SIMD';

/** Bytes before the floats: room for one query of up to 16,384 dimensions. */
const SCRATCH_BYTES = 65_536;
const PAGE_BYTES = 65_536;
/** Smaller arrays are not worth a memory of their own: below a store's index threshold (1,024 vectors, 8,192 floats at 8 dimensions) nothing is walked. */
const MIN_FLOATS = 8_192;
/** wasm32 addresses 4 GiB; keep clear of the top. */
const MAX_BYTES = 4 * 1024 ** 3 - 16 * PAGE_BYTES;
const MAX_PAGES = MAX_BYTES / PAGE_BYTES;

type KernelFn = (a: number, b: number, dim: number) => number;

/** A metric's SIMD kernel bound to one memory, for vectors of one array in it. */
export interface SimdKernel {
  /** Copies the query into the memory's scratch area; call before the distances of a search. */
  load(query: Float32Array): void;
  /** The kernel: (byte offset of a vector, byte offset of the query (0), dimension) → distance. */
  readonly fn: KernelFn;
  /** Byte offset of float 0 of the vectors array in the memory. */
  readonly base: number;
}

/** What simd-kernels.wat exports, bound to one memory. */
export interface SimdExports {
  l2: KernelFn;
  negDot: KernelFn;
  cosine: KernelFn;
  layout(
    g: number,
    s: number,
    lab: number,
    vis: number,
    cand: number,
    res: number,
    batch: number,
    l0: number,
    stride: number,
    ident: number,
    del: number,
  ): void;
  walk(
    vbase: number,
    dim: number,
    metric: number,
    count: number,
    m: number,
    entry: number,
    maxLevel: number,
    ef: number,
    epoch: number,
  ): number;
  results(k: number, out: number): number;
  digest(vbase: number, dim: number, from: number, to: number, state: number): void;
  scanTop(vbase: number, dim: number, metric: number, count: number, kk: number, heap: number): number;
  gather(src: number, stride: number, dst: number, row: number, n: number): void;
  fill(
    src: number,
    words: number,
    from: number,
    to: number,
    l0: number,
    stride: number,
    g: number,
    s: number,
    lab: number,
    del: number,
  ): number;
  fillUsed: WebAssembly.Global;
  fillUpper: WebAssembly.Global;
  fillIdent: WebAssembly.Global;
  fillDeleted: WebAssembly.Global;
}

interface Kernels extends SimdExports {
  scratch: Float32Array;
  /** A staging area for rows being loaded (see simdStaging), once one was asked for. */
  staging?: Uint8Array;
}

/** Memories allocated by this thread, by their buffer (other threads never use our scratch). */
const memories = new WeakMap<ArrayBufferLike, WebAssembly.Memory>();
const kernelsOf = new WeakMap<WebAssembly.Memory, Kernels>();
let compiled: WebAssembly.Module | null | undefined;

const wasmHost = typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function';

/**
 * The kernels compiled off the main thread while the rest of the program loads: a store's
 * first table needs them (its vectors live in their memory), and compiling them there took
 * 0.8 ms of a 20k-vector open. Never there on engines without SIMD or threads (the scalar path
 * stays); until it is, kernelModule compiles them itself.
 */
const precompiled = wasmHost ? compileInBackground(SIMD_KERNELS_WASM_BASE64) : () => undefined;

function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.[DISABLE_SIMD_ENV] === '1') return compiled;
  const ready = precompiled();
  if (ready) {
    compiled = ready;
    return compiled;
  }
  try {
    if (wasmHost) {
      const bytes = base64Bytes(SIMD_KERNELS_WASM_BASE64);
      // Validation fails on engines without SIMD or threads: the scalar path stays.
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null;
  }
  return compiled;
}

/**
 * `length` zeroed floats in a shared WebAssembly memory of their own, or undefined where that
 * is unavailable or not worth it (small arrays). The array's buffer is a SharedArrayBuffer.
 */
export function simdFloats(length: number): Float32Array | undefined {
  if (length < MIN_FLOATS || SCRATCH_BYTES + length * 4 > MAX_BYTES || !kernelModule()) return undefined;
  const pages = Math.ceil((SCRATCH_BYTES + length * 4) / PAGE_BYTES);
  let memory: WebAssembly.Memory;
  try {
    // Room to grow (a graph walk lays its graph out after the floats, see simd-walk.ts): a
    // shared memory never moves, and the address space is reserved whatever the maximum.
    memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  } catch {
    return undefined; // address space for another memory could not be reserved
  }
  memories.set(memory.buffer, memory);
  return new Float32Array(memory.buffer, SCRATCH_BYTES, length);
}

/**
 * The SIMD kernel for `metric` over `vectors` (an array from simdFloats, or a view of one),
 * or undefined when `vectors` is not in such a memory or the dimension does not fit the
 * scratch area.
 */
export function simdKernel(vectors: Float32Array, metric: Metric, dimension: number): SimdKernel | undefined {
  const memory = simdMemoryOf(vectors);
  if (!memory || dimension * 4 > SCRATCH_BYTES) return undefined;
  const k = kernels(memory);
  const fn =
    metric === 'l2'
      ? k.l2
      : metric === 'inner_product'
        ? k.negDot
        : metric === 'cosine'
          ? k.cosine
          : undefined;
  if (!fn) return undefined;
  return {
    fn,
    base: vectors.byteOffset,
    load(query: Float32Array) {
      loadQuery(memory, query.subarray(0, dimension));
    },
  };
}

/** An exact scan's first pass in WebAssembly (see simdScan). */
export interface SimdScan {
  /** Most candidates one pass keeps. */
  readonly maxKeep: number;
  /**
   * The `keep` nearest of rows `from`..`count` (from 0 by default) to `query` by SIMD
   * distance, equal distances by ordinal: their ordinals, nearest first.
   */
  nearest(query: Float32Array, count: number, keep: number, from?: number): Uint32Array;
}

/** How simd-kernels.wat numbers the metrics. */
export const METRIC_CODES: Record<Metric, number> = { l2: 0, inner_product: 1, cosine: 2 };

/**
 * Exact scans over `vectors` (an array from simdFloats) in WebAssembly, or undefined where the
 * vectors are not in such a memory or the query leaves too little of the scratch area for the
 * candidates (dimensions in the thousands). The whole first pass is one call: distances and a
 * heap of the nearest, with no JavaScript per row. A fresh process runs a JavaScript loop
 * over every row in the interpreter, which made its first exact queries several times slower
 * than the arithmetic.
 */
export function simdScan(vectors: Float32Array, metric: Metric, dimension: number): SimdScan | undefined {
  const memory = simdMemoryOf(vectors);
  if (!memory) return undefined;
  // The heap goes after the query in the scratch area, 8-byte aligned.
  const heap = (dimension * 4 + 7) & ~7;
  const maxKeep = (SCRATCH_BYTES - heap) >> 3;
  if (maxKeep < MIN_KEEP) return undefined;
  const k = kernels(memory);
  const code = METRIC_CODES[metric];
  const base = vectors.byteOffset;
  return {
    maxKeep,
    nearest(query, count, keep, from = 0) {
      k.scratch.set(query.subarray(0, dimension));
      // A scan of rows from..count is a scan of count - from rows that start further in.
      const n = k.scanTop(
        base + from * dimension * 4,
        dimension,
        code,
        count - from,
        Math.min(keep, maxKeep),
        heap,
      );
      // u64 keys that order as (distance, ordinal) do, so a numeric sort puts them nearest
      // first; little-endian, the ordinal (within the scanned rows) is each one's low word.
      const keys = new BigUint64Array(k.scratch.buffer, heap, n).slice().sort();
      const words = new Uint32Array(keys.buffer);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = words[2 * i]! + from;
      return out;
    },
  };
}

/** Fewer candidates than this fit beside the query: the scalar scan it is. */
const MIN_KEEP = 64;

/** Where rows being loaded into a SIMD array are read first (see simdStaging). */
export interface SimdStaging {
  /** Read records here: it lies in the same memory as the array. */
  readonly buffer: Uint8Array;
  /**
   * Copies the floats of `n` records (each `recordBytes` long, its `rowFloats` floats
   * `floatsAt` bytes in) from byte `from` of `buffer` to `dst` from float `to` on: one bulk
   * copy each. False, having copied nothing, when `dst` is not in this memory or either side
   * is out of bounds (the caller copies them its own way).
   */
  gather(
    dst: Float32Array,
    to: number,
    from: number,
    recordBytes: number,
    floatsAt: number,
    rowFloats: number,
    n: number,
  ): boolean;
}

/**
 * A staging area of at least `bytes` in the memory of `vectors` (an array from simdFloats),
 * or undefined where the array is not in one. A load reads VEC records into it and copies
 * their floats to the array inside WebAssembly, a bulk copy per record, instead of a
 * JavaScript loop over every float, which in a fresh process runs before V8 has optimised it.
 * The area is grown at the end of the memory once and reused by later loads into it; a
 * shared memory never shrinks, so it stays (about 1 MiB) as long as the memory does.
 */
export function simdStaging(vectors: Float32Array, bytes: number): SimdStaging | undefined {
  const memory = simdMemoryOf(vectors);
  if (!memory) return undefined;
  const k = kernels(memory);
  if (!k.staging || k.staging.length < bytes) {
    const at = memory.buffer.byteLength;
    if (!growTo(memory, at + bytes)) return undefined;
    k.staging = new Uint8Array(memory.buffer, at, bytes);
  }
  const buffer = k.staging;
  return {
    buffer,
    gather(dst, to, from, recordBytes, floatsAt, rowFloats, n) {
      if (simdMemoryOf(dst) !== memory || n <= 0) return n === 0;
      const inBounds =
        to >= 0 &&
        to + n * rowFloats <= dst.length &&
        from >= 0 &&
        floatsAt + rowFloats * 4 <= recordBytes &&
        from + n * recordBytes <= buffer.length;
      if (!inBounds) return false;
      k.gather(buffer.byteOffset + from + floatsAt, recordBytes, dst.byteOffset + to * 4, rowFloats * 4, n);
      return true;
    },
  };
}

/**
 * Grows `memory` (by whole pages) so that it holds bytes up to `end`: how a walk's graph layout
 * and a load's staging area are placed after the vectors. False when that is past the memory's
 * maximum (the caller takes its path without WebAssembly memory).
 */
export function growTo(memory: WebAssembly.Memory, end: number): boolean {
  const have = memory.buffer.byteLength;
  if (end <= have) return true;
  try {
    memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    return true;
  } catch {
    return false;
  }
}

/**
 * True when graph walks over `vectors` can run in WebAssembly on this thread (the array came
 * from simdFloats here).
 */
export function simdWalksAvailable(vectors: Float32Array): boolean {
  return memories.has(vectors.buffer);
}

/** The memory `array` lives in, when simdFloats allocated it on this thread. */
export function simdMemoryOf(array: Float32Array): WebAssembly.Memory | undefined {
  return memories.get(array.buffer);
}

/** The kernels module instantiated over `memory` (once per memory). */
export function simdExports(memory: WebAssembly.Memory): SimdExports {
  return kernels(memory);
}

/** The scratch area of `memory` as 32-bit words (for state handed to a kernel). */
export function scratchWords(memory: WebAssembly.Memory): Int32Array {
  const f = kernels(memory).scratch;
  return new Int32Array(f.buffer, f.byteOffset, 8);
}

/** Copies `query` into the scratch area of `memory`; false when it does not fit. */
export function loadQuery(memory: WebAssembly.Memory, query: Float32Array): boolean {
  if (query.length * 4 > SCRATCH_BYTES) return false;
  kernels(memory).scratch.set(query);
  return true;
}

function kernels(memory: WebAssembly.Memory): Kernels {
  let k = kernelsOf.get(memory);
  if (!k) {
    const instance = new WebAssembly.Instance(kernelModule()!, { env: { memory } });
    const e = instance.exports as unknown as SimdExports;
    k = {
      l2: e.l2,
      negDot: e.negDot,
      cosine: e.cosine,
      layout: e.layout,
      walk: e.walk,
      results: e.results,
      digest: e.digest,
      scanTop: e.scanTop,
      gather: e.gather,
      fill: e.fill,
      fillUsed: e.fillUsed,
      fillUpper: e.fillUpper,
      fillIdent: e.fillIdent,
      fillDeleted: e.fillDeleted,
      scratch: new Float32Array(memory.buffer, 0, SCRATCH_BYTES / 4),
    };
    kernelsOf.set(memory, k);
  }
  return k;
}
