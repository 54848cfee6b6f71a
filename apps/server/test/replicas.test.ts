/**
 * Read replicas of an object store: two server processes (dist/main.js --data s3://…) serve
 * the namespaces of one bucket in Ceph RADOS Gateway on 127.0.0.1 while a writer publishes
 * new versions from a local file. Every replica converges on every version within a bound,
 * no query fails meanwhile, and every answer is the exact answer of a published version
 * (computed on the writer's local file). Writes to a replica are refused with 409 ReadOnly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { objectStore, publish } from '@rvfjs/objectstore';
import { RvfStore } from '@rvfjs/runtime';
import { type RgwEnv, rgwClientConfig, startRgw, stopRgw } from '@rvfjs/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRows, tempDir } from './helpers.js';

const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const work = tempDir('rvfjs-replicas-');
const local = join(work.dir, 'products.rvf');
const DIM = 8;
const BUCKET = `replicas-${process.pid}`;
const POLL_MS = 150;
/** How long a replica may take to serve a new version: a few polls and a load. */
const CONVERGE_MS = 5_000;
const probe = randomRows(1, DIM, 77)[0]!;
let env: RgwEnv;
const replicas: { child: ChildProcess; url: string; exited: Promise<number | null>; log: () => string }[] =
  [];
/** Every answer a published version gives to the probe query. */
const validAnswers = new Set<string>();
let nextId = 0;

async function append(n: number, create = false): Promise<void> {
  const s = create ? await RvfStore.create(local, { dimension: DIM }) : await RvfStore.open(local);
  const ids = Array.from({ length: n }, (_, i) => nextId + i);
  await s.ingestBatch(randomRows(n, DIM, nextId + 1), ids);
  nextId += n;
  await s.close();
  const r = await RvfStore.open(local, { readOnly: true });
  validAnswers.add(JSON.stringify((await r.query(probe, 5, { plan: 'exact' })).map((h) => Number(h.id))));
  await r.close();
}

function startReplica(): Promise<(typeof replicas)[number]> {
  const child = spawn(
    process.execPath,
    [main, '--port', '0', '--data', `s3://${BUCKET}/team`, '--poll-ms', String(POLL_MS)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ENDPOINT_URL: env.S3_ENDPOINT,
        AWS_REGION: env.S3_REGION,
        AWS_ACCESS_KEY_ID: env.S3_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY: env.S3_SECRET_KEY,
      },
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL logged in 15 s: ${out}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}`, exited, log: () => out });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited ${code}: ${out}`));
    });
  });
}

beforeAll(async () => {
  expect(existsSync(main), 'run `pnpm build` before the tests').toBe(true);
  env = startRgw();
  const client = new S3Client(rgwClientConfig(env));
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await append(400, true);
  await publish(objectStore(`s3://${BUCKET}/team`, { client }), 'products', local);
  client.destroy();
  replicas.push(await startReplica(), await startReplica());
}, 600_000);

afterAll(async () => {
  for (const r of replicas) {
    r.child.kill('SIGTERM');
    await r.exited;
  }
  stopRgw();
  work.cleanup();
});

const totalOf = async (url: string) => {
  const res = await fetch(`${url}/stores/products`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { totalVectors: number }).totalVectors;
};

describe('replicas serving a namespace from object storage', { timeout: 300_000 }, () => {
  it('converge on every version a writer publishes, with no failed or wrong query', async () => {
    const store = objectStore(`s3://${BUCKET}/team`, rgwClientConfig(env));
    for (const r of replicas) expect(await totalOf(r.url)).toBe(400);
    // Clients query both replicas all along.
    const failures: string[] = [];
    let queries = 0;
    let running = true;
    const client = async (url: string) => {
      while (running) {
        const res = await fetch(`${url}/stores/products/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ vector: probe, k: 5, plan: 'exact' }),
        }).catch((e: Error) => e);
        queries++;
        if (res instanceof Error) failures.push(`${url}: ${res.message}`);
        else if (res.status !== 200) failures.push(`${url}: HTTP ${res.status} ${await res.text()}`);
        else {
          const { results } = (await res.json()) as { results: { id: number }[] };
          const answer = JSON.stringify(results.map((h) => Number(h.id)));
          if (!validAnswers.has(answer)) failures.push(`${url}: answer ${answer} is no published version's`);
        }
      }
    };
    const clients = replicas.flatMap((r) => [client(r.url), client(r.url)]);
    const lags: number[] = [];
    for (let v = 2; v <= 5; v++) {
      await append(150);
      const published = await publish(store, 'products', local);
      expect(published).toMatchObject({ version: v, changed: true });
      const t0 = Date.now();
      for (const r of replicas) {
        while ((await totalOf(r.url)) !== nextId) {
          expect(Date.now() - t0, `replica ${r.url} still behind version ${v}`).toBeLessThan(CONVERGE_MS);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      lags.push(Date.now() - t0);
    }
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(queries).toBeGreaterThan(20);
    // Every replica now answers exactly as the writer's file.
    const l = await RvfStore.open(local, { readOnly: true });
    const expected = (await l.query(probe, 10, { plan: 'exact' })).map((h) => Number(h.id));
    await l.close();
    for (const r of replicas) {
      const res = await fetch(`${r.url}/stores/products/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vector: probe, k: 10, plan: 'exact' }),
      });
      const { results } = (await res.json()) as { results: { id: number }[] };
      expect(results.map((h) => Number(h.id))).toEqual(expected);
    }
    console.log(`replica lag after a publish (ms): ${lags.join(', ')}; ${queries} queries, none failed`);
  });

  it('lists the namespaces, and refuses writes, creates and drops with 409 ReadOnly', async () => {
    const url = replicas[0]!.url;
    const list = (await (await fetch(`${url}/stores`)).json()) as { stores: { name: string }[] };
    expect(list.stores.map((s) => s.name)).toEqual(['products']);
    const ingest = await fetch(`${url}/stores/products/vectors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vectors: [probe], ids: [999_999] }),
    });
    expect(ingest.status).toBe(409);
    expect(((await ingest.json()) as { error: { name: string } }).error.name).toBe('ReadOnly');
    const create = await fetch(`${url}/stores`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'other', dimension: DIM }),
    });
    expect(create.status).toBe(409);
    expect(((await create.json()) as { error: { message: string } }).error.message).toMatch(/read-only/);
    expect((await fetch(`${url}/stores/products`, { method: 'DELETE' })).status).toBe(409);
    expect((await fetch(`${url}/stores/missing`)).status).toBe(404);
  });
});
