import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, KeyRing, keysFromEnv, parseKeysFile } from '../src/index.js';
import { call, closeServer, expectError, freshServer } from './helpers.js';

const RW = 'rw-0123456789abcdef0123';
const RW2 = 'rw-second-key-fedcba987';
const RO = 'ro-0123456789abcdef0123';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  ({ work, app } = await freshServer({
    apiKeys: [
      { key: RW, role: 'read-write' },
      { key: RW2, role: 'read-write' },
      { key: RO, role: 'read-only' },
    ],
  }));
  expect((await call(app, 'POST', '/stores', { name: 's', dimension: 2 }, bearer(RW))).status).toBe(201);
  await call(app, 'POST', '/stores/s/vectors', { vectors: [[1, 1]], ids: [7] }, bearer(RW));
});

afterEach(() => closeServer({ work, app }));

type Method = 'GET' | 'POST' | 'DELETE';
const reads: [Method, string, unknown?][] = [
  ['GET', '/stores'],
  ['GET', '/stores/s'],
  ['POST', '/stores/s/query', { vector: [1, 1], k: 1 }],
  ['POST', '/stores/s/query/batch', { queries: [{ vector: [1, 1], k: 1 }] }],
  ['GET', '/stores/s/vectors/7'],
  ['POST', '/stores/s/vectors/fetch', { ids: [7] }],
  ['GET', '/stores/s/segments'],
  ['GET', '/stores/s/witness'],
  ['GET', '/stores/s/export'],
  ['GET', '/openapi.json'],
  ['GET', '/metrics'],
];
const writes: [Method, string, unknown?][] = [
  ['POST', '/stores', { name: 'new', dimension: 2 }],
  ['POST', '/stores/s/vectors', { vectors: [[2, 2]], ids: [8] }],
  ['POST', '/stores/s/delete', { ids: [8] }],
  ['POST', '/stores/s/compact'],
  ['POST', '/stores/s/branch', { child: 'kid' }],
  ['POST', '/stores/s/freeze'],
  ['DELETE', '/stores/new'],
];

describe('API keys', () => {
  it('GET /health needs no key', async () => {
    expect(await call(app, 'GET', '/health')).toMatchObject({ status: 200, json: { ok: true } });
  });

  it('every other route: 401 without a key, with a wrong key, or with another scheme', async () => {
    for (const [method, url, body] of [...reads, ...writes, ['GET', '/no/such/route'] as [Method, string]]) {
      const none = await call(app, method, url, body);
      expectError(expect, none, 401, 'Unauthorized', 'UNAUTHORIZED');
      expect(none.headers['www-authenticate']).toBe('Bearer realm="rvf"');
      expect(none.json.error.message).toMatch(/Authorization: Bearer/);
      for (const headers of [
        bearer(`${RW}x`),
        bearer(RW.slice(0, -1)),
        bearer('x'),
        { authorization: `Basic ${RW}` },
      ]) {
        const wrong = await call(app, method, url, body, headers);
        expectError(expect, wrong, 401, 'Unauthorized');
        expect(wrong.text).not.toContain(RW);
      }
    }
    // Nothing was written by the refused writes.
    expect((await call(app, 'GET', '/stores/s', undefined, bearer(RO))).json).toMatchObject({
      currentEpoch: 1,
      frozen: false,
    });
  });

  it('a read-only key reads, and gets 403 on every write', async () => {
    for (const [method, url, body] of reads) {
      const r = await call(app, method, url, body, bearer(RO));
      expect(r.status, `${method} ${url}: ${r.text}`).toBe(200);
    }
    for (const [method, url, body] of writes) {
      expectError(expect, await call(app, method, url, body, bearer(RO)), 403, 'Forbidden', 'FORBIDDEN');
    }
    const info = await call(app, 'GET', '/stores/s', undefined, bearer(RO));
    expect(info.json).toMatchObject({ currentEpoch: 1, totalVectors: 1, frozen: false });
  });

  it('any read-write key writes; the scheme is case-insensitive', async () => {
    for (const [i, [method, url, body]] of writes.entries()) {
      const key = i % 2 ? RW : RW2;
      const headers = i % 3 ? bearer(key) : { authorization: `bearer ${key}` };
      const r = await call(app, method, url, body, headers);
      expect([200, 201, 204], `${method} ${url}: ${r.text}`).toContain(r.status);
    }
  });

  it('a server with no key stays open (the loopback default)', async () => {
    const open = buildServer({ dataDir: `${work.dir}-open` });
    try {
      expect((await call(open, 'POST', '/stores', { name: 'x', dimension: 2 })).status).toBe(201);
      expect((await call(open, 'GET', '/stores/x', undefined, bearer('anything-at-all-1234'))).status).toBe(
        200,
      );
    } finally {
      await open.close();
    }
  });

  it('refuses an unauthenticated upload before reading its body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/stores/s/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"id":9,"vector":[9,9]}\n',
    });
    expect(res.statusCode).toBe(401);
    expect((await call(app, 'GET', '/stores/s', undefined, bearer(RW))).json.totalVectors).toBe(1);
  });
});

