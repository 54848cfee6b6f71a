/**
 * Remote opens against a real HTTP server and against broken ones. nginx from Debian (on
 * 127.0.0.1, with a config of its own) serves a store that answers exactly as the local
 * file. A server that drops connections mid-body, answers 500 or 503, sends a short body or
 * bytes of another range now and then costs retries, never a wrong answer; one that always
 * does is a typed RvfError, never an answer.
 */
import { join } from 'node:path';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import { clustered, tempDir } from './helpers.js';
import { type Nginx, startNginx } from './remote/nginx.js';
import { type Fault, type RangeServer, startRangeServer } from './remote/range-server.js';

const work = tempDir('rvfjs-faults-');
const served = join(work.dir, 'www');
const N = 2500;
const DIM = 24;
const queries = clustered(12, DIM, 5);
const path = join(served, 'store.rvf');
let nginx: Nginx;
let faulty: RangeServer;
let local: RvfStore;

beforeAll(async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(served);
  const s = await RvfStore.create(path, { dimension: DIM });
  await s.ingestBatch(
    clustered(N, DIM, 1),
    [...Array(N).keys()],
    [...Array(N).keys()].map((i) => ({ cat: i % 4 })),
  );
  await s.close();
  local = await RvfStore.open(path, { readOnly: true });
  nginx = await startNginx(served, join(work.dir, 'nginx'));
  faulty = await startRangeServer(served);
}, 600_000);
afterAll(async () => {
  await local?.close();
  await nginx?.close();
  await faulty?.close();
  work.cleanup();
});

const ids = (hits: { id: unknown }[]) => hits.map((h) => Number(h.id));

/** Every query, plain, exact and filtered, gives what the local file gives. */
async function expectSameAnswers(remote: RvfStore): Promise<void> {
  expect(remote.status().totalVectors).toBe(local.status().totalVectors);
  for (let q = 0; q < 12; q++) {
    const query = queries.subarray(q * DIM, (q + 1) * DIM);
    expect(ids(await remote.query(query, 10))).toEqual(ids(await local.query(query, 10)));
    expect(ids(await remote.query(query, 10, { plan: 'exact' }))).toEqual(
      ids(await local.query(query, 10, { plan: 'exact' })),
    );
    expect(ids(await remote.query(query, 5, { filter: F.eq('cat', q % 4) }))).toEqual(
      ids(await local.query(query, 5, { filter: F.eq('cat', q % 4) })),
    );
  }
  expect(remote.get(123)?.vector).toEqual(local.get(123)?.vector);
}

/** Small blocks, so an open makes many requests and meets many faults. */
const http = { cache: { blockSize: 16 * 1024, readAheadBytes: 0 }, retryDelayMs: 5 };

describe('a store behind nginx (Debian, 127.0.0.1)', () => {
  it('answers as the local file, with its saved graph', async () => {
    const remote = await RvfStore.open(nginx.url('store.rvf'), { readOnly: true, http });
    await remote.waitForIndex();
    expect(remote.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    await expectSameAnswers(remote);
    await remote.close();
  });
});

describe('a server that fails now and then', () => {
  it.each<[string, Fault]>([
    ['drops the connection mid-body', 'drop'],
    ['answers 500', '500'],
    ['answers 503', '503'],
    ['sends a short body', 'short'],
    ['sends bytes of another range', 'wrong-range'],
  ])('%s on every other read: retried, and every answer is right', async (_, fault) => {
    faulty.fault = (n) => (n % 2 === 1 ? fault : undefined);
    faulty.stats.faults = {};
    const remote = await RvfStore.open(faulty.url('store.rvf'), { readOnly: true, http });
    await remote.waitForIndex();
    await expectSameAnswers(remote);
    expect(faulty.stats.faults[fault!]).toBeGreaterThanOrEqual(3);
    await remote.close();
  });

  it.each<[string, Fault, number]>([
    ['drops every connection', 'drop', ErrorCode.IoFailed],
    ['always answers 503', '503', ErrorCode.IoFailed],
    ['always sends short bodies', 'short', ErrorCode.TruncatedSegment],
    ['always sends another range', 'wrong-range', ErrorCode.TruncatedSegment],
  ])('%s: the open fails with a typed error naming the URL, after retries', async (_, fault, code) => {
    faulty.fault = () => fault;
    const e = await RvfStore.open(faulty.url('store.rvf'), { readOnly: true, http }).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(RvfError);
    expect((e as RvfError).code, (e as Error).message).toBe(code);
    expect((e as Error).message).toMatch(/127\.0\.0\.1:\d+\/store\.rvf.*after 5 attempts/);
  });

  it('a 500 on the very first read of the store, then good reads: the open succeeds', async () => {
    faulty.fault = (n) => (n <= 2 ? '500' : undefined);
    faulty.stats.gets = 0;
    const remote = await RvfStore.open(faulty.url('store.rvf'), { readOnly: true, http });
    await expectSameAnswers(remote);
    await remote.close();
  });
});
