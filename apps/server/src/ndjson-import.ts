import type { IdInput, MetaObject, RvfStore } from '@rvfjs/runtime';
import { rvfError } from '@rvfjs/types';
import { PartialCommit } from './errors.js';
import { checkMetadataObject, checkVector, parseId } from './ingest-check.js';
import type { Limits } from './limits.js';
import { ndjsonLines } from './ndjson-lines.js';

interface ImportRecord {
  id: IdInput;
  vector: number[];
  metadata: MetaObject | undefined;
}

/** One line of the export format, `{ id, vector, metadata? }`, checked whole; messages name the line. */
function parseRecord(text: string, lineNo: number, dimension: number): ImportRecord {
  const where = `line ${lineNo}:`;
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (cause) {
    throw rvfError('InvalidRecord', `${where} not valid JSON (${(cause as Error).message})`);
  }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
    throw rvfError('InvalidRecord', `${where} expected an object`);
  const r = rec as Record<string, unknown>;
  const id = parseId(r.id, `${where} id`);
  const vector = checkVector(r.vector, dimension, `${where} vector`);
  checkMetadataObject(r.metadata, `${where} metadata`);
  return { id, vector, metadata: (r.metadata ?? undefined) as MetaObject | undefined };
}

/**
 * The server's import: NDJSON records from a byte stream, in batches bounded by count and
 * bytes, each checked whole before it is committed. The stream is read only as fast as
 * batches commit (the `for await` stops pulling while a batch is written), so a fast client
 * cannot make the server buffer its upload. The library's own import() is not used: its line
 * splitter is quadratic in a line's length and has no line limit, and its batches are bounded
 * by count only.
 *
 * A bad line fails the import. Batches before it stay committed; the failure then carries
 * what was (PartialCommit), so a client can tell "nothing happened" from "stopped at line N".
 */
export async function importNdjson(
  store: RvfStore,
  body: AsyncIterable<Uint8Array | string>,
  limits: Pick<Limits, 'importLineBytes' | 'importBatchRecords' | 'importBatchBytes'>,
): Promise<{ accepted: number; epoch: number }> {
  const dimension = store.dimension;
  let batch: ImportRecord[] = [];
  let batchBytes = 0;
  let accepted = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    batchBytes = 0;
    const hasMetadata = records.some((r) => r.metadata !== undefined);
    const result = await store.ingestBatch(
      records.map((r) => r.vector),
      records.map((r) => r.id),
      hasMetadata ? records.map((r) => r.metadata) : undefined,
    );
    accepted += result.accepted;
  };
  try {
    for await (const { lineNo, text } of ndjsonLines(body, limits.importLineBytes)) {
      if (text.trim() === '') continue;
      batch.push(parseRecord(text, lineNo, dimension));
      batchBytes += text.length;
      if (batch.length >= limits.importBatchRecords || batchBytes >= limits.importBatchBytes) await flush();
    }
    await flush();
  } catch (err) {
    if (accepted > 0) throw new PartialCommit(err, { accepted, epoch: store.epoch });
    throw err;
  }
  return { accepted, epoch: store.epoch };
}
