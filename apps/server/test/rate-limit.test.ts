import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { call, closeServer, expectError, freshServer } from './helpers.js';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  ({ work, app } = await freshServer({
    apiKeys: [
      { key: KEY_A, role: 'read-write' },
      { key: KEY_B, role: 'read-only' },
    ],
    rateLimit: { max: 5, timeWindowMs: 60_000 },
  }));
});

afterEach(() => closeServer({ work, app }));

describe('rate limiting (@fastify/rate-limit)', () => {
  it('allows max requests per window per key, then 429 RateLimited with Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call(app, 'GET', '/stores', undefined, bearer(KEY_A));
      expect(r.status).toBe(200);
      expect(r.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const over = await call(app, 'GET', '/stores', undefined, bearer(KEY_A));
    expectError(expect, over, 429, 'RateLimited', 'RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Another key has a bucket of its own.
    expect((await call(app, 'GET', '/stores', undefined, bearer(KEY_B))).status).toBe(200);
  });

  it('clients without a valid key share their address’s bucket, so guessing keys is limited too', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call(app, 'GET', '/stores', undefined, bearer(`guess-${i}-0123456789abcdef`));
      expect(r.status).toBe(401);
    }
    const over = await call(app, 'GET', '/stores', undefined, bearer('guess-5-0123456789abcdef'));
    expect(over.status).toBe(429);
    // A valid key is counted on its own, not with the guesses from the same address.
    expect((await call(app, 'GET', '/stores', undefined, bearer(KEY_A))).status).toBe(200);
  });

  it('GET /health is never limited', async () => {
    for (let i = 0; i < 12; i++) expect((await call(app, 'GET', '/health')).status).toBe(200);
  });

  it('is off unless configured', async () => {
    const open = buildServer({ dataDir: `${work.dir}-open` });
    try {
      for (let i = 0; i < 30; i++) expect((await call(open, 'GET', '/stores')).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
