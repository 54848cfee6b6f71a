/**
 * Read-only stores in S3, against a real S3 server: Ceph RADOS Gateway from Debian, started on
 * 127.0.0.1 by scripts/rgw/start.sh (through @rvfjs/test-kit's startRgw, which installs Ceph's
 * packages when they are missing and this runs as root, as in CI; elsewhere a missing gateway
 * fails this file, it is not skipped). A store uploaded as an object answers exactly as the
 * local file, a newer upload is picked up by refresh(), and a missing object or bucket is a
 * typed error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { rgwClientConfig, startRgw, stopRgw } from '@rvfjs/test-kit';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, RvfStore, type S3StoreOptions } from '../src/index.js';
import { clustered, tempDir } from './helpers.js';

const work = tempDir('rvfjs-s3-');
const N = 2000;
const DIM = 16;
const path = join(work.dir, 'store.rvf');
let s3: S3StoreOptions;
let client: S3Client;
/** Of its own: another test run may share the gateway. */
const BUCKET = `stores-${process.pid}`;

async function upload(key: string, file: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: readFileSync(file) }));
}

beforeAll(async () => {
  const env = startRgw();
  s3 = {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    credentials: { accessKeyId: env.S3_ACCESS_KEY, secretAccessKey: env.S3_SECRET_KEY },
  };
  client = new S3Client(rgwClientConfig(env));
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const w = await RvfStore.create(path, { dimension: DIM });
  await w.ingestBatch(
    clustered(N, DIM, 1),
    [...Array(N).keys()],
    [...Array(N).keys()].map((i) => ({ cat: i % 5 })),
  );
  await w.close(); // with its saved graph
  await upload('team/products.rvf', path);
}, 600_000);

afterAll(() => {
  client?.destroy();
  stopRgw();
  work.cleanup();
});

const ids = (hits: { id: unknown }[]) => hits.map((h) => Number(h.id));

async function rejection(p: Promise<unknown>): Promise<RvfError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RvfError);
  return e as RvfError;
}

describe('a store opened at s3://bucket/key (Ceph RADOS Gateway on 127.0.0.1)', () => {
  it('answers as the local file does, with its saved graph', async () => {
    const local = await RvfStore.open(path, { readOnly: true });
    const remote = await RvfStore.open(`s3://${BUCKET}/team/products.rvf`, { readOnly: true, s3 });
    await remote.waitForIndex();
    expect(remote.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    const queries = clustered(10, DIM, 2);
    for (let q = 0; q < 10; q++) {
      const query = queries.subarray(q * DIM, (q + 1) * DIM);
      expect(ids(await remote.query(query, 10))).toEqual(ids(await local.query(query, 10)));
      const filtered = await remote.query(query, 5, { filter: F.eq('cat', q % 5) });
      expect(filtered).toHaveLength(5);
      expect(ids(filtered)).toEqual(ids(await local.query(query, 5, { filter: F.eq('cat', q % 5) })));
    }
    expect(remote.get(42)?.vector).toEqual(local.get(42)?.vector);
    await remote.close();
    await local.close();
  });

  it('refresh() picks up a newer upload of the object', async () => {
    const remote = await RvfStore.open(`s3://${BUCKET}/team/products.rvf`, { readOnly: true, s3 });
    expect(await remote.refresh()).toBe(false);
    const w = await RvfStore.open(path);
    await w.ingestBatch(clustered(2, DIM, 3), [N, N + 1]);
    await w.close();
    await upload('team/products.rvf', path);
    expect(await remote.refresh()).toBe(true);
    expect(remote.status().totalVectors).toBe(N + 2);
    await remote.close();
  });

  it('a missing object, a missing bucket and a writable open are typed errors', async () => {
    expect(
      (await rejection(RvfStore.open(`s3://${BUCKET}/team/nope.rvf`, { readOnly: true, s3 }))).code,
    ).toBe(ErrorCode.ManifestNotFound);
    expect((await rejection(RvfStore.open('s3://no-such-bucket/x.rvf', { readOnly: true, s3 }))).code).toBe(
      ErrorCode.ManifestNotFound,
    );
    expect((await rejection(RvfStore.open(`s3://${BUCKET}/team/products.rvf`, { s3 }))).code).toBe(
      ErrorCode.InvalidArgument,
    );
  });
});
