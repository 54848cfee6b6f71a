import { request as httpRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { call, expectError, type Json, tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  work = tempDir();
  app = buildServer({ dataDir: work.dir, limits: { importBatchRecords: 3, k: 50, batchQueries: 4 } });
  await app.ready();
  await call(app, 'POST', '/stores', { name: 's', dimension: 2 });
});

afterEach(async () => {
  await app.close();
  work.cleanup();
});

const ndjson = (payload: string) =>
  app.inject({
    method: 'POST',
    url: '/stores/s/import',
    headers: { 'content-type': 'application/x-ndjson' },
    payload,
  });

const record = (id: number) => JSON.stringify({ id, vector: [id, 0], metadata: { n: id } });

/**
 * Streams `total` bytes of one NDJSON line to the import route over 127.0.0.1, and resolves
 * with the response as soon as it comes (usually long before the upload would have ended).
 */
function uploadOneLongLine(url: string, total: number) {
  return new Promise<{ status: number; body: Json; ms: number; sentBytes: number }>((resolve, reject) => {
    const started = performance.now();
    let sentBytes = 0;
    let answered = false;
    const req = httpRequest(
      `${url}/stores/s/import`,
      { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } },
      (res) => {
        answered = true;
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          req.destroy();
          resolve({
            status: res.statusCode!,
            body: JSON.parse(text),
            ms: performance.now() - started,
            sentBytes,
          });
        });
      },
    );
    // The server may close the connection while we still send: that is the point.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(256 * 1024, 0x31);
    const pump = () => {
      while (!answered && sentBytes < total) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    req.write('{"id":1,"vector":[');
    pump();
  });
}

describe('NDJSON import limits', () => {
  it('a 20 MiB line → 413 LineTooLong within a second, over real HTTP; nothing stored', async () => {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const r = await uploadOneLongLine(url, 20 << 20);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'LINE_TOO_LONG', name: 'LineTooLong' });
    expect(r.body.error.message).toMatch(/line 1 is longer than 1048576 bytes/);
    expect(r.ms).toBeLessThan(1000);
    // Refused after about a megabyte, not after the whole upload.
    expect(r.sentBytes).toBeLessThan(20 << 20);
    const info = await fetch(`${url}/stores/s`).then((x) => x.json());
    expect(info).toMatchObject({ totalVectors: 0, currentEpoch: 0 });
  });

  it('the line limit is configurable', async () => {
    const strict = buildServer({ dataDir: `${work.dir}-strict`, limits: { importLineBytes: 60 } });
    try {
      await call(strict, 'POST', '/stores', { name: 's', dimension: 2 });
      const res = await strict.inject({
        method: 'POST',
        url: '/stores/s/import',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: `${record(1)}\n${JSON.stringify({ id: 2, vector: [2, 0], metadata: { long: 'x'.repeat(60) } })}\n`,
      });
      expect(res.statusCode).toBe(413);
      expect(JSON.parse(res.body).error.message).toMatch(/line 2 is longer than 60 bytes/);
    } finally {
      await strict.close();
    }
  });

  it('commits in batches; a bad line after committed batches says what was committed', async () => {
    const lines = [1, 2, 3, 4, 5, 6, 7].map(record);
    lines.push('{"id":8,"vector":[8]}'); // wrong dimension: in the third batch
    const res = await ndjson(`${lines.join('\n')}\n`);
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error).toMatchObject({ name: 'DimensionMismatch' });
    expect(body.error.message).toMatch(/line 8/);
    // Batches of 3: lines 1-6 were committed in two epochs; line 7 waited in the failed batch.
    expect(body.committed).toEqual({ accepted: 6, epoch: 2 });
    expect((await call(app, 'GET', '/stores/s')).json).toMatchObject({ totalVectors: 6, currentEpoch: 2 });
  });

  it('a bad line in the first batch → a plain error: nothing was committed', async () => {
    const res = await ndjson(`${record(1)}\n{"id":-2,"vector":[1,1]}\n${record(3)}\n`);
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error).toMatchObject({ name: 'InvalidId', code: '0x4003' });
    expect(body.error.message).toMatch(/line 2/);
    expect(body.committed).toBeUndefined();
    expect((await call(app, 'GET', '/stores/s')).json.totalVectors).toBe(0);
  });

  it('imports many lines in bounded batches with u64 ids and metadata', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => record(i));
    lines.push(JSON.stringify({ id: '18446744073709551615', vector: [0.5, 0.5] }));
    const res = await ndjson(`${lines.join('\r\n')}\r\n\r\n`);
    expect(JSON.parse(res.body)).toEqual({ accepted: 11, epoch: 4 });
    const hit = await call(app, 'POST', '/stores/s/query', { vector: [0.5, 0.5], k: 1 });
    expect(hit.json.results[0].id).toBe('18446744073709551615');
  });
});

