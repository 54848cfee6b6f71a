// What every cold-start child (cold-*.mjs, started by cold-start.mjs) shares: its job arrives
// as JSON in argv[2] and its result leaves as one `@@RESULT {json}` line on stdout. The child
// exits right after writing it, so that background graph work of a store still open cannot
// keep the process (and the parent's time cap) running past the measurement.
import { readF32 } from './data.mjs';

export const job = JSON.parse(process.argv[2] ?? '{}');
export const now = () => performance.now();
export const K = 10;

/** Row views of a flat array (no copies). */
export function rows(flat, dim) {
  const out = [];
  for (let i = 0; i < flat.length / dim; i++) out.push(flat.subarray(i * dim, (i + 1) * dim));
  return out;
}

/** The first `count` rows of a .f32 file written by the orchestrator, as one flat array. */
export function loadFlat(path, count, dim) {
  return readF32(path).subarray(0, count * dim);
}

/**
 * The segType name `store.segments()` gives the HNSW graph segment rvfjs saves
 * (SegmentType.RvfjsHnswGraph = 0x42 in packages/rvf-types/src/segment-types.ts; the bench
 * does not depend on @rvfjs/types, so the name is spelled out here).
 */
export const GRAPH_SEG = 'rvfjs_hnsw_graph';

/** Bytes per segment type from `store.segments()`, each segment's 64-byte header included. */
export function bytesByType(segments) {
  const out = {};
  for (const s of segments) out[s.segType] = (out[s.segType] ?? 0) + s.payloadLength + 64;
  return out;
}

export function emit(result) {
  result.rssMb ??= process.memoryUsage().rss / 1024 / 1024;
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
