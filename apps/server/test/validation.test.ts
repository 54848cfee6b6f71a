import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { call, closeServer, expectError, freshServer, randomRows, sleep } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  ({ work, app } = await freshServer());
});

afterEach(() => closeServer({ work, app }));

describe('create checks every option before a file is made', () => {
  const refused: [string, Record<string, unknown>, string][] = [
    ['m far too large (the library would fail later, in the background)', { m: 100_000 }, 'InvalidArgument'],
    ['m of 1 (hnswlib needs 2)', { m: 1 }, 'InvalidArgument'],
    ['m beyond the server bound', { m: 257 }, 'InvalidArgument'],
    ['m not an integer', { m: 16.5 }, 'InvalidArgument'],
    ['efConstruction 0', { efConstruction: 0 }, 'InvalidArgument'],
    ['efConstruction huge', { efConstruction: 1e12 }, 'InvalidArgument'],
    ['efSearch huge', { efSearch: 10_001 }, 'InvalidArgument'],
    ['dimension 0', { dimension: 0 }, 'InvalidArgument'],
    ['dimension 1.5', { dimension: 1.5 }, 'InvalidArgument'],
    ['dimension beyond u16', { dimension: 65_536 }, 'InvalidArgument'],
    ['profile beyond u8', { profile: 256 }, 'InvalidArgument'],
    ['profile negative', { profile: -1 }, 'InvalidArgument'],
    ['an unknown metric', { metric: 'hamming' }, 'MetricUnsupported'],
  ];
  it.each(refused)('%s → 400, no file', async (_, options, name) => {
    const r = await call(app, 'POST', '/stores', { name: 'x', dimension: 4, ...options });
    expectError(expect, r, 400, name);
    expect(readdirSync(work.dir)).toEqual([]);
  });

  it('an unknown or misspelt option is refused, not ignored', async () => {
    const r = await call(app, 'POST', '/stores', { name: 'x', dimension: 4, metirc: 'cosine' });
    expectError(expect, r, 400, 'ValidationError');
    expect(r.json.error.message).toMatch(/additional properties/);
    expect(readdirSync(work.dir)).toEqual([]);
  });

  it('the bounds themselves are accepted, and such a store builds its graph (the server stays up)', async () => {
    const threshold = buildServer({ dataDir: join(work.dir, 'g'), indexThreshold: 64 });
    try {
      const r = await call(threshold, 'POST', '/stores', {
        name: 'edge',
        dimension: 4,
        m: 256,
        efConstruction: 10_000,
        efSearch: 10_000,
        profile: 255,
      });
      expect(r.status, r.text).toBe(201);
      const rows = randomRows(100, 4, 3);
      const ing = await call(threshold, 'POST', '/stores/edge/vectors', {
        vectors: rows,
        ids: rows.map((_, i) => i),
      });
      expect(ing.json).toEqual({ accepted: 100, rejected: 0, epoch: 1 });
      const native = (await call(threshold, 'GET', '/stores/edge')).json.engine.nativeAvailable === true;
      const deadline = Date.now() + 20_000;
      while (native && (await call(threshold, 'GET', '/stores/edge')).json.engine.index !== 'complete') {
        if (Date.now() > deadline) throw new Error('graph not complete in 20 s');
        await sleep(20);
      }
      const q = await call(threshold, 'POST', '/stores/edge/query', { vector: rows[9], k: 1, plan: 'hnsw' });
      expect(q.json.results[0]).toMatchObject({ id: 9, distance: 0 });
    } finally {
      await threshold.close();
    }
  });

  it('the server-wide indexThreshold is checked when the server is built', () => {
    expect(() => buildServer({ dataDir: work.dir, indexThreshold: -1 })).toThrow(/indexThreshold/);
    expect(() => buildServer({ dataDir: work.dir, indexThreshold: 1.5 })).toThrow(/indexThreshold/);
  });
});

