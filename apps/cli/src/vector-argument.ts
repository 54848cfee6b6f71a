import { usageError } from './usage-error.js';

/**
 * The query vector given on the command line: a JSON array (`[1, 0, 0]`) or plain
 * comma-separated numbers (`1,0,0`). Its length is checked by the store, which knows the
 * dimension.
 */
export function parseVectorArgument(text: string): number[] {
  const trimmed = text.trim();
  let values: unknown[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw usageError('InvalidArgument', `--vector: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw usageError('InvalidArgument', '--vector: expected an array of numbers');
    values = parsed;
  } else {
    values = trimmed === '' ? [] : trimmed.split(',').map((t) => (t.trim() === '' ? Number.NaN : Number(t)));
  }
  if (values.length === 0) throw usageError('InvalidArgument', '--vector: the vector is empty');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw usageError('InvalidArgument', `--vector: component ${i} (${String(v)}) is not a finite number`);
    }
  });
  return values as number[];
}
