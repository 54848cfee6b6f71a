import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { RvfStore } from '@rvfjs/runtime';
import { mulberry32, rgwClientConfig } from '@rvfjs/test-kit';
import { RvfError } from '@rvfjs/types';
import { expect, inject } from 'vitest';
import { type ObjectStore, objectStore } from '../src/index.js';

export const DIM = 8;

/** The gateway's client settings (started by rgw-setup.ts). */
export function rgw() {
  return rgwClientConfig(inject('rgw'));
}

let buckets = 0;
/** A fresh bucket (one per test file or test) and the root of namespaces in it. */
export async function freshStore(prefix = 'ns'): Promise<ObjectStore> {
  const client = new S3Client(rgw());
  const bucket = `t-${process.pid}-${Date.now().toString(36)}-${buckets++}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return objectStore(`s3://${bucket}/${prefix}`, { client });
}

/** `n` vectors of DIM around a few centres, seeded. */
export function vectors(n: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    for (let d = 0; d < DIM; d++) out[i * DIM + d] = c * 3 + rnd();
  }
  return out;
}

/** Appends ids [from, from+n) with vectors and a `cat` field to the store at `path` (created if asked). */
export async function writeStore(path: string, from: number, n: number, create = false): Promise<void> {
  const s = create ? await RvfStore.create(path, { dimension: DIM }) : await RvfStore.open(path);
  const ids = Array.from({ length: n }, (_, i) => from + i);
  await s.ingestBatch(
    vectors(n, from + 1),
    ids,
    ids.map((i) => ({ cat: i % 3 })),
  );
  await s.close();
}

export const ids = (hits: { id: unknown }[]) => hits.map((h) => Number(h.id));

/** Top-10 ids of a few queries: what two stores must agree on. */
export async function answers(s: RvfStore): Promise<number[][]> {
  const q = vectors(6, 999);
  const out: number[][] = [];
  for (let i = 0; i < 6; i++)
    out.push(ids(await s.query(q.subarray(i * DIM, (i + 1) * DIM), 10, { plan: 'exact' })));
  return out;
}

export async function rejection(p: Promise<unknown>): Promise<RvfError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(RvfError);
  return e as RvfError;
}

export async function collect(gen: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of gen) out.push(line);
  return out;
}
