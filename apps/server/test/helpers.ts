import { tempDir as makeTempDir, mulberry32, referenceDistance } from '@rvfjs/test-kit';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../src/index.js';

/** A fresh temp folder, removed by the returned cleanup. */
export const tempDir = (prefix = 'rvfjs-server-') => makeTempDir(prefix);

/** A server over a fresh data folder, ready for requests (`extra` adds to its options). */
export async function freshServer(
  extra: Omit<ServerOptions, 'dataDir'> = {},
): Promise<{ work: ReturnType<typeof tempDir>; app: FastifyInstance }> {
  const work = tempDir();
  const app = buildServer({ dataDir: work.dir, ...extra });
  await app.ready();
  return { work, app };
}

/** Closes a freshServer's server and removes its folder. */
export async function closeServer(s: {
  work: ReturnType<typeof tempDir>;
  app: FastifyInstance;
}): Promise<void> {
  await s.app.close();
  s.work.cleanup();
}

/** Seeded PRNG (mulberry32), so failures reproduce. */
export const rng = mulberry32;

/** Rows of float32-exact numbers in [-1, 1), so JSON carries exactly what the store keeps. */
export function randomRows(n: number, dim: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.fround(r() * 2 - 1)));
}

/** Brute-force k-NN in float64, independent of the library. */
export function bruteForce(
  rows: number[][],
  ids: readonly (number | string)[],
  metric: 'l2' | 'inner_product' | 'cosine',
  q: readonly number[],
  k: number,
  keep: (i: number) => boolean = () => true,
): { id: number | string; distance: number }[] {
  const out: { id: number | string; distance: number; i: number }[] = [];
  rows.forEach((v, i) => {
    if (!keep(i)) return;
    const distance = referenceDistance(metric, v, q);
    out.push({ id: ids[i]!, distance, i });
  });
  out.sort((a, b) => a.distance - b.distance || a.i - b.i);
  return out.slice(0, k).map(({ id, distance }) => ({ id, distance }));
}

export interface Hit {
  id: number | string;
  distance: number;
  metadata?: Record<string, unknown>;
}

/** Same ids in the same order, distances equal to float32 precision. */
export function sameHits(
  got: Hit[],
  want: { id: number | string; distance: number }[],
  expect: (v: unknown) => { toEqual(x: unknown): void; toBeLessThanOrEqual(x: number): void },
): void {
  expect(got.map((h) => h.id)).toEqual(want.map((w) => w.id));
  got.forEach((h, i) => {
    const w = want[i]!.distance;
    expect(Math.abs(h.distance - w)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w)));
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are free-form JSON checked field by field
export type Json = any;

export interface Answer {
  status: number;
  json: Json;
  text: string;
  type: string;
  headers: Record<string, unknown>;
}

/** One request through app.inject; the body parsed as JSON when it is JSON. */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await app.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  const type = String(res.headers['content-type'] ?? '');
  return {
    status: res.statusCode,
    text: res.body,
    type,
    headers: res.headers,
    json: type.startsWith('application/json') ? JSON.parse(res.body) : undefined,
  };
}

/** Asserts an error answer: status, error name, optionally its code, and a message. */
export function expectError(
  expect: (v: unknown, m?: string) => { toBe(x: unknown): void },
  r: { status: number; json: Json },
  status: number,
  name: string,
  code?: string,
): void {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json?.error?.name).toBe(name);
  if (code) expect(r.json.error.code).toBe(code);
  expect(typeof r.json.error.message).toBe('string');
}

/** A promise settled in `ms` (for bounded waits in tests). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
