import { rvfError } from '@rvfjs/types';
import { describeValue } from './describe-value.js';
import { type InputRow, MAX_RECORD_BYTES } from './input-row.js';
import type { InputSource } from './input-source.js';

/** Before '[', after '[', after a ',', inside an element, after the closing ']'. */
type State = 'start' | 'first' | 'next' | 'element' | 'end';

/**
 * A JSON array of record objects, read element by element: a scanner tracks strings and
 * nesting to find where each top-level element ends, and only that element is held and
 * parsed, so a large array streams in bounded memory like NDJSON does. Elements are named
 * by index (from 0) and the line they start on.
 */
export async function* readJsonArray(source: InputSource): AsyncGenerator<InputRow> {
  const label = source.label;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let state: State = 'start';
  let line = 1;
  // The closing brackets the element owes, innermost last: a wrong one ends it at once.
  let closers: number[] = [];
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let partsLength = 0;
  let index = 0;
  let elementLine = 1;
  const fail = (why: string) =>
    rvfError('InvalidRecord', `${label} line ${line}: ${why}`, { input: label, line });

  const finish = (text: string): InputRow => {
    const where = `element ${index} (line ${elementLine})`;
    const details = { input: label, element: index, line: elementLine };
    index++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw rvfError('InvalidRecord', `${label} ${where}: not valid JSON (${(e as Error).message})`, details);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw rvfError(
        'InvalidRecord',
        `${label} ${where}: expected a JSON object, got ${describeValue(value)}`,
        details,
      );
    }
    return { fields: value as Record<string, unknown>, where };
  };

  for await (const chunk of source.chunks()) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw fail('not valid UTF-8');
    }
    // Where the element being read starts in this chunk's text.
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === 'element') {
        let ends = false;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
        } else if (c === 0x22) inString = true;
        else if (c === 0x7b) closers.push(0x7d);
        else if (c === 0x5b) closers.push(0x5d);
        else if (c === 0x7d || c === 0x5d) {
          if (closers.length === 0 && c === 0x5d)
            ends = true; // the array's own ']'
          else if (closers.pop() !== c) {
            // A bracket the element does not owe: JSON.parse says what is wrong with it.
            yield finish(parts.join('') + text.slice(from, i + 1));
          }
        } else if (c === 0x2c && closers.length === 0) ends = true;
        if (ends) {
          const elementText = parts.join('') + text.slice(from, i);
          parts = [];
          partsLength = 0;
          state = c === 0x5d ? 'end' : 'next';
          yield finish(elementText);
        }
      } else if (c === 0x0a || c === 0x0d || c === 0x20 || c === 0x09 || c === 0xfeff) {
        // whitespace (and a byte-order mark) between tokens
      } else if (state === 'start') {
        if (c !== 0x5b)
          throw fail("a JSON array must start with '[' (for one object per line, use --format ndjson)");
        state = 'first';
      } else if (state === 'end') {
        throw fail('unexpected text after the closing ]');
      } else if (c === 0x5d && state === 'first') {
        state = 'end';
      } else if (c === 0x5d) {
        throw fail("a trailing ',' before ']'");
      } else {
        state = 'element';
        elementLine = line;
        from = i;
        closers = [];
        inString = false;
        i--; // the element's first character is scanned as part of it
        continue;
      }
      if (c === 0x0a) line++;
    }
    if (state === 'element') {
      const tail = text.slice(from);
      partsLength += tail.length;
      if (partsLength > MAX_RECORD_BYTES) {
        throw rvfError(
          'InvalidRecord',
          `${label} element ${index} (line ${elementLine}) is longer than ${MAX_RECORD_BYTES / (1024 * 1024)} MiB`,
          { input: label, element: index, line: elementLine },
        );
      }
      parts.push(tail);
    }
  }
  // (TypeScript narrows `state` wrongly across the loop's yields.)
  const final = state as State;
  if (final === 'start') throw fail('the input is empty; expected a JSON array');
  if (final !== 'end') throw fail('the JSON array is not closed with ]');
}
