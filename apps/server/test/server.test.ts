import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import {
  bruteForce,
  call,
  closeServer,
  freshServer,
  type Hit,
  type Json,
  randomRows,
  sameHits,
} from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  ({ work, app } = await freshServer());
});

afterEach(() => closeServer({ work, app }));

const COLORS = ['red', 'green', 'blue'];

/** A store of `n` random vectors with object metadata { color, price }, ids 10, 13, 16... */
async function seeded(name: string, n = 200, dim = 8, metric: 'l2' | 'cosine' | 'inner_product' = 'l2') {
  const rows = randomRows(n, dim, 42);
  const ids = rows.map((_, i) => 10 + 3 * i);
  const meta = rows.map((_, i) => ({ color: COLORS[i % 3]!, price: i }));
  expect((await call(app, 'POST', '/stores', { name, dimension: dim, metric })).status).toBe(201);
  const ing = await call(app, 'POST', `/stores/${name}/vectors`, { vectors: rows, ids, metadata: meta });
  expect(ing.status).toBe(200);
  expect(ing.json).toEqual({ accepted: n, rejected: 0, epoch: 1 });
  return { rows, ids, meta, dim };
}

async function query(name: string, body: Record<string, unknown>): Promise<Hit[]> {
  const r = await call(app, 'POST', `/stores/${name}/query`, body);
  expect(r.status, r.text).toBe(200);
  return r.json.results;
}

function expectError(r: { status: number; json: Json }, status: number, name: string, code?: string) {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json.error.name).toBe(name);
  if (code) expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
}

describe('basics', () => {
  it('GET /health', async () => {
    const r = await call(app, 'GET', '/health');
    expect(r).toMatchObject({ status: 200, json: { ok: true } });
  });

  it('create returns 201 with status and identity; GET /stores lists it; non-store files are ignored', async () => {
    const r = await call(app, 'POST', '/stores', {
      name: 'docs',
      dimension: 4,
      metric: 'cosine',
      profile: 2,
      m: 8,
      efConstruction: 50,
      efSearch: 20,
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      name: 'docs',
      dimension: 4,
      metric: 'cosine',
      profileId: 2,
      totalVectors: 0,
      currentEpoch: 0,
      frozen: false,
      lineageDepth: 0,
      parent: null,
      fieldNames: [],
      cowStats: null,
      membershipFilter: null,
    });
    expect(r.json.fileId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.json.parentId).toBe('0'.repeat(32));
    writeFileSync(join(work.dir, 'notes.txt'), 'not a store');
    await call(app, 'POST', '/stores', { name: 'alpha', dimension: 2 });
    const list = await call(app, 'GET', '/stores');
    expect(list.status).toBe(200);
    expect(list.json.stores.map((s: Json) => s.name)).toEqual(['alpha', 'docs']);
    expect(list.json.stores[1].status).toMatchObject({ dimension: 4, metric: 'cosine', totalVectors: 0 });
  });
});

