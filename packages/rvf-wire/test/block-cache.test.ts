/**
 * blockCachedSource: reads come back byte-exact whatever their alignment; missing blocks are
 * fetched one request per run of consecutive blocks; cached blocks cost nothing; a block two
 * reads want at once is fetched once; the budget evicts least recently used blocks. The
 * independent answer is the bytes themselves, and a source that counts what it is asked.
 */
import { describe, expect, it } from 'vitest';
import { blockCachedSource, bytesSource } from '../src/index.js';

function counted(bytes: Uint8Array) {
  const inner = bytesSource(bytes);
  const asked: [number, number][] = [];
  return {
    asked,
    source: {
      size: inner.size,
      read: async (offset: number, length: number) => {
        asked.push([offset, length]);
        return (await inner.read(offset, length)).slice();
      },
    },
  };
}

const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7 + 3) & 0xff);

describe('blockCachedSource', () => {
  it('returns exactly the bytes asked for, at any offset and length', async () => {
    const { source } = counted(data);
    const cached = blockCachedSource(source, { blockSize: 64, budgetBytes: 1 << 20, readAheadBytes: 0 });
    for (const [offset, length] of [
      [0, 1],
      [63, 2],
      [100, 1000],
      [9_999, 1],
      [0, 10_000],
      [4_321, 0],
    ] as const) {
      expect(await cached.read(offset, length)).toEqual(data.subarray(offset, offset + length));
    }
    await expect(cached.read(9_990, 20)).rejects.toThrow(/past the end/);
  });

  it('fetches each run of missing blocks in one request, and nothing it already has', async () => {
    const { source, asked } = counted(data);
    const cached = blockCachedSource(source, { blockSize: 100, budgetBytes: 1 << 20, readAheadBytes: 0 });
    await cached.read(150, 300); // blocks 1..4: one request
    expect(asked).toEqual([[100, 400]]);
    await cached.read(120, 50); // block 1, cached
    expect(asked).toHaveLength(1);
    await cached.read(0, 1000); // block 0 and blocks 5..9: two runs
    expect(asked.slice(1)).toEqual([
      [0, 100],
      [500, 500],
    ]);
    expect(cached.stats).toMatchObject({ requests: 3, bytesFetched: 1000 });
    expect(cached.stats.hits).toBeGreaterThan(0);
  });

  it('two reads that want the same block at once fetch it once', async () => {
    const { source, asked } = counted(data);
    const cached = blockCachedSource(source, { blockSize: 100, budgetBytes: 1 << 20, readAheadBytes: 0 });
    const [a, b] = await Promise.all([cached.read(10, 20), cached.read(50, 20)]);
    expect(a).toEqual(data.subarray(10, 30));
    expect(b).toEqual(data.subarray(50, 70));
    expect(asked).toEqual([[0, 100]]);
  });

  it('keeps at most its budget, dropping the least recently used blocks', async () => {
    const { source, asked } = counted(data);
    const cached = blockCachedSource(source, { blockSize: 100, budgetBytes: 300, readAheadBytes: 0 });
    await cached.read(0, 100); // block 0
    await cached.read(100, 100); // block 1
    await cached.read(200, 100); // block 2
    await cached.read(0, 10); // block 0 used again: now most recent
    await cached.read(300, 100); // block 3 evicts block 1
    expect(asked).toHaveLength(4);
    await cached.read(0, 10); // still cached
    expect(asked).toHaveLength(4);
    await cached.read(100, 10); // evicted: fetched again
    expect(asked.at(-1)).toEqual([100, 100]);
  });

  it('reads ahead after a miss, so a reader going through the file waits for fewer round trips', async () => {
    const { source, asked } = counted(data);
    const cached = blockCachedSource(source, { blockSize: 100, budgetBytes: 1 << 20, readAheadBytes: 300 });
    await cached.read(0, 100); // block 0, and blocks 1..3 ahead
    expect(asked).toEqual([
      [0, 100],
      [100, 300],
    ]);
    await cached.read(100, 300); // all there already
    expect(asked).toHaveLength(2);
    await cached.read(400, 100); // a miss again: block 4, and 5..7 ahead
    expect(asked.slice(2)).toEqual([
      [400, 100],
      [500, 300],
    ]);
    // Never past the end.
    await cached.read(9_900, 100);
    expect(asked.at(-1)).toEqual([9_900, 100]);
  });
});
