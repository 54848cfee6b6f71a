import { RvfError, rvfError } from '@rvfjs/types';
import { type BlockCacheOptions, type ByteSource, blockCachedSource, httpSource } from '@rvfjs/wire';
import type { StoreFileHandle, StoreFileSystem } from './file-system.js';

/** True for the paths a store opens over HTTP(S) rather than from the local disk. */
export function isRemotePath(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/** What sourceFileSystem's opener returns: a source, or a source and the file's identity. */
export type OpenedSource = ByteSource | { source: ByteSource; identity: number };

/**
 * A read-only StoreFileSystem over byte sources, for stores that live elsewhere (an HTTP
 * server or CDN, an S3 object, a namespace in object storage). Opening a path asks
 * `openSource` for a source; the store then reads it like a local file, without a copy on
 * the local disk. Everything that would change the file is refused with ReadOnly, whose
 * message ends with `readOnlyReason`. `identity` (stat's `ino`, default 0) lets refresh()
 * tell a new version from the old one when both have the same size.
 */
export function sourceFileSystem(
  openSource: (path: string) => Promise<OpenedSource>,
  options: { readOnlyReason?: string } = {},
): StoreFileSystem {
  const reason = options.readOnlyReason ?? 'a store opened from a URL is read-only';
  const readOnly = (what: string) => rvfError('ReadOnly', `${what}: ${reason}`);
  const open = async (path: string): Promise<StoreFileHandle> => {
    let source: ByteSource;
    let identity = 0;
    try {
      const opened = await openSource(path);
      if ('source' in opened) ({ source, identity } = opened);
      else source = opened;
    } catch (e) {
      // A refused or unreachable server is the OS's error for a remote file: coded, with cause.
      throw RvfError.is(e)
        ? e
        : rvfError('IoFailed', `cannot open ${path}: ${(e as Error).message}`, { path }, e);
    }
    return {
      fd: -1, // no descriptor: readers go through read()
      async read(buffer, offset, length, position) {
        const target = buffer.subarray(offset, offset + length);
        try {
          if (source.readInto) await source.readInto(position, target);
          else target.set(await source.read(position, length));
        } catch (e) {
          throw RvfError.is(e) ? e : rvfError('IoFailed', `${path}: ${(e as Error).message}`, { path }, e);
        }
        return { bytesRead: length };
      },
      stat: async () => ({ size: source.size, ino: identity }),
      close: async () => undefined,
      write: async () => {
        throw readOnly(path);
      },
      sync: async () => {
        throw readOnly(path);
      },
      truncate: async () => {
        throw readOnly(path);
      },
    };
  };
  return {
    async open(path, flags) {
      if (flags !== 'r') throw readOnly(path);
      return open(path);
    },
    async stat(path) {
      const handle = await open(path);
      return handle.stat();
    },
    link: async (_, path) => {
      throw readOnly(path);
    },
    rename: async (_, to) => {
      throw readOnly(to);
    },
    remove: async (path) => {
      throw readOnly(path);
    },
    syncDir: async (path) => {
      throw readOnly(path);
    },
  };
}

/** Options for opening a store at an http(s):// URL: request headers and the read cache. */
export interface HttpStoreOptions {
  /** Extra request headers (say, authorization). */
  headers?: Record<string, string>;
  /** Block size and byte budget of the read cache (defaults 256 KiB and 16 MiB). */
  cache?: BlockCacheOptions;
  /** Defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Retries of a failed request: a dropped connection, 5xx, 408, 429, a short body (default 4). */
  retries?: number;
  /** The first wait before a retry, doubled each time (default 50 ms). */
  retryDelayMs?: number;
}

/** Stores at http(s):// URLs, read with range requests through a block cache. */
export function httpFileSystem(options: HttpStoreOptions = {}): StoreFileSystem {
  return sourceFileSystem(async (url) =>
    blockCachedSource(
      await httpSource(url, {
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.retries !== undefined ? { retries: options.retries } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      }),
      options.cache,
    ),
  );
}

/** True for s3://bucket/key paths. */
export function isS3Path(path: string): boolean {
  return /^s3:\/\//i.test(path);
}

/** Options for opening a store at an s3:// URL: the client or how to make one, and the read cache. */
export interface S3StoreOptions {
  /** A configured S3Client to use; otherwise one is made from the fields below. */
  client?: unknown;
  /** The service endpoint, e.g. http://127.0.0.1:7480 (default: the SDK's, from AWS_ENDPOINT_URL or AWS). */
  endpoint?: string;
  /** Default: the SDK's (AWS_REGION), else us-east-1. */
  region?: string;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles…). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (bucket in the path), which most S3-compatible servers need. Default: true with an endpoint. */
  forcePathStyle?: boolean;
  cache?: BlockCacheOptions;
}

