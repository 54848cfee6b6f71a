import { rvfError } from '@rvfjs/types';
import type { ByteSource } from './byte-source.js';

/** Options of blockCachedSource: the block size, the memory budget and the read-ahead. */
export interface BlockCacheOptions {
  /** Bytes per block: reads are rounded out to whole blocks (default 256 KiB). */
  blockSize?: number;
  /** Most bytes kept; least recently used blocks go first (default 16 MiB). */
  budgetBytes?: number;
  /**
   * After a read that had to fetch, also fetch up to this many bytes past it (default 2 MiB;
   * 0: none), so a reader going through the file finds its next read under way instead of
   * waiting a round trip for each one.
   */
  readAheadBytes?: number;
}

/** What a block-cached source has fetched and answered from memory so far. */
export interface BlockCacheStats {
  /** Reads asked of the source underneath (one per run of missing blocks). */
  requests: number;
  /** Bytes those reads returned. */
  bytesFetched: number;
  /** Blocks answered from the cache. */
  hits: number;
}

/**
 * A source that reads another in whole blocks and keeps recent blocks, for sources where each
 * read is a round trip (HTTP, object storage). A read's missing blocks are fetched together,
 * one request per run of consecutive missing blocks, and a block another read is already
 * fetching is waited for, not fetched twice. Reading a file from start to end therefore costs
 * about one request per read and the file's bytes once, while the small reads a load makes
 * around the same places (headers, the manifest, the tail) cost nothing after the first.
 */
export function blockCachedSource(
  source: ByteSource,
  options: BlockCacheOptions = {},
): ByteSource & { readonly stats: BlockCacheStats } {
  const blockSize = options.blockSize ?? 256 * 1024;
  const budget = options.budgetBytes ?? 16 * 1024 * 1024;
  const readAheadBlocks = Math.ceil((options.readAheadBytes ?? 2 * 1024 * 1024) / blockSize);
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw rvfError('InvalidArgument', `blockSize must be a positive integer, got ${blockSize}`);
  }
  const size = source.size;
  const blockCount = Math.ceil(size / blockSize);
  /** Blocks in least-recently-used order (Map keeps insertion order). */
  const cache = new Map<number, Uint8Array>();
  const inFlight = new Map<number, Promise<Uint8Array>>();
  let cachedBytes = 0;
  const stats: BlockCacheStats = { requests: 0, bytesFetched: 0, hits: 0 };

  const remember = (b: number, bytes: Uint8Array) => {
    cache.delete(b);
    cache.set(b, bytes);
    cachedBytes += bytes.length;
    for (const [old, kept] of cache) {
      if (cachedBytes <= budget) break;
      cache.delete(old);
      cachedBytes -= kept.length;
    }
  };

  /** Fetches blocks first..last (all missing) in one read, and hands each out. */
  const fetchRun = (first: number, last: number) => {
    const from = first * blockSize;
    const to = Math.min(size, (last + 1) * blockSize);
    stats.requests++;
    const whole = source.read(from, to - from).then((bytes) => {
      stats.bytesFetched += bytes.length;
      return bytes;
    });
    for (let b = first; b <= last; b++) {
      const at = (b - first) * blockSize;
      const block = whole.then((bytes) => bytes.slice(at, Math.min(bytes.length, at + blockSize)));
      inFlight.set(b, block);
      block.then(
        (bytes) => {
          inFlight.delete(b);
          remember(b, bytes);
        },
        () => inFlight.delete(b),
      );
    }
  };

  const blockAt = (b: number): Promise<Uint8Array> | Uint8Array => {
    const hit = cache.get(b);
    if (hit) {
      stats.hits++;
      cache.delete(b);
      cache.set(b, hit); // most recently used
      return hit;
    }
    // Evicted since this read scheduled its fetches (another read needed the room): again.
    if (!inFlight.has(b)) fetchRun(b, b);
    return inFlight.get(b)!;
  };

  const readInto = async (offset: number, target: Uint8Array): Promise<void> => {
    const length = target.length;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > size) {
      throw rvfError('TruncatedSegment', `read of ${length} bytes at ${offset} runs past the end (${size})`, {
        offset,
      });
    }
    if (length === 0) return;
    const first = Math.floor(offset / blockSize);
    const last = Math.min(blockCount - 1, Math.floor((offset + length - 1) / blockSize));
    // Runs of blocks neither cached nor being fetched: one read each.
    let fetched = false;
    for (let b = first; b <= last; b++) {
      if (cache.has(b) || inFlight.has(b)) continue;
      let end = b;
      while (end + 1 <= last && !cache.has(end + 1) && !inFlight.has(end + 1)) end++;
      fetchRun(b, end);
      fetched = true;
      b = end;
    }
    // Read ahead (one more request, not awaited) only after a miss: a reader working from
    // the cache needs none.
    if (fetched && readAheadBlocks > 0) {
      const from = last + 1;
      let end = from - 1;
      while (
        end + 1 < Math.min(blockCount, from + readAheadBlocks) &&
        !cache.has(end + 1) &&
        !inFlight.has(end + 1)
      )
        end++;
      if (end >= from) fetchRun(from, end);
    }
    for (let b = first; b <= last; b++) {
      const block = await blockAt(b);
      const blockStart = b * blockSize;
      const from = Math.max(offset, blockStart);
      const to = Math.min(offset + length, blockStart + block.length);
      target.set(block.subarray(from - blockStart, to - blockStart), from - offset);
    }
  };

  return {
    size,
    stats,
    readInto,
    async read(offset, length) {
      const out = new Uint8Array(length);
      await readInto(offset, out);
      return out;
    },
  };
}