describe('key sources', () => {
  it('a keys file: "<role> <key>" per line, comments and blank lines ignored', () => {
    const text = `# keys of the staging server\n\nread-write ${RW}\n  read-only\t${RO}  \n`;
    expect(parseKeysFile(text)).toEqual([
      { role: 'read-write', key: RW },
      { role: 'read-only', key: RO },
    ]);
  });

  it('a bad keys file names the line and never echoes the key', () => {
    const bad: [string, RegExp][] = [
      [`admin ${RW}`, /line 2: role must be read-write or read-only/],
      [`read-write`, /line 2: expected '<role> <key>'/],
      [`read-write ${RW} extra`, /line 2: expected '<role> <key>'/],
      ['read-only short', /line 2: an API key is at least 16/],
    ];
    for (const [line, message] of bad) {
      let thrown: Error | undefined;
      try {
        parseKeysFile(`# ok\n${line}\n`, 'keys.txt');
      } catch (e) {
        thrown = e as Error;
      }
      expect(thrown?.message).toMatch(message);
      expect(thrown?.message).toMatch(/keys\.txt/);
      expect(thrown?.message).not.toContain(RW);
      expect(thrown?.message).not.toContain('short');
    }
  });

  it('the environment: RVF_API_KEY read-write, RVF_READ_ONLY_API_KEY read-only; short keys refused', () => {
    expect(keysFromEnv({ RVF_API_KEY: RW, RVF_READ_ONLY_API_KEY: RO })).toEqual([
      { role: 'read-write', key: RW },
      { role: 'read-only', key: RO },
    ]);
    expect(keysFromEnv({})).toEqual([]);
    expect(() => keysFromEnv({ RVF_API_KEY: 'secret' })).toThrow(/RVF_API_KEY: an API key is at least 16/);
  });

  it('a key ring keeps digests, not keys, and matches only whole keys', () => {
    const ring = new KeyRing([
      { key: RW, role: 'read-write' },
      { key: RO, role: 'read-only' },
    ]);
    expect(ring.identify(RW)?.role).toBe('read-write');
    expect(ring.identify(RO)?.role).toBe('read-only');
    expect(ring.identify(RW.slice(0, 16))).toBeUndefined();
    expect(ring.identify(`${RO} `)).toBeUndefined();
    expect(ring.identify('')).toBeUndefined();
    expect(ring.identify(RW)?.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(ring.identify(RW)?.keyId).not.toBe(ring.identify(RO)?.keyId);
    expect(JSON.stringify(ring)).not.toContain(RW);
    expect(
      () =>
        new KeyRing([
          { key: RW, role: 'read-write' },
          { key: RW, role: 'read-only' },
        ]),
    ).toThrow(/given twice/);
  });
});
