// Cold-start job "incremental": the cost of a small write to a big store that already has its
// graph saved. Opens a copy of build-ours' file writable (default options), ingests 10 new
// vectors with metadata, closes. Reports close() time and what the write appended beyond the
// vectors and metadata themselves (manifest, witness, journal, graph, padding...).
import { statSync } from 'node:fs';
import { RvfStore } from '@rvfjs/runtime';
import { bytesByType, emit, job, loadFlat, now } from './cold-child.mjs';
import { oursMeta } from './data.mjs';

const { file, queriesPath, n, dim } = job;
const extra = loadFlat(queriesPath, 10, dim);
const extraIds = Array.from({ length: 10 }, (_, i) => n + i);
const extraMeta = oursMeta(n, n + 10);

/** Segment types that carry the vectors and metadata themselves (everything else is overhead). */
const DATA_TYPES = new Set(['vec', 'meta', 'rvfjs_metadata', 'rvfjs_field_names']);
const keyOf = (s) => `${s.id}@${s.offset}`;
const added = (before, after) => {
  const had = new Set(before.map(keyOf));
  return after.filter((s) => !had.has(keyOf(s)));
};
const listOf = (segs) => segs.map((s) => ({ segType: s.segType, bytes: s.payloadLength + 64 }));

const sizeBefore = statSync(file).size;
let t = now();
const store = await RvfStore.open(file);
const out = { openMs: now() - t, sizeBefore };
const before = store.segments();

t = now();
await store.ingestBatch(extra, extraIds, extraMeta);
out.ingestMs = now() - t;
out.sizeAfterIngest = statSync(file).size;
const afterIngest = store.segments();

t = now();
await store.close();
out.closeMs = now() - t;
out.sizeAfter = statSync(file).size;

// Untimed: the closed file's segment directory, compared with the one before the write.
const ro = await RvfStore.open(file, { readOnly: true });
const newSegs = added(before, ro.segments());
out.newSegments = listOf(newSegs);
out.newBytesByType = bytesByType(newSegs);
out.addedByIngest = listOf(added(before, afterIngest));
out.appendedBytes = out.sizeAfter - sizeBefore;
out.dataBytes = newSegs
  .filter((s) => DATA_TYPES.has(s.segType))
  .reduce((a, s) => a + s.payloadLength + 64, 0);
out.overheadBytes = out.appendedBytes - out.dataBytes;
emit(out);
