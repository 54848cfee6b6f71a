import { describe, expect, it } from 'vitest';
import { ndjsonLines } from '../src/index.js';

async function collect(chunks: (string | Uint8Array)[], maxBytes = 1 << 20) {
  const out: [number, string][] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const { lineNo, text } of ndjsonLines(source(), maxBytes)) out.push([lineNo, text]);
  return out;
}

describe('ndjsonLines', () => {
  it('splits lines across and within chunks; blank lines count; CRLF and a missing last newline are fine', async () => {
    expect(await collect(['a\nb', 'c\n\nd\r\n', 'e'])).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [3, ''],
      [4, 'd'],
      [5, 'e'],
    ]);
    expect(await collect([])).toEqual([]);
    expect(await collect(['x\n'])).toEqual([[1, 'x']]);
  });

  it('decodes UTF-8 characters split between chunks', async () => {
    const bytes = Buffer.from('{"t":"héllo €"}\n', 'utf8');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of €
    expect(await collect([bytes.subarray(0, 9), bytes.subarray(9, cut), bytes.subarray(cut)])).toEqual([
      [1, '{"t":"héllo €"}'],
    ]);
  });

  it('refuses invalid UTF-8 with InvalidRecord naming the line', async () => {
    await expect(collect(['ok\n', Buffer.from([0x7b, 0xff, 0x7d, 0x0a])])).rejects.toMatchObject({
      name: 'InvalidRecord',
      message: expect.stringMatching(/line 2: not valid UTF-8/),
    });
  });

  it('takes a line of exactly the limit and refuses one byte more, before reading further', async () => {
    expect(await collect(['12345\n'], 5)).toEqual([[1, '12345']]);
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield 'abc';
      }
    }
    const lines = ndjsonLines(endless(), 10);
    await expect(lines.next()).rejects.toMatchObject({ statusCode: 413, name: 'LineTooLong' });
    // Refused at the chunk that passed the limit (the 4th: 12 bytes), not at the end of the input.
    expect(pulled).toBe(4);
  });

  it('is linear: a 30 MiB line in 64 KiB chunks splits in well under a second', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = Array.from({ length: 480 }, () => chunk);
    const started = performance.now();
    const lines = await collect([...chunks, '\nb\n'], 64 << 20);
    const ms = performance.now() - started;
    expect(lines.map(([n, t]) => [n, t.length])).toEqual([
      [1, 30 << 20],
      [2, 1],
    ]);
    // The quadratic splitter (append, then search from the start) took 4.5 s for this.
    expect(ms).toBeLessThan(1500);
  });
});
