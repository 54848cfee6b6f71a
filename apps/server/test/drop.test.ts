import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { call, closeServer, expectError, freshServer, randomRows } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  ({ work, app } = await freshServer());
});

afterEach(() => closeServer({ work, app }));

async function seeded(name: string, n = 20) {
  expect((await call(app, 'POST', '/stores', { name, dimension: 3 })).status).toBe(201);
  const rows = randomRows(n, 3, 5);
  const ing = await call(app, 'POST', `/stores/${name}/vectors`, {
    vectors: rows,
    ids: rows.map((_, i) => i),
  });
  expect(ing.status).toBe(200);
}

describe('DELETE /stores/:name', () => {
  it('closes the store, deletes its file and lock; the name is free again', async () => {
    await seeded('old');
    expect(readdirSync(work.dir).sort()).toEqual(['old.rvf', 'old.rvf.lock']);
    const r = await call(app, 'DELETE', '/stores/old');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(readdirSync(work.dir)).toEqual([]);
    expectError(expect, await call(app, 'GET', '/stores/old'), 404, 'ManifestNotFound');
    expectError(expect, await call(app, 'DELETE', '/stores/old'), 404, 'ManifestNotFound');
    expect((await call(app, 'GET', '/stores')).json.stores).toEqual([]);
    // A new store of that name starts empty.
    expect((await call(app, 'POST', '/stores', { name: 'old', dimension: 5 })).json).toMatchObject({
      dimension: 5,
      totalVectors: 0,
    });
  });

  it('drops a store that was not open yet (a new server)', async () => {
    await seeded('cold');
    await app.close();
    app = buildServer({ dataDir: work.dir });
    expect((await call(app, 'DELETE', '/stores/cold')).status).toBe(204);
    expect(readdirSync(work.dir)).toEqual([]);
  });

  it('is refused (409 LineageBroken, naming the children) while branch children read from the store', async () => {
    await seeded('parent');
    await call(app, 'POST', '/stores/parent/branch', { child: 'kid-a' });
    await call(app, 'POST', '/stores/parent/branch', { child: 'kid-b' });
    await call(app, 'POST', '/stores/kid-a/branch', { child: 'grandkid' });
    const refused = await call(app, 'DELETE', '/stores/parent');
    expectError(expect, refused, 409, 'LineageBroken', '0x0602');
    expect(refused.json.error.message).toContain('kid-a, kid-b');
    expect(refused.json.error.message).not.toContain('grandkid');
    // Refused before anything was closed: the parent and its children still answer.
    expect((await call(app, 'POST', '/stores/parent/query', { vector: [0, 0, 0], k: 3 })).status).toBe(200);
    expect((await call(app, 'GET', '/stores/kid-b')).json.totalVectors).toBe(20);

    expectError(expect, await call(app, 'DELETE', '/stores/kid-a'), 409, 'LineageBroken');
    expect((await call(app, 'DELETE', '/stores/grandkid')).status).toBe(204);
    expect((await call(app, 'DELETE', '/stores/kid-a')).status).toBe(204);
    expectError(expect, await call(app, 'DELETE', '/stores/parent'), 409, 'LineageBroken');
    expect((await call(app, 'DELETE', '/stores/kid-b')).status).toBe(204);
    expect((await call(app, 'DELETE', '/stores/parent')).status).toBe(204);
    expect(readdirSync(work.dir)).toEqual([]);
  });

  it('sees children made before this server started', async () => {
    await seeded('p');
    await call(app, 'POST', '/stores/p/branch', { child: 'c' });
    await app.close();
    app = buildServer({ dataDir: work.dir });
    expectError(expect, await call(app, 'DELETE', '/stores/p'), 409, 'LineageBroken');
    expect(existsSync(join(work.dir, 'p.rvf'))).toBe(true);
  });

  it('waits for writes already queued, and later requests on the old handle get a clean answer', async () => {
    await seeded('busy');
    const rows = randomRows(500, 3, 8);
    const writes = Array.from({ length: 10 }, (_, i) =>
      call(app, 'POST', '/stores/busy/vectors', {
        vectors: rows.slice(i * 50, i * 50 + 50),
        ids: rows.slice(i * 50, i * 50 + 50).map((_, j) => 1000 + i * 50 + j),
      }),
    );
    const drop = call(app, 'DELETE', '/stores/busy');
    const answers = await Promise.all(writes);
    expect((await drop).status).toBe(204);
    for (const a of answers) {
      // Committed before the close, or refused cleanly: never a 500 or a lock error.
      expect([200, 404, 409], a.text).toContain(a.status);
    }
    expect(readdirSync(work.dir)).toEqual([]);
  });

  it('a bad name is 400, never a path outside the folder', async () => {
    expectError(expect, await call(app, 'DELETE', '/stores/..%2Fx'), 400, 'InvalidStoreName');
  });
});
