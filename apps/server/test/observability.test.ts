import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { call, type Json, tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;
let logLines: Json[];

beforeEach(async () => {
  work = tempDir();
  logLines = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  app = buildServer({ dataDir: work.dir, logger: { level: 'info', stream } });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  work.cleanup();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids and structured logs', () => {
  it('each response carries x-request-id: a fresh UUID, or the client’s own when it is sane', async () => {
    const a = await call(app, 'GET', '/health');
    const b = await call(app, 'GET', '/health');
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    const mine = await call(app, 'GET', '/health', undefined, { 'x-request-id': 'trace-42:abc' });
    expect(mine.headers['x-request-id']).toBe('trace-42:abc');
    // Not something that could forge a log line.
    const evil = await call(app, 'GET', '/health', undefined, { 'x-request-id': 'a"b c' });
    expect(evil.headers['x-request-id']).toMatch(UUID);
    // Errors carry it too.
    const err = await call(app, 'GET', '/stores/ghost');
    expect(err.status).toBe(404);
    expect(err.headers['x-request-id']).toMatch(UUID);
  });

  it('logs are JSON lines, each with the reqId of its request', async () => {
    await call(app, 'POST', '/stores', { name: 's', dimension: 2 }, { 'x-request-id': 'create-1' });
    const mine = logLines.filter((l) => l.reqId === 'create-1');
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(mine[0].req).toMatchObject({ method: 'POST', url: '/stores' });
    expect(mine[1].res).toMatchObject({ statusCode: 201 });
    expect(typeof mine[1].responseTime).toBe('number');
    for (const l of logLines) expect(typeof l.time).toBe('number');
  });
});

describe('GET /metrics', () => {
  it('Prometheus text with request timings by route pattern and the store counters', async () => {
    await call(app, 'POST', '/stores', { name: 's', dimension: 2 });
    await call(app, 'POST', '/stores/s/vectors', {
      vectors: [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
      ids: [1, 2, 3],
    });
    await call(app, 'POST', '/stores/s/query', { vector: [0, 0], k: 1 });
    await call(app, 'POST', '/stores/s/query/batch', {
      queries: [
        { vector: [0, 0], k: 1 },
        { vector: [1, 1], k: 2 },
      ],
    });
    const r = await call(app, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const value = (name: string) => {
      const line = r.text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(value('rvf_ingested_vectors_total')).toBe(3);
    expect(value('rvf_queries_total')).toBe(3);
    expect(value('rvf_open_stores')).toBe(1);
    expect(
      value(
        'http_request_duration_seconds_count{method="POST",route="/stores/:name/query",status_code="200"}',
      ),
    ).toBe(1);
    expect(
      value('http_request_duration_seconds_count{method="POST",route="/stores",status_code="201"}'),
    ).toBe(1);
    // Labels are route patterns, never raw URLs (whose number is unbounded).
    expect(r.text).not.toContain('route="/stores/s/');
    // Node's own process metrics come along.
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('each server counts only its own requests', async () => {
    const other = buildServer({ dataDir: `${work.dir}-other` });
    try {
      await call(other, 'POST', '/stores', { name: 'x', dimension: 1 });
      await call(other, 'POST', '/stores/x/vectors', { vectors: [[1]], ids: [1] });
      const mine = await call(app, 'GET', '/metrics');
      expect(mine.text).toMatch(/^rvf_ingested_vectors_total 0$/m);
      const theirs = await call(other, 'GET', '/metrics');
      expect(theirs.text).toMatch(/^rvf_ingested_vectors_total 1$/m);
    } finally {
      await other.close();
    }
  });
});
