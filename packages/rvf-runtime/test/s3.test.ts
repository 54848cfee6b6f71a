/**
 * Read-only stores in S3, against a real S3 server: Ceph RADOS Gateway from Debian, started on
 * 127.0.0.1 by ../shared/s3/start-rgw.sh (its packages are installed here when missing and
 * this runs as root, as in CI; elsewhere a missing gateway fails this file, it is not skipped).
 * A store uploaded as an object answers exactly as the local file, a newer upload is picked up
 * by refresh(), and a missing object or bucket is a typed error.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, RvfStore, type S3StoreOptions } from '../src/index.js';
import { clustered, tempDir } from './helpers.js';

const S3_DIR = resolve(import.meta.dirname, '../../../../shared/s3');
const work = tempDir('rvfjs-s3-');
const N = 2000;
const DIM = 16;
const path = join(work.dir, 'store.rvf');
let s3: S3StoreOptions;
let client: S3Client;

/** Starts the gateway (installing Ceph's packages first if this is a root CI machine without them). */
function startGateway(): Record<string, string> {
  if (!existsSync(join(S3_DIR, 'start-rgw.sh')))
    throw new Error(`${S3_DIR}/start-rgw.sh is missing: clone next to shared/`);
  const has = () => {
    try {
      execSync('command -v radosgw', { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!has() && process.getuid?.() === 0) {
    execSync(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common',
      { stdio: 'ignore', timeout: 600_000 },
    );
  }
  if (!has()) {
    throw new Error(
      'radosgw is not installed: apt-get install radosgw ceph-mon ceph-osd ceph-common (as root), then run the tests again',
    );
  }
  const out = execFileSync('bash', [join(S3_DIR, 'start-rgw.sh')], { encoding: 'utf8', timeout: 180_000 });
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^S3_\w+=/.test(l))
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

async function upload(key: string, file: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: 'stores', Key: key, Body: readFileSync(file) }));
}

beforeAll(async () => {
  const env = startGateway();
  s3 = {
    endpoint: env.S3_ENDPOINT!,
    region: env.S3_REGION!,
    credentials: { accessKeyId: env.S3_ACCESS_KEY!, secretAccessKey: env.S3_SECRET_KEY! },
  };
  client = new S3Client({ ...s3, forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: 'stores' }));
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
  execFileSync('bash', [join(S3_DIR, 'stop-rgw.sh')], { stdio: 'ignore' });
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
    const remote = await RvfStore.open('s3://stores/team/products.rvf', { readOnly: true, s3 });
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
    const remote = await RvfStore.open('s3://stores/team/products.rvf', { readOnly: true, s3 });
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
    expect((await rejection(RvfStore.open('s3://stores/team/nope.rvf', { readOnly: true, s3 }))).code).toBe(
      ErrorCode.ManifestNotFound,
    );
    expect((await rejection(RvfStore.open('s3://no-such-bucket/x.rvf', { readOnly: true, s3 }))).code).toBe(
      ErrorCode.ManifestNotFound,
    );
    expect((await rejection(RvfStore.open('s3://stores/team/products.rvf', { s3 }))).code).toBe(
      ErrorCode.InvalidArgument,
    );
  });
});
