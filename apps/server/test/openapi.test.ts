import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { call, type Json, tempDir } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;
/** Every route the server registers, as `METHOD /path` (HEAD twins of GETs left out). */
let routes: string[];

beforeEach(async () => {
  work = tempDir();
  app = buildServer({ dataDir: work.dir, apiKeys: [{ key: 'openapi-test-key-0123', role: 'read-only' }] });
  routes = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  work.cleanup();
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

async function document(): Promise<Json> {
  const r = await call(app, 'GET', '/openapi.json', undefined, {
    authorization: 'Bearer openapi-test-key-0123',
  });
  expect(r.status).toBe(200);
  return r.json;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document listing every route the server has', async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({
      title: expect.any(String),
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    const documented: string[] = [];
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const method of Object.keys(item)) {
        expect(METHODS).toContain(method);
        documented.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(documented.sort()).toEqual([...routes].sort());
  });

  it('describes parameters, bodies, responses and security the way clients need them', async () => {
    const doc = await document();
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(item)) {
        expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
        const names = (op.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(names.sort(), `${method} ${path}`).toEqual(inPath.sort());
      }
    }
    const create = doc.paths['/stores'].post;
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      required: ['name', 'dimension'],
      additionalProperties: false,
    });
    expect(create.responses['201']).toBeDefined();
    expect(create.responses['409'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/Error',
    );
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'name', 'message']);
    expect(Object.keys(doc.paths['/stores/{name}/import'].post.requestBody.content)).toContain(
      'application/x-ndjson',
    );
    expect(doc.paths['/stores/{name}'].delete.responses['204']).toBeDefined();
    // Every $ref points at a component that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(doc.components.schemas[ref], ref).toBeDefined();
  });

  it('needs a key like every route but /health', async () => {
    expect((await call(app, 'GET', '/openapi.json')).status).toBe(401);
  });
});