describe('request bounds', () => {
  it('k above the limit → 400 KTooLarge; at the limit it is answered', async () => {
    await call(app, 'POST', '/stores/s/vectors', { vectors: [[1, 1]], ids: [1] });
    expectError(
      expect,
      await call(app, 'POST', '/stores/s/query', { vector: [1, 1], k: 51 }),
      400,
      'KTooLarge',
      '0x0204',
    );
    expect((await call(app, 'POST', '/stores/s/query', { vector: [1, 1], k: 50 })).status).toBe(200);
  });

  it('efSearch of a query above the HNSW bound → 400 InvalidArgument', async () => {
    await call(app, 'POST', '/stores/s/vectors', { vectors: [[1, 1]], ids: [1] });
    const r = await call(app, 'POST', '/stores/s/query', { vector: [1, 1], k: 1, efSearch: 10_001 });
    expectError(expect, r, 400, 'InvalidArgument', '0x4000');
    expect(r.json.error.message).toMatch(/efSearch must be an integer from 1 to 10000/);
  });

  it('a JSON body over the body limit → 413 before it is parsed', async () => {
    const tiny = buildServer({ dataDir: `${work.dir}-tiny`, limits: { bodyBytes: 1024 } });
    try {
      await call(tiny, 'POST', '/stores', { name: 's', dimension: 2 });
      const rows = Array.from({ length: 100 }, (_, i) => [i, i]);
      const r = await call(tiny, 'POST', '/stores/s/vectors', { vectors: rows, ids: rows.map((_, i) => i) });
      expect(r.status).toBe(413);
      expect(r.json.error.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
      expect((await call(tiny, 'GET', '/stores/s')).json.currentEpoch).toBe(0);
    } finally {
      await tiny.close();
    }
  });

  it('too many queries or ids in one request → 413 BatchTooLarge', async () => {
    const q = { vector: [1, 1], k: 1 };
    expectError(
      expect,
      await call(app, 'POST', '/stores/s/query/batch', { queries: [q, q, q, q, q] }),
      413,
      'BatchTooLarge',
    );
    expect((await call(app, 'POST', '/stores/s/query/batch', { queries: [q, q, q, q] })).status).toBe(200);
    const small = buildServer({ dataDir: `${work.dir}-small`, limits: { batchItems: 2 } });
    try {
      await call(small, 'POST', '/stores', { name: 's', dimension: 1 });
      expectError(
        expect,
        await call(small, 'POST', '/stores/s/vectors/fetch', { ids: [1, 2, 3] }),
        413,
        'BatchTooLarge',
      );
      expectError(
        expect,
        await call(small, 'POST', '/stores/s/delete', { ids: [1, 2, 3] }),
        413,
        'BatchTooLarge',
      );
    } finally {
      await small.close();
    }
  });

  it('limits must be positive integers', () => {
    expect(() => buildServer({ dataDir: work.dir, limits: { k: 0 } })).toThrow(/limit k/);
    expect(() => buildServer({ dataDir: work.dir, limits: { importLineBytes: 1.5 } })).toThrow(
      /importLineBytes/,
    );
  });
});
