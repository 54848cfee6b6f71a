import { RvfError } from '@rvfjs/types';
import type { CommandOutcome } from '../command-outcome.js';
import { bareMessage } from '../error-report.js';
import { BatchWriter } from '../input/batch-writer.js';
import { detectFormat, type InputFormat } from '../input/input-format.js';
import { openInput } from '../input/input-source.js';
import { readRows } from '../input/read-rows.js';
import { type ColumnMapping, RecordMapper } from '../input/record-mapper.js';
import { type ProgressChoice, type ProgressUpdate, startProgress } from '../progress.js';
import { withStore } from '../store-session.js';
import { formatCount } from '../table.js';
import { usageError } from '../usage-error.js';

export interface IngestOptions {
  format?: InputFormat;
  idColumn?: string;
  firstId?: number | bigint;
  vectorColumn?: string;
  vectorColumns?: string;
  metadataColumns?: string;
  /** False for `--no-metadata`. */
  metadata: boolean;
  delimiter?: string;
  batch: number;
  deferIndex?: boolean;
  progress?: ProgressChoice;
}

/** `ingest --json`. */
export interface IngestDocument {
  accepted: number;
  epoch: number;
  batches: number;
  input: string;
  format: InputFormat;
}

/**
 * Streams records from a file or stdin into the store, one commit per batch. A bad record
 * stops the command with a code naming the input and its line or row; the batches before it
 * stay committed, and the error says how many records that was.
 */
export async function ingestCommand(
  path: string,
  inputArg: string,
  o: IngestOptions,
): Promise<CommandOutcome> {
  const started = Date.now();
  const mapping = columnMapping(o);
  const source = await openInput(inputArg);
  const format = detectFormat(source.label, source.head, o.format);
  checkOptionsFit(format, o);
  // A .npy file has no id column: its rows are numbered.
  if (format === 'npy') mapping.firstId ??= 0;
  const result: IngestDocument = await withStore(
    path,
    { readOnly: false, deferIndex: o.deferIndex, progress: o.progress },
    async (store) => {
      const mapper = new RecordMapper(mapping, store.dimension, source.label);
      const writer = new BatchWriter(store, o.batch, source.label);
      let rowCount: number | undefined;
      const rows = readRows(format, source, {
        ...(o.delimiter !== undefined ? { delimiter: unescapeDelimiter(o.delimiter) } : {}),
        ...(format === 'parquet' ? { columns: mapper.columnsToRead() } : {}),
        onRowCount: (n) => {
          rowCount = n;
        },
      });
      let index = 0;
      const progress = (): ProgressUpdate =>
        rowCount !== undefined
          ? { done: index, total: rowCount }
          : source.size !== undefined
            ? { done: source.bytesRead, total: source.size, items: index }
            : { done: index };
      const bar = startProgress('Ingesting', 'records', o.progress);
      try {
        for await (const row of rows) {
          await writer.add(mapper.map(row, index));
          index++;
          if ((index & 1023) === 0) bar.update(progress());
        }
        await writer.flush();
        bar.update(progress());
      } catch (e) {
        throw withCommitCount(e, writer.accepted, store.epoch);
      } finally {
        bar.stop();
      }
      return {
        accepted: writer.accepted,
        epoch: store.epoch,
        batches: writer.batches,
        input: source.label,
        format,
      };
    },
  );
  return {
    json: result,
    human: () => {
      const seconds = (Date.now() - started) / 1000;
      // A rate over a fraction of a second mostly measures start-up.
      const rate = seconds >= 0.5 ? ` (${formatCount(Math.round(result.accepted / seconds))} records/s)` : '';
      return `Ingested ${formatCount(result.accepted)} records from ${result.input} (${result.format}) in ${result.batches} batch${result.batches === 1 ? '' : 'es'}${rate}; epoch ${result.epoch}`;
    },
  };
}

function columnMapping(o: IngestOptions): ColumnMapping {
  if (o.vectorColumn !== undefined && o.vectorColumns !== undefined) {
    throw usageError('InvalidArgument', 'give --vector-column or --vector-columns, not both');
  }
  if (o.idColumn !== undefined && o.firstId !== undefined) {
    throw usageError('InvalidArgument', 'give --id-column or --first-id, not both');
  }
  if (!o.metadata && o.metadataColumns !== undefined) {
    throw usageError('InvalidArgument', 'give --metadata-columns or --no-metadata, not both');
  }
  return {
    idColumn: o.idColumn ?? 'id',
    ...(o.firstId !== undefined ? { firstId: o.firstId } : {}),
    vectorColumn: o.vectorColumn ?? 'vector',
    ...(o.vectorColumns !== undefined
      ? { vectorColumns: columnList(o.vectorColumns, '--vector-columns') }
      : {}),
    ...(o.metadataColumns !== undefined
      ? { metadataColumns: columnList(o.metadataColumns, '--metadata-columns') }
      : {}),
    metadata: o.metadata,
  };
}

function columnList(text: string, option: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === ''))
    throw usageError('InvalidArgument', `${option}: '${text}' has an empty column name`);
  if (names.some((n, i) => n.endsWith('*') && (names.length > 1 || i > 0))) {
    throw usageError('InvalidArgument', `${option}: a prefix* pattern must be the only entry`);
  }
  return names;
}

/** A .npy file is a bare matrix, and only CSV/TSV have a delimiter. */
function checkOptionsFit(format: InputFormat, o: IngestOptions): void {
  if (format === 'npy') {
    const named = (
      [
        ['--id-column', o.idColumn],
        ['--vector-column', o.vectorColumn],
        ['--vector-columns', o.vectorColumns],
        ['--metadata-columns', o.metadataColumns],
      ] as const
    ).filter(([, v]) => v !== undefined);
    if (named.length > 0) {
      throw usageError(
        'InvalidArgument',
        `${named.map(([n]) => n).join(', ')}: a .npy file has no columns (its rows are the vectors; ids are --first-id, default 0, plus the row index)`,
      );
    }
  }
  if (o.delimiter !== undefined && format !== 'csv' && format !== 'tsv') {
    throw usageError('InvalidArgument', `--delimiter applies to csv and tsv input, not ${format}`);
  }
}

/** `--delimiter '\t'` as typed in a shell means a tab. */
function unescapeDelimiter(d: string): string {
  return d === '\\t' ? '\t' : d;
}

/** The same error, saying how much of the input was committed before it. */
function withCommitCount(e: unknown, committed: number, epoch: number): unknown {
  if (!(e instanceof RvfError)) return e;
  const note =
    committed === 1
      ? `; 1 record before it was committed (epoch ${epoch})`
      : committed > 1
        ? `; ${formatCount(committed)} records before it were committed (epoch ${epoch})`
        : '';
  return new RvfError(
    e.code,
    `${bareMessage(e)}${note}`,
    { ...e.details, committedRecords: committed, epoch },
    { cause: e },
  );
}
