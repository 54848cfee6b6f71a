/**
 * `rvf` against object storage (the built binary, Ceph RADOS Gateway on 127.0.0.1): publish
 * a local store as a namespace, query it at its latest and an earlier version and as a plain
 * s3://…/x.rvf object, branch, copy, export, compact and delete namespaces. Every answer is
 * compared with the same command on the local file; bad input fails with its code.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { rgwClientConfig, startRgw, stopRgw } from '@rvfjs/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStore, run, rvfFails, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('s3');
const local = join(dir, 'products.rvf');
const BUCKET = `cli-${process.pid}`;
const ROOT = `s3://${BUCKET}/team`;
const DIM = 4;
const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: from + i,
    vector: [Math.sin(from + i), Math.cos(from + i), ((from + i) % 7) / 7, ((from + i) % 3) - 1],
    metadata: { cat: (from + i) % 3 },
  }));
const probe = '0.2,0.9,0.5,0';

const queryIds = (path: string, ...extra: string[]) =>
  (
    rvfJson('query', path, '-v', probe, '-k', '8', '--plan', 'exact', ...extra).results as { id: unknown }[]
  ).map((h) => Number(h.id));

beforeAll(async () => {
  const env = startRgw();
  // The binary reads the usual AWS variables; run() passes process.env on.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: env.S3_ENDPOINT,
    AWS_REGION: env.S3_REGION,
    AWS_ACCESS_KEY_ID: env.S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: env.S3_SECRET_KEY,
  });
  const client = new S3Client(rgwClientConfig(env));
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  makeStore(local, DIM, records(0, 300));
  client.destroy();
}, 600_000);
afterAll(() => stopRgw());

// Each command is a fresh process that loads the AWS SDK: generous time on a loaded machine.
describe('rvf with s3:// namespaces', { timeout: 300_000 }, () => {
  let v1Answer: number[];

  it('publish uploads the file, then only what was appended; query reads either version', () => {
    const first = rvfJson('publish', local, `${ROOT}/products`);
    expect(first).toMatchObject({ version: 1, changed: true, uploadedBytes: statSync(local).size });
    v1Answer = queryIds(local);
    expect(queryIds(`${ROOT}/products`)).toEqual(v1Answer);

    const before = statSync(local).size;
    const r = run(['ingest', local, '-', '--json'], {
      input: records(300, 120)
        .map((x) => JSON.stringify(x))
        .join('\n'),
    });
    expect(r.status, r.stderr).toBe(0);
    const second = rvfJson('publish', local, `${ROOT}/products`);
    expect(second).toMatchObject({ version: 2, changed: true, objects: 1 });
    expect(second.uploadedBytes).toBe(statSync(local).size - before);
    expect(rvfJson('publish', local, `${ROOT}/products`)).toMatchObject({ version: 2, changed: false });

    expect(queryIds(`${ROOT}/products`)).toEqual(queryIds(local));
    expect(queryIds(`${ROOT}/products@1`)).toEqual(v1Answer);
    expect(queryIds(`${ROOT}/products`, '-f', '{"op":"eq","field":"cat","value":1}')).toEqual(
      queryIds(local, '-f', '{"op":"eq","field":"cat","value":1}'),
    );
    expect(rvfJson('status', `${ROOT}/products`).totalVectors).toBe(420);
  });

  it('query reads a store uploaded as a plain s3://…/x.rvf object', async () => {
    const client = new S3Client(rgwClientConfig(startRgw()));
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'plain/products.rvf', Body: readFileSync(local) }),
    );
    client.destroy();
    expect(queryIds(`s3://${BUCKET}/plain/products.rvf`)).toEqual(queryIds(local));
  });

  it('ns branch, copy, export, list, compact and delete', () => {
    const b = rvfJson('ns', 'branch', `${ROOT}/products@1`, `${ROOT}/exp`);
    expect(b).toMatchObject({ versions: [1], lineage: { parent: 'products', parentVersion: 1 } });
    expect(queryIds(`${ROOT}/exp`)).toEqual(v1Answer);
    const c = rvfJson('ns', 'copy', `${ROOT}/products`, `${ROOT}/deep`, '--deep');
    expect(c).toMatchObject({ versions: [1, 2], lineage: null, deep: true });
    expect(queryIds(`${ROOT}/deep`)).toEqual(queryIds(local));

    const out = join(dir, 'deep.ndjson');
    expect(rvfJson('ns', 'export', `${ROOT}/deep`, out)).toMatchObject({ exported: 420 });
    const localOut = join(dir, 'local.ndjson');
    rvfJson('export', local, localOut);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(localOut, 'utf8'));
    const v1 = run(['ns', 'export', `${ROOT}/products@1`]);
    expect(v1.status, v1.stderr).toBe(0);
    expect(v1.stdout.trim().split('\n')).toHaveLength(300);

    expect(rvfJson('ns', 'list', ROOT).namespaces).toEqual(['deep', 'exp', 'products']);
    // products shares its first object with exp: deleting it keeps that one.
    const d = rvfJson('ns', 'delete', `${ROOT}/products`);
    expect(d).toMatchObject({ released: 2, deletedObjects: 1 });
    expect(rvfFails(2, ['query', `${ROOT}/products`, '-v', probe]).name).toBe('ManifestNotFound');
    expect(queryIds(`${ROOT}/exp`)).toEqual(v1Answer);

    const k = rvfJson('ns', 'compact', `${ROOT}/deep`);
    expect(k).toMatchObject({ version: 3 });
    expect(queryIds(`${ROOT}/deep`)).toEqual(queryIds(local));
    const co = join(dir, 'checkout.rvf');
    expect(rvfJson('ns', 'checkout', `${ROOT}/deep`, co)).toMatchObject({ version: 3 });
    expect(queryIds(co)).toEqual(queryIds(local));
  });

  it('bad input fails with a code naming it', () => {
    const missing = rvfFails(2, ['publish', join(dir, 'absent.rvf'), `${ROOT}/x`]);
    expect(missing.name).toBe('ManifestNotFound');
    expect(missing.message).toMatch(/absent\.rvf/);
    const roots = rvfFails(1, ['ns', 'branch', `${ROOT}/exp`, `s3://${BUCKET}/other/y`]);
    expect(roots.message).toMatch(/different roots/);
    const ingest = rvfFails(2, ['ingest', `${ROOT}/exp`, join(dir, 'local.ndjson')]);
    expect(ingest.name).toBe('ReadOnly');
    expect(ingest.message).toMatch(/exp/);
    const name = rvfFails(2, ['ns', 'delete', `${ROOT}/bad..name.rvf`]);
    expect(name.code).toBeDefined();
    expect(rvfFails(2, ['ns', 'branch', `${ROOT}/exp`, `${ROOT}/deep`]).name).toBe('PathExists');
  });
});
