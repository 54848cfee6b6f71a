/**
 * @rvfjs/index — vectors in, neighbours out. Dense ordinals and distances only: no files, user ids
 * or metadata. The native HNSW engine loads hnswlib-node lazily; the exact engine is pure TS.
 */
export {
  cosineDistance,
  type DistanceKernel,
  distance,
  distanceFn,
  F32_EPSILON,
  l2Squared,
  negDot,
} from './distance.js';
export type { Neighbour, SearchOptions, VectorIndex } from './engine.js';
export { type ExactSearchParams, exactSearch } from './exact.js';
export { ExactIndex } from './exact-index.js';
export {
  DISABLE_WORKERS_ENV,
  type GraphBuildParams,
  GraphThread,
  graphThreadAvailable,
} from './graph-thread.js';
export { GraphWalker, prepareGraphWalker } from './graph-walker.js';
export {
  type AsyncLoadOptions,
  createHnsw,
  deserializeHnsw,
  deserializeHnswAsync,
  type GraphMembers,
  HNSW_DEFAULTS,
  HnswIndex,
  type HnswOptions,
} from './hnsw.js';
export { RVHN_MAGIC, RVHN_VERSION, rvhnCount } from './hnsw-blob.js';
export {
  DISABLE_NATIVE_ENV,
  nativeHnswAvailable,
  nativeHnswLoadError,
  resetNativeHnswLoader,
} from './native.js';
export { recallAtK } from './recall.js';
export { DISABLE_SIMD_ENV, type SimdStaging, simdStaging, simdWalksAvailable } from './simd-memory.js';
export { TopK } from './top-k.js';
export { VectorStore } from './vector-store.js';
