import { rvfError } from '@rvfjs/types';
import { type FileMetaData, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { InputRow } from './input-row.js';
import type { InputSource } from './input-source.js';

/**
 * A Parquet file through hyparquet, every compression codec included (hyparquet-compressors).
 * Parquet is read by ranges from its footer, so it is read one row group at a time: memory
 * holds one row group, not the file (stdin, which cannot seek, is held whole). `columns`
 * limits the read to the columns the ingest uses; rows are named by index from 0.
 */
export async function* readParquet(
  source: InputSource,
  columns: readonly string[] | undefined,
  onRowCount: (rows: number) => void = () => undefined,
): AsyncGenerator<InputRow> {
  const label = source.label;
  const file = await source.randomAccess();
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw rvfError(
      'InvalidRecord',
      `${label}: not a readable Parquet file (${(e as Error).message})`,
      { input: label },
      e,
    );
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  const missing = (columns ?? []).filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw rvfError(
      'InvalidRecord',
      `${label}: no column ${missing.map((c) => `'${c}'`).join(', ')} (its columns: ${names.join(', ')})`,
      { input: label },
    );
  }
  onRowCount(Number(metadata.num_rows));
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({
        file,
        metadata,
        rowStart,
        rowEnd,
        compressors,
        ...(columns ? { columns: [...columns] } : {}),
      });
    } catch (e) {
      throw rvfError(
        'InvalidRecord',
        `${label} rows ${rowStart}-${rowEnd - 1}: cannot be decoded (${(e as Error).message})`,
        { input: label, row: rowStart },
        e,
      );
    }
    for (let i = 0; i < rows.length; i++) yield { fields: rows[i]!, where: `row ${rowStart + i}` };
    rowStart = rowEnd;
  }
}
