import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { bruteForce, call, expectError, randomRows, sameHits, tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;
const rows = randomRows(40, 4, 17);
const ids = rows.map((_, i) => i * 2);
const MAX = '18446744073709551615';

beforeEach(async () => {
  work = tempDir();
  app = buildServer({ dataDir: work.dir });
  await app.ready();
  await call(app, 'POST', '/stores', { name: 's', dimension: 4 });
  await call(app, 'POST', '/stores/s/vectors', {
    vectors: [...rows, [0.25, 0.5, 0.75, 1]],
    ids: [...ids, MAX],
    metadata: [...rows.map((_, i) => ({ i })), { big: 'yes' }],
  });
});

afterEach(async () => {
  await app.close();
  work.cleanup();
});

describe('GET /stores/:name/vectors/:id', () => {
  it('returns the stored vector and metadata; u64 ids in decimal', async () => {
    const r = await call(app, 'GET', '/stores/s/vectors/6');
    expect(r.json).toEqual({ id: 6, vector: rows[3], metadata: { i: 3 } });
    const big = await call(app, 'GET', `/stores/s/vectors/${MAX}`);
    expect(big.json).toEqual({ id: MAX, vector: [0.25, 0.5, 0.75, 1], metadata: { big: 'yes' } });
    const bare = await call(app, 'GET', '/stores/s/vectors/6?includeMetadata=false');
    expect(bare.json).toEqual({ id: 6, vector: rows[3] });
  });

  it('404 VectorNotFound for an absent or deleted id; 400 InvalidId for a non-id', async () => {
    expectError(
      expect,
      await call(app, 'GET', '/stores/s/vectors/7'),
      404,
      'VectorNotFound',
      'VECTOR_NOT_FOUND',
    );
    await call(app, 'POST', '/stores/s/delete', { ids: [6] });
    expectError(expect, await call(app, 'GET', '/stores/s/vectors/6'), 404, 'VectorNotFound');
    expectError(expect, await call(app, 'GET', '/stores/s/vectors/abc'), 400, 'InvalidId', '0x4003');
    expectError(expect, await call(app, 'GET', '/stores/s/vectors/18446744073709551616'), 400, 'InvalidId');
    expectError(expect, await call(app, 'GET', '/stores/ghost/vectors/1'), 404, 'ManifestNotFound');
  });
});

describe('POST /stores/:name/vectors/fetch', () => {
  it('answers in the order asked, null where an id is absent', async () => {
    const r = await call(app, 'POST', '/stores/s/vectors/fetch', { ids: [4, 5, MAX, '0'] });
    expect(r.json.vectors).toEqual([
      { id: 4, vector: rows[2], metadata: { i: 2 } },
      null,
      { id: MAX, vector: [0.25, 0.5, 0.75, 1], metadata: { big: 'yes' } },
      { id: 0, vector: rows[0], metadata: { i: 0 } },
    ]);
    const bare = await call(app, 'POST', '/stores/s/vectors/fetch', { ids: [4], includeMetadata: false });
    expect(bare.json.vectors).toEqual([{ id: 4, vector: rows[2] }]);
    expectError(
      expect,
      await call(app, 'POST', '/stores/s/vectors/fetch', { ids: [1, -1] }),
      400,
      'InvalidId',
    );
  });
});

describe('POST /stores/:name/query/batch', () => {
  it('answers each query as the single route would, in order', async () => {
    const queries = randomRows(6, 4, 5).map((vector, i) => ({
      vector,
      k: 3 + i,
      ...(i % 2 ? { filter: { op: 'lt', field: 'i', value: 20 } } : {}),
    }));
    const r = await call(app, 'POST', '/stores/s/query/batch', { queries });
    expect(r.status, r.text).toBe(200);
    expect(r.json.results).toHaveLength(6);
    for (const [i, q] of queries.entries()) {
      const single = await call(app, 'POST', '/stores/s/query', q);
      expect(r.json.results[i]).toEqual(single.json.results);
      const keep = (row: number) => !(i % 2) || row < 20;
      sameHits(r.json.results[i], bruteForce(rows, ids, 'l2', q.vector, q.k, keep), expect);
    }
    expect((await call(app, 'POST', '/stores/s/query/batch', { queries: [] })).json).toEqual({ results: [] });
  });

  it('a bad query fails the batch with the library code, naming which one', async () => {
    const good = { vector: [0, 0, 0, 0], k: 1 };
    const r = await call(app, 'POST', '/stores/s/query/batch', {
      queries: [good, good, { vector: [0, 0], k: 1 }],
    });
    expectError(expect, r, 400, 'DimensionMismatch', '0x0200');
    expect(r.json.error.message).toMatch(/^queries\[2\]: /);
    const f = await call(app, 'POST', '/stores/s/query/batch', {
      queries: [{ ...good, filter: { op: 'xor' } }],
    });
    expectError(expect, f, 400, 'FilterParseError', '0x0203');
    expectError(
      expect,
      await call(app, 'POST', '/stores/s/query/batch', { queries: [{ ...good, extra: 1 }] }),
      400,
      'ValidationError',
    );
  });
});
