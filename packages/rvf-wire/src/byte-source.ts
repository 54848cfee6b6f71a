import { rvfError } from '@rvfjs/types';

/**
 * Where bytes come from. The decoders never care whether it is memory, a local file or
 * an HTTP server: they ask for (offset, length) and get exactly that many bytes or an
 * RvfError. `size` is the byte length at the time the source was made.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: fills `target` with the bytes at `offset`, so a reader can reuse one buffer
   * for many reads instead of getting a fresh one each time.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
}

function checkRange(size: number, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw rvfError('TruncatedSegment', `${what}: invalid read of ${length} bytes at ${offset}`, { offset });
  }
  if (offset + length > size) {
    throw rvfError(
      'TruncatedSegment',
      `${what}: read of ${length} bytes at ${offset} runs past the end (${size})`,
      {
        offset,
      },
    );
  }
}

/** A source over bytes already in memory. Reads are views, not copies. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(offset, length) {
      checkRange(bytes.length, offset, length, 'memory source');
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** The part of Node's `fs.promises.FileHandle` this package uses (duck-typed: no fs import). */
export interface ReadableFileHandle {
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number; buffer?: unknown }>;
}

/**
 * A source over an open file handle. The caller opens the handle (and knows its size),
 * so this package stays free of `fs` and works with anything shaped like a FileHandle.
 */
export function fileHandleSource(handle: ReadableFileHandle, size: number): ByteSource {
  const readInto = async (offset: number, out: Uint8Array): Promise<void> => {
    const length = out.length;
    checkRange(size, offset, length, 'file source');
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw rvfError(
          'TruncatedSegment',
          `file ended at ${offset + done} while reading ${length} bytes at ${offset}`,
          { offset: offset + done },
        );
      }
      done += bytesRead;
    }
  };
  return {
    size,
    readInto,
    async read(offset, length) {
      checkRange(size, offset, length, 'file source');
      const out = new Uint8Array(length);
      await readInto(offset, out);
      return out;
    },
  };
}

/** Options of httpSource: the fetch to use, request headers, and how failed requests are retried. */
export interface HttpSourceOptions {
  /** Defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
  /**
   * How often a failed request is tried again (default 4): a dropped connection, a 5xx, 408
   * or 429, or a body shorter than the range asked for. 0 turns retrying off.
   */
  retries?: number;
  /** The first wait before a retry, doubled each time, with jitter (default 50 ms). */
  retryDelayMs?: number;
}

/** Why one attempt failed, and whether another attempt may succeed. */
interface AttemptFailure {
  retry: boolean;
  code: 'IoFailed' | 'TruncatedSegment' | 'ManifestNotFound';
  message: string;
  cause?: unknown;
}

const failed = (f: AttemptFailure) => f;

/**
 * Runs `attempt` until it returns bytes, waiting `delay * 2^n` (±50%) between tries, so a
 * flaky server or a load balancer that cuts one connection costs a retry, not the query.
 * A failure that another attempt cannot fix (404, 416, a resource that shrank) ends at once.
 */
async function withRetries<T>(
  attempt: () => Promise<T | AttemptFailure>,
  isFailure: (r: T | AttemptFailure) => r is AttemptFailure,
  retries: number,
  delayMs: number,
  what: string,
  details: Record<string, unknown>,
): Promise<T> {
  for (let n = 0; ; n++) {
    const r = await attempt();
    if (!isFailure(r)) return r;
    if (!r.retry || n >= retries) {
      const tries = n + 1;
      throw rvfError(
        r.code,
        `${what}: ${r.message}${tries > 1 ? ` (after ${tries} attempts)` : ''}`,
        details,
        r.cause,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** n * (0.5 + Math.random())));
  }
}

const transientStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * A source over an HTTP(S) URL using range requests. The size comes from a HEAD request
 * (Content-Length), or from the Content-Range of a one-byte GET when HEAD gives none.
 * Transient failures are retried with backoff (see HttpSourceOptions.retries); what still
 * fails is an RvfError (IoFailed for the transport, TruncatedSegment for missing bytes).
 * A 206 must carry exactly the range asked for: bytes from elsewhere are never returned.
 */