describe('a failed ingest has committed nothing', () => {
  /** The store's epoch, vector count and file size: what a commit would change. */
  async function footprint() {
    const info = (await call(app, 'GET', '/stores/s')).json;
    return {
      epoch: info.currentEpoch,
      total: info.totalVectors,
      bytes: statSync(join(work.dir, 's.rvf')).size,
    };
  }

  beforeEach(async () => {
    await call(app, 'POST', '/stores', { name: 's', dimension: 2 });
    await call(app, 'POST', '/stores/s/vectors', { vectors: [[0, 0]], ids: [0], metadata: [{ tag: 'a' }] });
  });

  // Each batch is fine except for its last item: a check that stopped early would let it through.
  const ok = Array.from({ length: 50 }, (_, i) => [i, i]);
  const okIds = ok.map((_, i) => i + 1);
  const okMeta = ok.map((_, i) => ({ tag: `t${i}` }));
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['a negative id last', { vectors: ok, ids: [...okIds.slice(0, -1), -1] }, 400, 'InvalidId'],
    [
      'an id beyond u64 last',
      { vectors: ok, ids: [...okIds.slice(0, -1), '18446744073709551616'] },
      400,
      'InvalidId',
    ],
    ['a fractional id last', { vectors: ok, ids: [...okIds.slice(0, -1), 2.5] }, 400, 'InvalidId'],
    ['a short vector last', { vectors: [...ok.slice(0, -1), [1]], ids: okIds }, 400, 'DimensionMismatch'],
    ['more ids than vectors', { vectors: ok.slice(1), ids: okIds }, 400, 'DimensionMismatch'],
    [
      'metadata with a nested object last',
      { vectors: ok, ids: okIds, metadata: [...okMeta.slice(0, -1), { tag: { deep: 1 } }] },
      400,
      'InvalidMetadata',
    ],
    [
      'metadata with a boolean last',
      { vectors: ok, ids: okIds, metadata: [...okMeta.slice(0, -1), { flag: true }] },
      400,
      'InvalidMetadata',
    ],
    [
      'one metadata object too few',
      { vectors: ok, ids: okIds, metadata: okMeta.slice(1) },
      400,
      'InvalidMetadata',
    ],
    [
      'a flat entry with a bad u64 last',
      {
        vectors: ok.slice(0, 2),
        ids: okIds.slice(0, 2),
        metadata: [
          { fieldId: 0, valueType: 'u64', value: '5' },
          { fieldId: 0, valueType: 'u64', value: '-5' },
        ],
      },
      400,
      'InvalidMetadata',
    ],
    [
      'a metadata row that is not an object',
      { vectors: ok, ids: okIds, metadata: [...okMeta.slice(0, -1), 7] },
      400,
      'InvalidMetadata',
    ],
  ];
  it.each(cases)('%s: refused, epoch, count and file size unchanged', async (_, body, status, name) => {
    const before = await footprint();
    expectError(expect, await call(app, 'POST', '/stores/s/vectors', body), status, name);
    expect(await footprint()).toEqual(before);
    // The same batch, fixed, then commits whole.
    const fixed = await call(app, 'POST', '/stores/s/vectors', { vectors: ok, ids: okIds, metadata: okMeta });
    expect(fixed.json).toEqual({ accepted: 50, rejected: 0, epoch: before.epoch + 1 });
  });

  it('a batch over the item limit → 413 BatchTooLarge, nothing written', async () => {
    const small = buildServer({ dataDir: `${work.dir}-small`, limits: { batchItems: 10 } });
    try {
      await call(small, 'POST', '/stores', { name: 's', dimension: 1 });
      const eleven = Array.from({ length: 11 }, (_, i) => [i]);
      const r = await call(small, 'POST', '/stores/s/vectors', {
        vectors: eleven,
        ids: eleven.map((_, i) => i),
      });
      expectError(expect, r, 413, 'BatchTooLarge', 'BATCH_TOO_LARGE');
      expect((await call(small, 'GET', '/stores/s')).json.currentEpoch).toBe(0);
      const ten = eleven.slice(1);
      expect(
        (await call(small, 'POST', '/stores/s/vectors', { vectors: ten, ids: ten.map((_, i) => i) })).status,
      ).toBe(200);
    } finally {
      await small.close();
    }
  });
});
