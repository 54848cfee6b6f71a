import { Readable } from 'node:stream';
import { rvfError } from '@rvfjs/types';
import { CsvError, type Info, parse } from 'csv-parse';
import { type InputRow, MAX_RECORD_BYTES } from './input-row.js';
import type { InputSource } from './input-source.js';

const INTEGER = /^-?(0|[1-9]\d*)$/;
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * CSV or TSV with a header row naming the columns, streamed through csv-parse (quoting,
 * embedded delimiters and newlines, a byte-order mark). Cells are text, so a cell that reads
 * as a JSON number becomes a number (a bigint beyond 2^53) and an empty cell is no value;
 * "007" or "1,5" stay strings. Rows are named by the line they end on.
 */
export async function* readCsv(source: InputSource, delimiter: string): AsyncGenerator<InputRow> {
  const label = source.label;
  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  const input = Readable.from(source.chunks(), { objectMode: false });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header: string[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (!header) {
        header = checkHeader(label, record, info.lines);
        continue;
      }
      const fields: Record<string, unknown> = {};
      header.forEach((name, i) => {
        const value = typedCell(record[i]!);
        if (value !== undefined) fields[name] = value;
      });
      yield { fields, where: `line ${info.lines}` };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof e.lines === 'number' ? e.lines : undefined;
      throw rvfError(
        'InvalidRecord',
        `${label}: ${e.message}`,
        { input: label, ...(line ? { line } : {}) },
        e,
      );
    }
    throw e;
  } finally {
    input.destroy();
  }
  if (!header)
    throw rvfError('InvalidRecord', `${label}: no header row (the input is empty)`, { input: label });
}

function checkHeader(label: string, names: string[], line: number): string[] {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name.trim() === '') {
      throw rvfError('InvalidRecord', `${label} line ${line}: header column ${i + 1} has no name`, {
        input: label,
        line,
      });
    }
    if (seen.has(name)) {
      throw rvfError('InvalidRecord', `${label} line ${line}: header names column '${name}' twice`, {
        input: label,
        line,
      });
    }
    seen.add(name);
  });
  return names;
}

export function typedCell(cell: string): string | number | bigint | undefined {
  if (cell === '') return undefined;
  if (INTEGER.test(cell)) {
    const n = Number(cell);
    return Number.isSafeInteger(n) ? n : BigInt(cell);
  }
  if (DECIMAL.test(cell)) {
    const n = Number(cell);
    if (Number.isFinite(n)) return n;
  }
  return cell;
}
