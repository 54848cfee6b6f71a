import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { RvfError, rvfError } from '@rvfjs/types';

/** Where the S3 API is and who we are to it; every field falls back to the usual environment. */
export interface S3ConnectOptions {
  /** A configured client to use as it is; the fields below are then ignored. */
  client?: S3Client;
  /** e.g. http://127.0.0.1:7480 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS). */
  endpoint?: string;
  /** Default: AWS_REGION, else us-east-1. */
  region?: string;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles…). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bucket in the path rather than the host name (default: true when there is an endpoint). */
  forcePathStyle?: boolean;
}

/**
 * A bucket and a key prefix: the root under which namespaces, their objects, reference
 * markers and locks live (see layout.ts). Made by objectStore().
 */
export interface ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  /** '' or a prefix ending in '/'. */
  readonly prefix: string;
  /** s3://bucket/prefix, for messages. */
  readonly url: string;
}

/** An S3 client set up for S3-compatible servers as well as AWS. */
export function s3Client(options: S3ConnectOptions = {}): S3Client {
  if (options.client) return options.client;
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    // Checksums only where the API requires them: Ceph RGW 16 answers the SDK's default
    // checksummed uploads with 411, and our bodies are buffers whose length is known.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The root at s3://bucket/prefix (the prefix may be empty). */
export function objectStore(url: string, options: S3ConnectOptions = {}): ObjectStore {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]!)) {
    throw rvfError('InvalidArgument', `${url} is not an s3://bucket[/prefix] location`, { url });
  }
  const bucket = m[1]!;
  const rest = m[2]!.replace(/\/+$/, '');
  const prefix = rest === '' ? '' : `${rest}/`;
  return { client: s3Client(options), bucket, prefix, url: `s3://${bucket}/${prefix}`.replace(/\/$/, '') };
}

export const statusOf = (e: unknown): number | undefined =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** A failed S3 call as an RvfError naming the key (a 404 of a bucket is ManifestNotFound). */
export function s3Failure(store: ObjectStore, key: string, what: string, e: unknown): RvfError {
  if (RvfError.is(e)) return e;
  const where = `s3://${store.bucket}/${key}`;
  if (statusOf(e) === 404)
    return rvfError('ManifestNotFound', `${where}: ${what}: ${(e as Error).message}`, { key }, e);
  return rvfError('IoFailed', `${where}: ${what}: ${(e as Error).message}`, { key }, e);
}

/** ETags as RGW 16 accepts them in If-Match: without the quotes. */
const bareEtag = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** An object's bytes and ETag, or undefined when there is no such key. */
export async function getObject(
  store: ObjectStore,
  key: string,
): Promise<{ bytes: Uint8Array; etag: string } | undefined> {
  try {
    const res = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    return { bytes: await res.Body!.transformToByteArray(), etag: bareEtag(res.ETag) };
  } catch (e) {
    if ((e as Error).name === 'NoSuchKey') return undefined;
    if (statusOf(e) === 404 && (e as Error).name !== 'NoSuchBucket') return undefined;
    throw s3Failure(store, key, 'read failed', e);
  }
}

/** Tries of a ranged read whose body fails or comes up short (the SDK retries the request itself). */
const RANGE_ATTEMPTS = 3;

/** `length` bytes of an object from `offset`, or an RvfError; never fewer bytes. */
export async function getRange(
  store: ObjectStore,
  key: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  for (let attempt = 1; ; attempt++) {
    let bytes: Uint8Array;
    try {
      const res = await store.client.send(
        new GetObjectCommand({
          Bucket: store.bucket,
          Key: key,
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
      );
      bytes = await res.Body!.transformToByteArray();
    } catch (e) {
      const status = statusOf(e);
      if (attempt < RANGE_ATTEMPTS && (status === undefined || status >= 500)) continue;
      throw s3Failure(store, key, `read of ${length} bytes at ${offset}`, e);
    }
    if (bytes.length === length) return bytes;
    if (attempt < RANGE_ATTEMPTS) continue;
    throw rvfError(
      'TruncatedSegment',
      `s3://${store.bucket}/${key}: asked for ${length} bytes at ${offset}, got ${bytes.length}`,
      { key, offset },
    );
  }
}

/** An unconditional PUT (reference markers, whose content does not matter). */
export async function putObject(store: ObjectStore, key: string, body: Uint8Array): Promise<void> {
  try {
    await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body }));
  } catch (e) {
    throw s3Failure(store, key, 'write failed', e);
  }
}

/**
 * The outcome of a conditional PUT. `unknown`: the server failed (RGW 16 answers some losers
 * of an If-Match race with 500, and a dropped connection says nothing), so the caller must
 * read the key back to learn whether its write is the one there.
 */
export type ConditionalResult = 'won' | 'lost' | 'unknown';

/**
 * PUT only if the key does not exist (If-None-Match: *), or only if its ETag is still
 * `ifMatch`. Atomic on RGW 16 and on AWS S3: of racing writers exactly one wins.
 */
export async function putConditional(
  store: ObjectStore,
  key: string,
  body: Uint8Array,
  condition: { ifNoneMatch: '*' } | { ifMatch: string },
): Promise<ConditionalResult> {
  try {
    await store.client.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: key,
        Body: body,
        ...('ifMatch' in condition ? { IfMatch: bareEtag(condition.ifMatch) } : { IfNoneMatch: '*' }),
      }),
    );
    return 'won';
  } catch (e) {
    const status = statusOf(e);
    // 412 Precondition Failed; 409 ConditionalRequestConflict (AWS, a race in progress).
    if (status === 412 || status === 409) return 'lost';
    if (status === undefined || status >= 500) return 'unknown';
    throw s3Failure(store, key, 'conditional write failed', e);
  }
}

export async function deleteObject(store: ObjectStore, key: string): Promise<void> {
  try {
    await store.client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }));
  } catch (e) {
    if (statusOf(e) === 404) return;
    throw s3Failure(store, key, 'delete failed', e);
  }
}

/** A server-side copy (no bytes pass through this process). */
export async function copyObject(store: ObjectStore, from: string, to: string): Promise<void> {
  try {
    await store.client.send(
      new CopyObjectCommand({
        Bucket: store.bucket,
        Key: to,
        CopySource: `${store.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
      }),
    );
  } catch (e) {
    throw s3Failure(store, from, `copy to ${to} failed`, e);
  }
}

/** Every key under `prefix`, in key order (all pages). */
export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let res: ListObjectsV2CommandOutput;
    try {
      res = await store.client.send(
        new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }),
      );
    } catch (e) {
      throw s3Failure(store, prefix, 'list failed', e);
    }
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}
