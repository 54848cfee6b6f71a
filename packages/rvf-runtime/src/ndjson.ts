import { rvfError } from '@rvfjs/types';
import type { IdKey } from './ids.js';
import { type FieldTable, type MetaScalar, metadataToObject } from './metadata.js';
import type { VectorTable } from './vector-table.js';

/** One exported vector: the NDJSON line format of export() and import(). */
export interface ExportRecord {
  /** A number, or a decimal string for ids beyond 2^53 (JSON has no u64). */
  id: number | string;
  vector: number[];
  metadata?: Record<string, MetaScalar>;
}

export function recordLine(
  id: IdKey,
  vector: Float32Array,
  metadata: Record<string, MetaScalar> | undefined,
): string {
  const rec: ExportRecord = { id: typeof id === 'bigint' ? id.toString() : id, vector: Array.from(vector) };
  if (metadata) {
    const meta: Record<string, MetaScalar> = {};
    for (const [k, v] of Object.entries(metadata)) meta[k] = typeof v === 'bigint' ? v.toString() : v;
    rec.metadata = meta;
  }
  return JSON.stringify(rec);
}

/** Parses one NDJSON line; line numbers are 1-based for messages. */
export function parseRecordLine(
  line: string,
  lineNo: number,
): { id: IdKey; vector: number[]; metadata?: Record<string, MetaScalar> } {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch (cause) {
    throw rvfError('InvalidRecord', `line ${lineNo}: not valid JSON (${(cause as Error).message})`);
  }
  if (rec === null || typeof rec !== 'object')
    throw rvfError('InvalidRecord', `line ${lineNo}: expected an object`);
  const r = rec as Record<string, unknown>;
  let id: IdKey;
  if (typeof r.id === 'number') id = r.id;
  else if (typeof r.id === 'string' && /^\d+$/.test(r.id)) id = BigInt(r.id);
  else throw rvfError('InvalidRecord', `line ${lineNo}: id must be a number or a decimal string`);
  if (!Array.isArray(r.vector))
    throw rvfError('DimensionMismatch', `line ${lineNo}: vector must be an array of numbers`);
  const out: { id: IdKey; vector: number[]; metadata?: Record<string, MetaScalar> } = {
    id,
    vector: r.vector as number[],
  };
  if (r.metadata !== undefined) {
    if (r.metadata === null || typeof r.metadata !== 'object' || Array.isArray(r.metadata)) {
      throw rvfError('InvalidRecord', `line ${lineNo}: metadata must be an object`);
    }
    out.metadata = r.metadata as Record<string, MetaScalar>;
  }
  return out;
}

/**
 * Splits a stream of text chunks into lines (no trailing newline needed), in time linear in
 * the stream's length: each chunk is searched once, from where the last search stopped, and a
 * line's pieces are joined once, when it is complete. (Appending every chunk to one string and
 * searching it from the start again is quadratic in a line's length.)
 */
export async function* lines(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let pending: string[] = [];
  for await (const c of chunks) {
    const text = typeof c === 'string' ? c : dec.decode(c, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      pending.push(text.slice(start, nl));
      yield pending.length === 1 ? pending[0]! : pending.join('');
      pending = [];
      start = nl + 1;
    }
    if (start < text.length) pending.push(text.slice(start));
  }
  const rest = dec.decode();
  if (rest.length > 0) pending.push(rest);
  if (pending.length > 0) yield pending.join('');
}

/** Every visible vector of a table as NDJSON lines (newline-terminated), in ordinal order. */
export function* exportLines(table: VectorTable, fields: FieldTable): Generator<string> {
  for (let ord = 0; ord < table.count; ord++) {
    if (!table.isLive(ord)) continue;
    const meta = table.metadata.get(ord);
    yield `${recordLine(table.idOf(ord), table.vectorOf(ord), meta ? metadataToObject(meta, fields) : undefined)}\n`;
  }
}

/** One batch of parsed records, as ingestBatch takes them. */
export type RecordBatch = {
  vectors: number[][];
  ids: IdKey[];
  metadata: (Record<string, MetaScalar> | undefined)[] | undefined;
};

/**
 * Parses NDJSON records (from an array of lines, or a stream of text chunks) and hands them to
 * `ingest` in batches of `batchSize`; a bad line stops the import after the batches before it.
 * Returns how many records the batches accepted.
 */
export async function importRecords(
  source: AsyncIterable<string | Uint8Array> | readonly string[],
  batchSize: number,
  ingest: (batch: RecordBatch) => Promise<number>,
): Promise<number> {
  let vectors: number[][] = [];
  let ids: IdKey[] = [];
  let metas: (Record<string, MetaScalar> | undefined)[] = [];
  let accepted = 0;
  const flush = async () => {
    if (ids.length === 0) return;
    const hasMeta = metas.some((m) => m !== undefined);
    accepted += await ingest({ vectors, ids, metadata: hasMeta ? metas : undefined });
    vectors = [];
    ids = [];
    metas = [];
  };
  let lineNo = 0;
  const input = Array.isArray(source)
    ? (source as readonly string[])
    : lines(source as AsyncIterable<string | Uint8Array>);
  for await (const line of input) {
    lineNo++;
    if (line.trim() === '') continue;
    const rec = parseRecordLine(line, lineNo);
    vectors.push(rec.vector);
    ids.push(rec.id);
    metas.push(rec.metadata);
    if (ids.length >= batchSize) await flush();
  }
  await flush();
  return accepted;
}
