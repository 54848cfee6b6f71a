import { rvfError } from '@rvfjs/types';
import { describeValue } from './describe-value.js';
import type { InputRow } from './input-row.js';
import type { InputSource } from './input-source.js';
import { splitLines } from './line-splitter.js';

/** NDJSON (JSON Lines): one object per line, blank lines skipped; the format `rvf export` writes. */
export async function* readNdjson(source: InputSource): AsyncGenerator<InputRow> {
  for await (const { text, line } of splitLines(source.chunks(), source.label)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw rvfError(
        'InvalidRecord',
        `${source.label} line ${line}: not valid JSON (${(e as Error).message})`,
        {
          input: source.label,
          line,
        },
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw rvfError(
        'InvalidRecord',
        `${source.label} line ${line}: expected a JSON object, got ${describeValue(value)}`,
        {
          input: source.label,
          line,
        },
      );
    }
    yield { fields: value as Record<string, unknown>, where: `line ${line}` };
  }
}
