import { readCsv } from './csv-reader.js';
import type { InputFormat } from './input-format.js';
import type { InputRow } from './input-row.js';
import type { InputSource } from './input-source.js';
import { readJsonArray } from './json-array-reader.js';
import { readNdjson } from './ndjson-reader.js';
import { readNpy } from './npy-reader.js';
import { readParquet } from './parquet-reader.js';

export interface ReadRowsOptions {
  /** CSV/TSV: the field separator (default "," and a tab). */
  delimiter?: string;
  /** Parquet: read only these columns (undefined: all). */
  columns?: string[];
  /** NumPy and Parquet know their row count up front: it sizes the progress bar. */
  onRowCount?: (rows: number) => void;
}

/** The reader for a format: every one yields InputRows, one per record, in input order. */
export function readRows(
  format: InputFormat,
  source: InputSource,
  o: ReadRowsOptions = {},
): AsyncGenerator<InputRow> {
  switch (format) {
    case 'ndjson':
      return readNdjson(source);
    case 'json':
      return readJsonArray(source);
    case 'csv':
      return readCsv(source, o.delimiter ?? ',');
    case 'tsv':
      return readCsv(source, o.delimiter ?? '\t');
    case 'npy':
      return readNpy(source, (h) => o.onRowCount?.(h.rows));
    case 'parquet':
      return readParquet(source, o.columns, o.onRowCount);
  }
}