describe('ingest and query', () => {
  it.each(['l2', 'cosine', 'inner_product'] as const)(
    'matches brute force, with and without filters (%s)',
    async (metric) => {
      const { rows, ids, dim } = await seeded('s', 200, 8, metric);
      const queries = randomRows(8, dim, 7);
      for (const q of queries) {
        sameHits(await query('s', { vector: q, k: 10 }), bruteForce(rows, ids, metric, q, 10), expect);
      }
      const q = queries[0]!;
      const cases: [unknown, (i: number) => boolean][] = [
        [{ op: 'eq', field: 'color', value: 'green' }, (i) => i % 3 === 1],
        [{ op: 'range', field: 'price', low: 50, high: 120 }, (i) => i >= 50 && i < 120],
        [
          {
            op: 'and',
            children: [
              { op: 'ne', field: 'color', value: 'red' },
              { op: 'lt', field: 'price', value: 30 },
            ],
          },
          (i) => i % 3 !== 0 && i < 30,
        ],
        [{ op: 'not', child: { op: 'in', field: 'color', values: ['red', 'blue'] } }, (i) => i % 3 === 1],
        [{ op: 'eq', field: 'nosuchfield', value: 1 }, () => false],
      ];
      for (const [filter, keep] of cases) {
        const got = await query('s', { vector: q, k: 15, filter });
        sameHits(got, bruteForce(rows, ids, metric, q, 15, keep), expect);
      }
      // The filter may also be the same object as JSON text, as the library takes it.
      const asText = await query('s', { vector: q, k: 5, filter: JSON.stringify(cases[0]![0]) });
      sameHits(asText, bruteForce(rows, ids, metric, q, 5, cases[0]![1]), expect);
    },
  );

  it('returns metadata by name, and leaves it out with includeMetadata: false', async () => {
    const { rows, ids } = await seeded('s', 30, 4);
    const [hit] = await query('s', { vector: rows[7], k: 1 });
    expect(hit).toEqual({ id: ids[7], distance: 0, metadata: { color: COLORS[7 % 3], price: 7 } });
    const [bare] = await query('s', { vector: rows[7], k: 1, includeMetadata: false });
    expect(bare).toEqual({ id: ids[7], distance: 0 });
    const info = await call(app, 'GET', '/stores/s');
    expect(info.json.fieldNames).toEqual([
      { fieldId: 0, name: 'color' },
      { fieldId: 1, name: 'price' },
    ]);
    expect(info.json.totalVectors).toBe(30);
    expect(info.json.currentEpoch).toBe(1);
  });

  it("takes the reference's flat metadata form and its fieldId/valueType filters", async () => {
    const rows = randomRows(12, 3, 5);
    const ids = rows.map((_, i) => 100 + i);
    const metadata = rows.flatMap((_, i) => [
      { fieldId: 0, valueType: 'string', value: COLORS[i % 3] },
      { fieldId: 1, valueType: 'u64', value: String(i * 10) },
    ]);
    await call(app, 'POST', '/stores', { name: 'flat', dimension: 3 });
    const ing = await call(app, 'POST', '/stores/flat/vectors', { vectors: rows, ids, metadata });
    expect(ing.json).toEqual({ accepted: 12, rejected: 0, epoch: 1 });
    const q = rows[4]!;
    const filter = { op: 'range', fieldId: 1, valueType: 'u64', low: '10', high: '60' };
    sameHits(
      await query('flat', { vector: q, k: 12, filter }),
      bruteForce(rows, ids, 'l2', q, 12, (i) => i * 10 >= 10 && i * 10 < 60),
      expect,
    );
    const blue = await query('flat', {
      vector: q,
      k: 12,
      filter: { op: 'eq', fieldId: 0, valueType: 'string', value: 'blue' },
    });
    sameHits(
      blue,
      bruteForce(rows, ids, 'l2', q, 12, (i) => i % 3 === 2),
      expect,
    );
    // Unnamed fields come back under their numeric id.
    expect(blue[0]!.metadata).toEqual({ 0: 'blue', 1: Number(ids.indexOf(blue[0]!.id as number) * 10) });
  });

  it('skipInvalid drops bad rows and counts them', async () => {
    await call(app, 'POST', '/stores', { name: 's', dimension: 2 });
    const r = await call(app, 'POST', '/stores/s/vectors', {
      vectors: [[1, 1], [1], [2, 2]],
      ids: [1, 2, 3],
      skipInvalid: true,
    });
    expect(r.json).toEqual({ accepted: 2, rejected: 1, epoch: 1 });
  });
});

