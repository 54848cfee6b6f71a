import { type FilterInput, parseFilter } from '@rvfjs/runtime';
import { RvfError } from '@rvfjs/types';
import { bareMessage } from './error-report.js';
import { UsageError, usageError } from './usage-error.js';

/** A field table that knows no names: enough for parseFilter to check a filter's structure. */
const NO_FIELDS = { idOf: () => undefined } as unknown as Parameters<typeof parseFilter>[1];

/**
 * `--filter`: JSON in the library's dialect, checked for structure (ops, operands) before a
 * store is opened, so a malformed filter is a usage error with FilterParseError's code.
 * Whether its fields exist in the store is checked later (filter-check.ts).
 */
export function parseFilterArgument(text: string): FilterInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usageError('FilterParseError', `--filter: not valid JSON (${(e as Error).message})`);
  }
  try {
    parseFilter(parsed, NO_FIELDS);
  } catch (e) {
    if (e instanceof RvfError) {
      // The library names the place in the filter ("filter.children[1]: ..."): make it the option.
      const m = bareMessage(e);
      throw new UsageError(e.code, m.startsWith('filter') ? `--${m}` : `--filter: ${m}`, e.details);
    }
    throw e;
  }
  return parsed as FilterInput;
}
