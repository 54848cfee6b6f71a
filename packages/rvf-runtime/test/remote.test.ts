/**
 * Read-only stores over HTTP: a store opened at an http:// URL (a real HTTP server on
 * 127.0.0.1 answering range requests) answers exactly as the same file opened locally, loads
 * its saved graph over the wire, reads about the file once in a few dozen requests, picks up a
 * newer version on refresh(), and refuses writes and bad URLs with typed errors.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import { clustered, tempDir } from './helpers.js';
import { type RangeServer, startRangeServer } from './remote/range-server.js';

const work = tempDir('rvfjs-remote-');
const N = 3000;
const DIM = 32;
const vecs = clustered(N, DIM, 1);
const queries = clustered(20, DIM, 2);
const path = join(work.dir, 'served.rvf');
let server: RangeServer;

beforeAll(async () => {
  const s = await RvfStore.create(path, { dimension: DIM });
  await s.ingestBatch(
    vecs,
    [...Array(N).keys()],
    [...Array(N).keys()].map((i) => ({ cat: i % 7 })),
  );
  await s.close(); // saves the HNSW graph
  server = await startRangeServer(work.dir);
}, 60_000);
afterAll(async () => {
  await server?.close();
  work.cleanup();
});

const ids = (hits: { id: unknown }[]) => hits.map((h) => Number(h.id));

async function expectError(p: Promise<unknown>, code: number, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(RvfError);
  expect((e as RvfError).code, (e as Error).message).toBe(code);
  expect((e as Error).message).toMatch(pattern);
}

describe('a store opened at an http:// URL', () => {
  it('answers as the local file does, loads its saved graph, and reads the file about once', async () => {
    const local = await RvfStore.open(path, { readOnly: true });
    const before = { ...server.stats };
    const remote = await RvfStore.open(server.url('served.rvf'), { readOnly: true });
    expect(remote.status().totalVectors).toBe(N);
    await remote.waitForIndex();
    await local.waitForIndex();
    expect(remote.status().engine).toMatchObject({ index: 'complete', indexedVectors: N });
    expect(remote.status().engine.rebuildReason).toBeUndefined();
    for (let q = 0; q < 20; q++) {
      const query = queries.subarray(q * DIM, (q + 1) * DIM);
      expect(ids(await remote.query(query, 10))).toEqual(ids(await local.query(query, 10)));
      expect(ids(await remote.query(query, 10, { plan: 'exact' }))).toEqual(
        ids(await local.query(query, 10, { plan: 'exact' })),
      );
      const remoteHits = await remote.query(query, 5, { filter: F.eq('cat', q % 7) });
      const localHits = await local.query(query, 5, { filter: F.eq('cat', q % 7) });
      expect(remoteHits).toHaveLength(5);
      expect(ids(remoteHits)).toEqual(ids(localHits));
    }
    expect(remote.get(17)?.vector).toEqual(local.get(17)?.vector);
    const size = remote.status().fileSize;
    const requests = server.stats.requests - before.requests;
    const bytes = server.stats.bytes - before.bytes;
    // Everything a load needs is read once, in blocks: no more than 1.2× the file, in a few
    // dozen requests (the file is a few MB; reads come in 1 MiB runs).
    expect(bytes).toBeLessThanOrEqual(1.2 * size);
    expect(requests).toBeLessThan(40);
    await remote.close();
    await local.close();
  });

  it('refresh() picks up a version published since the open', async () => {
    const remote = await RvfStore.open(server.url('served.rvf'), { readOnly: true });
    expect(await remote.refresh()).toBe(false);
    const w = await RvfStore.open(path);
    await w.ingestBatch(clustered(3, DIM, 9), [N, N + 1, N + 2]);
    await w.close();
    expect(await remote.refresh()).toBe(true);
    expect(remote.status().totalVectors).toBe(N + 3);
    expect(remote.get(N + 1)).toBeDefined();
    await remote.close();
  });

  it('refuses writes, a writable open, a missing file and an unreachable server, with typed errors', async () => {
    await expectError(RvfStore.open(server.url('served.rvf')), ErrorCode.InvalidArgument, /read-only/);
    const remote = await RvfStore.open(server.url('served.rvf'), { readOnly: true });
    await expectError(remote.ingestBatch(clustered(1, DIM, 3), [99_999]), ErrorCode.ReadOnly, /read-only/);
    await remote.close();
    await expectError(
      RvfStore.open(server.url('missing.rvf'), { readOnly: true }),
      ErrorCode.ManifestNotFound,
      /missing\.rvf/,
    );
    // A port nothing listens on: take one, and close it again.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await expectError(
      RvfStore.open(`http://127.0.0.1:${port}/served.rvf`, { readOnly: true }),
      ErrorCode.IoFailed,
      new RegExp(`127\\.0\\.0\\.1:${port}`),
    );
  });
});