export async function httpSource(url: string, options: HttpSourceOptions = {}): Promise<ByteSource> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const headers = options.headers ?? {};
  const retries = options.retries ?? 4;
  const delayMs = options.retryDelayMs ?? 50;
  if (!Number.isSafeInteger(retries) || retries < 0)
    throw rvfError('InvalidArgument', `retries must be a non-negative integer, got ${String(retries)}`);
  const size = await discoverSize(fetchFn, url, headers, retries, delayMs);
  const isFailure = (r: Uint8Array | AttemptFailure): r is AttemptFailure => !(r instanceof Uint8Array);

  const attempt = async (offset: number, length: number): Promise<Uint8Array | AttemptFailure> => {
    const last = offset + length - 1;
    let res: Response;
    try {
      res = await fetchFn(url, { headers: { ...headers, Range: `bytes=${offset}-${last}` } });
    } catch (e) {
      return failed({ retry: true, code: 'IoFailed', message: `request failed: ${describe(e)}`, cause: e });
    }
    if (res.status !== 206 && res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 416)
        return failed({
          retry: false,
          code: 'TruncatedSegment',
          message: 'the range is past the end (HTTP 416)',
        });
      return failed({
        retry: transientStatus(res.status),
        code: 'IoFailed',
        message: `the server answered HTTP ${res.status}`,
      });
    }
    if (res.status === 206) {
      // The range the server says it sent: it must be ours, or the bytes belong elsewhere.
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (m && (Number(m[1]) !== offset || Number(m[2]) !== last)) {
        await res.body?.cancel().catch(() => undefined);
        const shrank = m[3] !== '*' && Number(m[3]) < size;
        return failed({
          retry: !shrank,
          code: 'TruncatedSegment',
          message: shrank
            ? `the resource is ${m[3]} bytes now, not ${size}: got bytes ${m[1]}-${m[2]}`
            : `the server sent bytes ${m[1]}-${m[2]}`,
        });
      }
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      // The connection closed before the body was complete (undici: "terminated").
      return failed({
        retry: true,
        code: 'IoFailed',
        message: `the body was cut off: ${describe(e)}`,
        cause: e,
      });
    }
    // A server that ignores Range sends the whole file with 200; take our slice of it.
    const bytes = res.status === 200 ? body.subarray(offset, offset + length) : body;
    if (bytes.length !== length) {
      return failed({
        retry: res.status === 206 || body.length >= size,
        code: 'TruncatedSegment',
        message: `got ${bytes.length} bytes`,
      });
    }
    return bytes;
  };

  return {
    size,
    async read(offset, length) {
      checkRange(size, offset, length, url);
      if (length === 0) return new Uint8Array(0);
      return withRetries(
        () => attempt(offset, length),
        isFailure,
        retries,
        delayMs,
        `${url}: read of ${length} bytes at ${offset}`,
        { offset, url },
      );
    },
  };
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : String(err.message ?? e);
}

async function discoverSize(
  fetchFn: typeof globalThis.fetch,
  url: string,
  headers: Record<string, string>,
  retries: number,
  delayMs: number,
): Promise<number> {
  const isFailure = (r: number | AttemptFailure): r is AttemptFailure => typeof r !== 'number';
  const attempt = async (): Promise<number | AttemptFailure> => {
    try {
      const head = await fetchFn(url, { method: 'HEAD', headers });
      if (head.status === 404)
        return failed({ retry: false, code: 'ManifestNotFound', message: 'does not exist (HTTP 404)' });
      if (transientStatus(head.status))
        return failed({ retry: true, code: 'IoFailed', message: `HEAD answered HTTP ${head.status}` });
      const len = head.headers.get('content-length');
      if (head.ok && len !== null && /^\d+$/.test(len)) return Number(len);
      const probe = await fetchFn(url, { headers: { ...headers, Range: 'bytes=0-0' } });
      const range = probe.headers.get('content-range');
      await probe.arrayBuffer().catch(() => undefined);
      if (transientStatus(probe.status))
        return failed({ retry: true, code: 'IoFailed', message: `GET answered HTTP ${probe.status}` });
      const m = range ? /\/(\d+)\s*$/.exec(range) : null;
      if (!m)
        return failed({
          retry: false,
          code: 'ManifestNotFound',
          message: `cannot learn the resource size (HTTP ${probe.status})`,
        });
      return Number(m[1]);
    } catch (e) {
      return failed({ retry: true, code: 'IoFailed', message: `request failed: ${describe(e)}`, cause: e });
    }
  };
  return withRetries(attempt, isFailure, retries, delayMs, url, { url });
}