describe('query plans', () => {
  it("passes plan and efSearch through: 'exact' equals brute force, 'hnsw' has high recall", async () => {
    const other = buildServer({ dataDir: join(work.dir, 'plans'), indexThreshold: 64 });
    try {
      const dim = 16;
      const rows = randomRows(600, dim, 21);
      const ids = rows.map((_, i) => i);
      await call(other, 'POST', '/stores', { name: 'h', dimension: dim });
      await call(other, 'POST', '/stores/h/vectors', { vectors: rows, ids });
      // The graph is built in the background; wait (bounded) until it covers every vector.
      // Without the native HNSW add-on the library answers every plan exactly.
      const native = (await call(other, 'GET', '/stores/h')).json.engine.nativeAvailable === true;
      const deadline = Date.now() + 20_000;
      while (native && (await call(other, 'GET', '/stores/h')).json.engine.index !== 'complete') {
        if (Date.now() > deadline) throw new Error('HNSW graph not complete in 20 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      let found = 0;
      const queries = randomRows(10, dim, 22);
      for (const q of queries) {
        const want = bruteForce(rows, ids, 'l2', q, 10);
        const exact = await call(other, 'POST', '/stores/h/query', { vector: q, k: 10, plan: 'exact' });
        sameHits(exact.json.results, want, expect);
        const approx = await call(other, 'POST', '/stores/h/query', {
          vector: q,
          k: 10,
          plan: 'hnsw',
          efSearch: 200,
        });
        expect(approx.status).toBe(200);
        const wanted = new Set(want.map((w) => w.id));
        found += approx.json.results.filter((h: Hit) => wanted.has(h.id)).length;
      }
      expect(found / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
      const info = await call(other, 'GET', '/stores/h');
      expect(info.json.engine).toMatchObject({
        lastQueryEngine: 'hnsw',
        index: 'complete',
        indexedVectors: 600,
      });
      expectError(
        await call(other, 'POST', '/stores/h/query', { vector: queries[0], k: 1, efSearch: 0 }),
        400,
        'InvalidArgument',
      );
      expectError(
        await call(other, 'POST', '/stores/h/query', { vector: queries[0], k: 1, plan: 'fast' }),
        400,
        'ValidationError',
      );
    } finally {
      await other.close();
    }
  });
});

describe('u64 ids', () => {
  it('ids beyond 2^53 go in and come out as decimal strings; safe ones as numbers', async () => {
    const max = '18446744073709551615';
    const justOver = '9007199254740993'; // 2^53 + 1: not representable as a JSON number
    await call(app, 'POST', '/stores', { name: 'u', dimension: 2 });
    const ing = await call(app, 'POST', '/stores/u/vectors', {
      vectors: [
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
      ],
      ids: [max, justOver, '7', 5],
      metadata: [{ tag: 'max' }, { tag: 'over' }, { tag: 'seven' }, { tag: 'five' }],
    });
    expect(ing.status).toBe(200);
    const hits = await query('u', { vector: [0, 0], k: 4 });
    expect(hits.map((h) => h.id)).toEqual([max, justOver, 7, 5]);
    expect(hits.map((h) => h.metadata?.tag)).toEqual(['max', 'over', 'seven', 'five']);
    // The string id addresses the same vector for deletes.
    const del = await call(app, 'POST', '/stores/u/delete', { ids: [justOver] });
    expect(del.json).toEqual({ deleted: 1, epoch: 2 });
    expect((await query('u', { vector: [0, 0], k: 4 })).map((h) => h.id)).toEqual([max, 7, 5]);
    // Export writes the same rule.
    const ex = await call(app, 'GET', '/stores/u/export');
    expect(
      ex.text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toEqual([max, 7, 5]);
  });

  it('ids that are no u64 are refused by the library (400 InvalidId)', async () => {
    await call(app, 'POST', '/stores', { name: 'u', dimension: 1 });
    for (const id of [-1, '-1', '18446744073709551616', 'abc', 1.5]) {
      const r = await call(app, 'POST', '/stores/u/vectors', { vectors: [[1]], ids: [id] });
      expectError(r, 400, 'InvalidId', '0x4003');
    }
  });
});

describe('delete, compact', () => {
  it('deletes by ids and by filter; compaction keeps the answers', async () => {
    const { rows, ids } = await seeded('s', 90, 6);
    const del = await call(app, 'POST', '/stores/s/delete', { ids: [ids[0], ids[1], 99999] });
    expect(del.json).toEqual({ deleted: 2, epoch: 2 });
    const byFilter = await call(app, 'POST', '/stores/s/delete', {
      filter: { op: 'eq', field: 'color', value: 'blue' },
    });
    expect(byFilter.json).toEqual({ deleted: 30, epoch: 3 });
    const none = await call(app, 'POST', '/stores/s/delete', {
      filter: { op: 'eq', field: 'color', value: 'x' },
    });
    expect(none.json).toEqual({ deleted: 0, epoch: 3 });
    const keep = (i: number) => i > 1 && i % 3 !== 2;
    const q = randomRows(1, 6, 3)[0]!;
    const want = bruteForce(rows, ids, 'l2', q, 90, keep);
    expect(want).toHaveLength(58);
    sameHits(await query('s', { vector: q, k: 90 }), want, expect);
    const before = await call(app, 'GET', '/stores/s');
    expect(before.json.totalVectors).toBe(58);
    expect(before.json.deadSpaceRatio).toBeCloseTo(32 / 90);

    const c = await call(app, 'POST', '/stores/s/compact');
    expect(c.status).toBe(200);
    expect(c.json).toEqual({ segmentsCompacted: 32, bytesReclaimed: 32 * 6 * 4, epoch: 4 });
    sameHits(await query('s', { vector: q, k: 90 }), want, expect);
    const after = await call(app, 'GET', '/stores/s');
    expect(after.json).toMatchObject({ totalVectors: 58, deadSpaceRatio: 0, currentEpoch: 4 });
    expect(after.json.fileSize).toBeLessThan(before.json.fileSize);
  });

  it('delete needs exactly one of ids or filter', async () => {
    await seeded('s', 3, 2);
    expectError(await call(app, 'POST', '/stores/s/delete', {}), 400, 'ValidationError');
    expectError(
      await call(app, 'POST', '/stores/s/delete', {
        ids: [10],
        filter: { op: 'eq', field: 'color', value: 'red' },
      }),
      400,
      'ValidationError',
    );
  });
});

describe('branch and freeze', () => {
  it('a branch sees the parent vectors; its writes stay its own; the parent then refuses compaction (409)', async () => {
    const { rows, ids } = await seeded('base', 60, 4);
    const b = await call(app, 'POST', '/stores/base/branch', { child: 'exp' });
    expect(b.status).toBe(201);
    expect(b.json).toMatchObject({
      name: 'exp',
      lineageDepth: 1,
      parent: 'base',
      totalVectors: 60,
      ownVectors: 0,
    });
    const parentInfo = await call(app, 'GET', '/stores/base');
    expect(b.json.parentId).toBe(parentInfo.json.fileId);
    expect(b.json.cowStats).toMatchObject({ frozen: false });
    expect(b.json.membershipFilter).toMatchObject({ mode: 'include', memberCount: 60 });

    const q = randomRows(1, 4, 11)[0]!;
    const want = bruteForce(rows, ids, 'l2', q, 10);
    sameHits(await query('exp', { vector: q, k: 10 }), want, expect);
    // Filters see inherited metadata.
    sameHits(
      await query('exp', { vector: q, k: 10, filter: { op: 'eq', field: 'color', value: 'red' } }),
      bruteForce(rows, ids, 'l2', q, 10, (i) => i % 3 === 0),
      expect,
    );

    // A write in the child does not show in the parent.
    await call(app, 'POST', '/stores/exp/vectors', { vectors: [q], ids: [1] });
    expect((await query('exp', { vector: q, k: 1 }))[0]).toMatchObject({ id: 1, distance: 0 });
    sameHits(await query('base', { vector: q, k: 10 }), want, expect);

    // The child is listed, is a store of its own, and pins its parent's layout.
    const list = await call(app, 'GET', '/stores');
    expect(list.json.stores.map((s: Json) => s.name)).toEqual(['base', 'exp']);
    expectError(await call(app, 'POST', '/stores/base/compact'), 409, 'LineageBroken', '0x0602');
    expectError(
      await call(app, 'POST', '/stores/base/branch', { child: 'exp' }),
      409,
      'PathExists',
      '0x4001',
    );
    expectError(
      await call(app, 'POST', '/stores/base/branch', { child: '../escape' }),
      400,
      'InvalidStoreName',
    );
  });

  it('a frozen store refuses writes with 409 SnapshotFrozen, still answers queries, and can be branched', async () => {
    const { rows, ids } = await seeded('snap', 20, 3);
    const f = await call(app, 'POST', '/stores/snap/freeze');
    expect(f).toMatchObject({ status: 200, json: { epoch: 1 } });
    expect((await call(app, 'GET', '/stores/snap')).json).toMatchObject({ frozen: true, readOnly: true });
    const write = await call(app, 'POST', '/stores/snap/vectors', { vectors: [[0, 0, 0]], ids: [1] });
    expectError(write, 409, 'SnapshotFrozen', '0x0704');
    expect(write.json.error.message).not.toContain(work.dir);
    expectError(await call(app, 'POST', '/stores/snap/delete', { ids: [10] }), 409, 'SnapshotFrozen');
    expectError(await call(app, 'POST', '/stores/snap/compact'), 409, 'SnapshotFrozen');
    const q = rows[3]!;
    sameHits(await query('snap', { vector: q, k: 5 }), bruteForce(rows, ids, 'l2', q, 5), expect);
    expect((await call(app, 'POST', '/stores/snap/branch', { child: 'work' })).status).toBe(201);
    const w = await call(app, 'POST', '/stores/work/vectors', { vectors: [[0, 0, 0]], ids: [1] });
    expect(w.status).toBe(200);

    // A frozen store stays frozen for a new server (opened read-write, writes still refused).
    await app.close();
    app = buildServer({ dataDir: work.dir });
    expectError(
      await call(app, 'POST', '/stores/snap/vectors', { vectors: [[0, 0, 0]], ids: [1] }),
      409,
      'SnapshotFrozen',
    );
  });
});

describe('errors', () => {
  it('bad filter → 400 FilterParseError', async () => {
    await seeded('s', 5, 2);
    const r = await call(app, 'POST', '/stores/s/query', { vector: [0, 0], k: 1, filter: { op: 'xor' } });
    expectError(r, 400, 'FilterParseError', '0x0203');
    expect(r.json.error.message).toMatch(/unknown op 'xor'/);
    expectError(
      await call(app, 'POST', '/stores/s/query', { vector: [0, 0], k: 1, filter: '{"op":"eq"' }),
      400,
      'FilterParseError',
    );
    expectError(
      await call(app, 'POST', '/stores/s/delete', { filter: { op: 'eq', field: 'color' } }),
      400,
      'FilterParseError',
    );
  });

  it('wrong dimension → 400 DimensionMismatch (ingest and query); bad k → 400 InvalidArgument', async () => {
    await seeded('s', 5, 2);
    const ing = await call(app, 'POST', '/stores/s/vectors', { vectors: [[1, 2, 3]], ids: [1] });
    expectError(ing, 400, 'DimensionMismatch', '0x0200');
    expectError(
      await call(app, 'POST', '/stores/s/query', { vector: [1, 2, 3], k: 1 }),
      400,
      'DimensionMismatch',
    );
    expectError(
      await call(app, 'POST', '/stores/s/query', { vector: [1, 2], k: 0 }),
      400,
      'InvalidArgument',
      '0x4000',
    );
    expectError(
      await call(app, 'POST', '/stores/s/query', { vector: [1, 2], k: 1.5 }),
      400,
      'InvalidArgument',
    );
    // Nothing was written by the refused requests.
    expect((await call(app, 'GET', '/stores/s')).json.currentEpoch).toBe(1);
  });

  it('body schema: missing or mistyped fields → 400 ValidationError', async () => {
    await seeded('s', 5, 2);
    expectError(await call(app, 'POST', '/stores/s/query', { vector: [1, 2] }), 400, 'ValidationError');
    expectError(
      await call(app, 'POST', '/stores/s/query', { vector: [1, 2], k: '3' }),
      400,
      'ValidationError',
    );
    expectError(await call(app, 'POST', '/stores/s/vectors', { vectors: [[1, 2]] }), 400, 'ValidationError');
    expectError(await call(app, 'POST', '/stores', { name: 'x' }), 400, 'ValidationError');
  });

  it('create: bad options are the library errors; an existing name → 409', async () => {
    expectError(await call(app, 'POST', '/stores', { name: 'x', dimension: 0 }), 400, 'InvalidArgument');
    expectError(
      await call(app, 'POST', '/stores', { name: 'x', dimension: 2, metric: 'hamming' }),
      400,
      'MetricUnsupported',
      '0x0202',
    );
    expect(existsSync(join(work.dir, 'x.rvf'))).toBe(false);
    expect((await call(app, 'POST', '/stores', { name: 'x', dimension: 2 })).status).toBe(201);
    const again = await call(app, 'POST', '/stores', { name: 'x', dimension: 2 });
    expectError(again, 409, 'PathExists', '0x4001');
    expect(again.json.error.message).toMatch(/already exists/);
  });

  it('unknown store → 404 ManifestNotFound on every route', async () => {
    const routes: ['GET' | 'POST', string, unknown?][] = [
      ['GET', '/stores/ghost'],
      ['POST', '/stores/ghost/vectors', { vectors: [[1]], ids: [1] }],
      ['POST', '/stores/ghost/query', { vector: [1], k: 1 }],
      ['POST', '/stores/ghost/delete', { ids: [1] }],
      ['POST', '/stores/ghost/compact'],
      ['POST', '/stores/ghost/freeze'],
      ['POST', '/stores/ghost/branch', { child: 'c' }],
      ['GET', '/stores/ghost/segments'],
      ['GET', '/stores/ghost/witness'],
      ['GET', '/stores/ghost/export'],
    ];
    for (const [method, url, body] of routes) {
      expectError(await call(app, method, url, body), 404, 'ManifestNotFound', '0x0106');
    }
    expect(readdirSync(work.dir)).toEqual([]);
    expectError(await call(app, 'GET', '/no/such/route'), 404, 'NotFound');
  });

  it('names that could leave the data folder → 400', async () => {
    for (const url of [
      '/stores/..%2Fx',
      '/stores/...',
      '/stores/.hidden',
      '/stores/a%2F..%2F..%2Fetc%2Fpasswd',
      '/stores/x%00y',
    ]) {
      expectError(await call(app, 'GET', url), 400, 'InvalidStoreName');
    }
    expectError(
      await call(app, 'POST', '/stores/..%2Fx/query', { vector: [1], k: 1 }),
      400,
      'InvalidStoreName',
    );
    for (const name of ['../x', '/tmp/x', 'a/b', '..', '', 'a b']) {
      expectError(await call(app, 'POST', '/stores', { name, dimension: 2 }), 400, 'InvalidStoreName');
    }
    expect(readdirSync(work.dir)).toEqual([]);
  });

  it('a store another writer holds → 423 LockHeld', async () => {
    await seeded('s', 3, 2);
    const other = buildServer({ dataDir: work.dir });
    try {
      expectError(await call(other, 'GET', '/stores/s'), 423, 'LockHeld', '0x0300');
      const list = await call(other, 'GET', '/stores');
      expect(list.json.stores).toEqual([{ name: 's', error: expect.objectContaining({ name: 'LockHeld' }) }]);
    } finally {
      await other.close();
    }
  });
});

describe('segments and witness', () => {
  it('lists segments and verifies the witness chain, timestamps as strings', async () => {
    await seeded('s', 10, 2);
    await call(app, 'POST', '/stores/s/delete', { ids: [10] });
    const segs = await call(app, 'GET', '/stores/s/segments');
    expect(segs.status).toBe(200);
    const types = segs.json.segments.map((s: Json) => s.segType);
    expect(types).toContain('vec');
    expect(types.filter((t: string) => t === 'witness')).toHaveLength(2);
    const w = await call(app, 'GET', '/stores/s/witness');
    expect(w.json).toMatchObject({ valid: true, entries: 2, chains: 1, shake256Links: 1 });
    expect(w.json.witnesses.map((x: Json) => x.action)).toEqual([
      'ingest:count=10,epoch=1',
      'delete:count=1,epoch=2',
    ]);
    for (const x of w.json.witnesses) expect(x.timestampNs).toMatch(/^\d+$/);
  });
});

describe('export and import', () => {
  it('export → import into a new store gives identical query results', async () => {
    const { dim } = await seeded('src', 150, 5, 'cosine');
    await call(app, 'POST', '/stores/src/vectors', {
      vectors: [Array(dim).fill(0.5)],
      ids: ['18446744073709551000'],
      metadata: [{ color: 'red', price: 1000 }],
    });
    await call(app, 'POST', '/stores/src/delete', { ids: [10, 13] });
    const ex = await app.inject({ method: 'GET', url: '/stores/src/export' });
    expect(ex.statusCode).toBe(200);
    expect(ex.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ex.body.split('\n').filter(Boolean);
    expect(lines).toHaveLength(149);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: 16, metadata: { color: 'blue', price: 2 } });

    await call(app, 'POST', '/stores', { name: 'copy', dimension: dim, metric: 'cosine' });
    const imp = await app.inject({
      method: 'POST',
      url: '/stores/copy/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: ex.body,
    });
    expect(imp.statusCode, imp.body).toBe(200);
    expect(JSON.parse(imp.body)).toEqual({ accepted: 149, epoch: 1 });

    for (const [i, q] of randomRows(5, dim, 77).entries()) {
      const filter = i % 2 ? { op: 'ge', field: 'price', value: 40 } : undefined;
      const a = await query('src', { vector: q, k: 20, filter });
      const b = await query('copy', { vector: q, k: 20, filter });
      expect(b).toEqual(a);
      expect(a).toHaveLength(20);
    }
    const again = await app.inject({ method: 'GET', url: '/stores/copy/export' });
    expect(again.body).toBe(ex.body);
  });

  it('an empty store exports nothing; a bad line → 400; JSON instead of NDJSON → 415', async () => {
    await call(app, 'POST', '/stores', { name: 'e', dimension: 2 });
    const ex = await app.inject({ method: 'GET', url: '/stores/e/export' });
    expect(ex.statusCode).toBe(200);
    expect(ex.body).toBe('');
    const bad = await app.inject({
      method: 'POST',
      url: '/stores/e/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"id":1,"vector":[1,2]}\n{"id":2,"vector":[1,2\n',
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ name: 'InvalidRecord', code: '0x4005' });
    expect(JSON.parse(bad.body).error.message).toMatch(/line 2/);
    const dim = await app.inject({
      method: 'POST',
      url: '/stores/e/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"id":1,"vector":[1,2,3]}\n',
    });
    expect(JSON.parse(dim.body).error.name).toBe('DimensionMismatch');
    const json = await call(app, 'POST', '/stores/e/import', { id: 1, vector: [1, 2] });
    expectError(json, 415, 'UnsupportedMediaType');
  });
});

describe('shutdown', () => {
  it('closing the server closes every handle and leaves no .lock files behind', async () => {
    await seeded('a', 10, 2);
    await call(app, 'POST', '/stores/a/branch', { child: 'b' });
    await call(app, 'POST', '/stores', { name: 'c', dimension: 2 });
    expect(
      readdirSync(work.dir)
        .filter((f) => f.endsWith('.lock'))
        .sort(),
    ).toEqual(['a.rvf.lock', 'b.rvf.lock', 'c.rvf.lock']);
    await app.close();
    expect(readdirSync(work.dir).sort()).toEqual(['a.rvf', 'b.rvf', 'c.rvf']);

    // A new server opens them lazily (GET /stores opens all), and releases them again on close.
    app = buildServer({ dataDir: work.dir });
    const list = await call(app, 'GET', '/stores');
    expect(list.json.stores.map((s: Json) => [s.name, s.status.totalVectors])).toEqual([
      ['a', 10],
      ['b', 10],
      ['c', 0],
    ]);
    expect(readdirSync(work.dir).filter((f) => f.endsWith('.lock'))).toHaveLength(3);
    await app.close();
    expect(readdirSync(work.dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
    app = buildServer({ dataDir: work.dir });
  });
});
