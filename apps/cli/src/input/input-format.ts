import { extname } from 'node:path';
import { usageError } from '../usage-error.js';

export const INPUT_FORMATS = ['ndjson', 'json', 'csv', 'tsv', 'npy', 'parquet'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

const BY_EXTENSION: Record<string, InputFormat> = {
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.npy': 'npy',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

/**
 * The format of an ingest input: `--format` if given, else the file's extension, else its
 * first bytes (NumPy and Parquet have magic numbers; a JSON array starts with '[' and NDJSON
 * with '{'). CSV has no signature, so it needs its extension or `--format`.
 */
export function detectFormat(
  label: string,
  head: Uint8Array,
  explicit: InputFormat | undefined,
): InputFormat {
  if (explicit) return explicit;
  const ext = label === 'stdin' ? '' : extname(label).toLowerCase();
  const byExt = BY_EXTENSION[ext];
  if (byExt) return byExt;
  const sniffed = sniff(head);
  if (sniffed) return sniffed;
  throw usageError(
    'InvalidArgument',
    `cannot tell the format of ${label}; pass --format (${INPUT_FORMATS.join(', ')})`,
  );
}

function sniff(head: Uint8Array): InputFormat | undefined {
  const ascii = (at: number, text: string) => [...text].every((ch, i) => head[at + i] === ch.charCodeAt(0));
  if (head[0] === 0x93 && ascii(1, 'NUMPY')) return 'npy';
  if (ascii(0, 'PAR1')) return 'parquet';
  // Skip a UTF-8 byte-order mark and leading whitespace.
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09))
    i++;
  if (head[i] === 0x5b) return 'json';
  if (head[i] === 0x7b) return 'ndjson';
  return undefined;
}