type S3Module = typeof import('@aws-sdk/client-s3');

async function loadS3(): Promise<S3Module> {
  try {
    return await import('@aws-sdk/client-s3');
  } catch (e) {
    throw rvfError(
      'PlatformUnsupported',
      'opening an s3:// store needs the optional package @aws-sdk/client-s3 (npm i @aws-sdk/client-s3)',
      {},
      e,
    );
  }
}

/** Splits s3://bucket/key/with/slashes. */
function parseS3Path(path: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/i.exec(path);
  if (!m) throw rvfError('InvalidArgument', `${path} is not an s3://bucket/key path`);
  return { bucket: m[1]!, key: m[2]! };
}

/** Tries of a ranged GET whose body fails or comes up short. */
const S3_BODY_ATTEMPTS = 3;

/** An object in S3 as a byte source: HeadObject for its size, a ranged GetObject per read. */
async function s3Source(
  s3: S3Module,
  client: InstanceType<S3Module['S3Client']>,
  path: string,
): Promise<ByteSource> {
  const { bucket, key } = parseS3Path(path);
  let size: number;
  try {
    const head = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key }));
    size = Number(head.ContentLength ?? 0);
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw rvfError('ManifestNotFound', `${path} does not exist`, { path });
    throw rvfError('IoFailed', `cannot open ${path}: ${(e as Error).message}`, { path }, e);
  }
  return {
    size,
    // Reads arrive through blockCachedSource, which has checked them against `size`.
    async read(offset, length) {
      if (length === 0) return new Uint8Array(0);
      // The SDK retries a request that fails (5xx, a refused connection); a body cut off
      // while it streams fails after the SDK is done, so that is retried here.
      for (let attempt = 1; ; attempt++) {
        let bytes: Uint8Array;
        try {
          const res = await client.send(
            new s3.GetObjectCommand({
              Bucket: bucket,
              Key: key,
              Range: `bytes=${offset}-${offset + length - 1}`,
            }),
          );
          bytes = await res.Body!.transformToByteArray();
        } catch (e) {
          const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (attempt < S3_BODY_ATTEMPTS && (status === undefined || status >= 500)) continue;
          throw rvfError(
            'IoFailed',
            `${path}: read of ${length} bytes at ${offset}: ${(e as Error).message}`,
            { path },
            e,
          );
        }
        if (bytes.length === length) return bytes;
        if (attempt < S3_BODY_ATTEMPTS) continue;
        throw rvfError(
          'TruncatedSegment',
          `${path}: asked for ${length} bytes at ${offset}, got ${bytes.length}`,
          { offset },
        );
      }
    },
  };
}

/** Stores at s3://bucket/key, read with ranged GETs through a block cache (`@aws-sdk/client-s3`). */
export function s3FileSystem(options: S3StoreOptions = {}): StoreFileSystem {
  let client: Promise<{ s3: S3Module; client: InstanceType<S3Module['S3Client']> }> | undefined;
  const connect = () => {
    client ??= loadS3().then((s3) => ({
      s3,
      client:
        (options.client as InstanceType<S3Module['S3Client']> | undefined) ??
        new s3.S3Client({
          region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
          // Checksums only where the API needs them: S3-compatible servers (Ceph RGW 16)
          // refuse the SDK's default checksummed uploads, and ranged GETs carry none.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }),
    }));
    return client;
  };
  return sourceFileSystem(async (path) => {
    const { s3, client: c } = await connect();
    return blockCachedSource(await s3Source(s3, c, path), options.cache);
  });
}
