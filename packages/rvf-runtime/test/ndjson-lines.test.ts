/**
 * The NDJSON line splitter behind import(): lines come out whole however the chunks cut them
 * (inside a line, at a newline, inside a multi-byte character), and one very long line is
 * split in one pass (the old splitter searched the growing buffer from the start each time).
 */
import { describe, expect, it } from 'vitest';
import { lines } from '../src/ndjson.js';

async function* gen(parts: (string | Uint8Array)[]) {
  for (const p of parts) yield p;
}
async function all(parts: (string | Uint8Array)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines(gen(parts))) out.push(l);
  return out;
}

describe('lines()', () => {
  it('joins lines cut across chunks and keeps empty lines', async () => {
    expect(await all(['a\nb', 'c\n', '', 'd', 'e\nf\n\ng'])).toEqual(['a', 'bc', 'de', 'f', '', 'g']);
    expect(await all(['x\n'])).toEqual(['x']);
    expect(await all([])).toEqual([]);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const bytes = new TextEncoder().encode('{"t":"héllo"}\n{"t":"ø"}');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two-byte é
    expect(await all([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"t":"héllo"}', '{"t":"ø"}']);
  });

  it('splits a 32 MiB line arriving in 1 MiB chunks, and every line of a chunk of many', async () => {
    const chunk = 'x'.repeat(1 << 20);
    const got = await all([...Array.from({ length: 32 }, () => chunk), '\nend']);
    expect(got.map((l) => l.length)).toEqual([32 << 20, 3]);
    const many = Array.from({ length: 50_000 }, (_, i) => `{"id":${i}}`).join('\n');
    const split = await all([many]);
    expect(split).toHaveLength(50_000);
    expect(split[49_999]).toBe('{"id":49999}');
  });
});
