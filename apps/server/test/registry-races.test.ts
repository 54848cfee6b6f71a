import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Answer, call, closeServer, expectError, freshServer } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let app: FastifyInstance;

beforeEach(async () => {
  ({ work, app } = await freshServer());
});

afterEach(() => closeServer({ work, app }));

const ROUNDS = 20;
const PARALLEL = 16;

/** A store that works: described, written to, and queried back. */
async function expectUsable(name: string, id: number) {
  const info = await call(app, 'GET', `/stores/${name}`);
  expect(info.status, info.text).toBe(200);
  const ing = await call(app, 'POST', `/stores/${name}/vectors`, { vectors: [[id, -id]], ids: [id] });
  expect(ing.status, ing.text).toBe(200);
  const q = await call(app, 'POST', `/stores/${name}/query`, { vector: [id, -id], k: 1 });
  expect(q.json.results[0]).toMatchObject({ id, distance: 0 });
}

function statuses(answers: Answer[]): number[] {
  return answers.map((a) => a.status).sort();
}

describe('concurrent requests for one name', () => {
  it('parallel branches into one child: one 201, the rest 409 PathExists; the child stays usable', async () => {
    await call(app, 'POST', '/stores', { name: 'race', dimension: 2 });
    for (let round = 0; round < ROUNDS; round++) {
      const child = `race-kid-${round}`;
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () => call(app, 'POST', '/stores/race/branch', { child })),
      );
      expect(statuses(answers)).toEqual([201, ...Array(PARALLEL - 1).fill(409)]);
      for (const a of answers.filter((x) => x.status === 409))
        expectError(expect, a, 409, 'PathExists', '0x4001');
      // The winner's handle was kept: no 423 LockHeld from our own lock.
      await expectUsable(child, round + 1);
    }
    const lockFiles = readdirSync(work.dir).filter((f) => f.endsWith('.lock'));
    expect(lockFiles).toHaveLength(ROUNDS + 1);
  });

  it('parallel creates of one name: one 201, the rest 409; the store stays usable', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `made-${round}`;
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () => call(app, 'POST', '/stores', { name, dimension: 2 })),
      );
      expect(statuses(answers)).toEqual([201, ...Array(PARALLEL - 1).fill(409)]);
      await expectUsable(name, round + 1);
    }
  });

  it('creates, branches, opens and drops of one name mixed: clean answers, a consistent store after each round', async () => {
    await call(app, 'POST', '/stores', { name: 'base', dimension: 2 });
    const kinds = ['create', 'branch', 'open', 'drop'] as const;
    const allowed: Record<(typeof kinds)[number], number[]> = {
      create: [201, 409],
      branch: [201, 409],
      open: [200, 404],
      drop: [204, 404, 409],
    };
    let sawDropWin = false;
    for (let round = 0; round < ROUNDS; round++) {
      const name = 'contested';
      // Every other round starts with the store there, so drops have something to race for.
      const before = round % 2;
      if (before) expect((await call(app, 'POST', '/stores', { name, dimension: 2 })).status).toBe(201);
      const requests = Array.from({ length: PARALLEL }, (_, i) => {
        const kind = kinds[(i + round) % kinds.length]!;
        const sent =
          kind === 'create'
            ? call(app, 'POST', '/stores', { name, dimension: 2 })
            : kind === 'branch'
              ? call(app, 'POST', '/stores/base/branch', { child: name })
              : kind === 'open'
                ? call(app, 'GET', `/stores/${name}`)
                : call(app, 'DELETE', `/stores/${name}`);
        return sent.then((answer) => ({ kind, answer }));
      });
      const answers = await Promise.all(requests);
      for (const { kind, answer } of answers) {
        expect(allowed[kind], `${kind} → ${answer.status} ${answer.text}`).toContain(answer.status);
      }
      const made = answers.filter((a) => a.answer.status === 201).length;
      const dropped = answers.filter((a) => a.kind === 'drop' && a.answer.status === 204).length;
      if (dropped > 0) sawDropWin = true;
      // Every drop that won undid exactly one store; at most one is left.
      const exists = before + made - dropped;
      expect([0, 1]).toContain(exists);
      expect(existsSync(join(work.dir, `${name}.rvf`))).toBe(exists === 1);
      if (exists === 1) {
        await expectUsable(name, round + 1);
        expect((await call(app, 'DELETE', `/stores/${name}`)).status).toBe(204);
      } else {
        expectError(expect, await call(app, 'GET', `/stores/${name}`), 404, 'ManifestNotFound');
      }
      expect(existsSync(join(work.dir, `${name}.rvf.lock`))).toBe(false);
    }
    // The mix really raced drops against creates (otherwise the test proves little).
    expect(sawDropWin).toBe(true);
    await expectUsable('base', 99);
  });

  it('opens racing one create see the new store or none, never a lock error', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `seen-${round}`;
      const opens = Array.from({ length: PARALLEL - 1 }, () => call(app, 'GET', `/stores/${name}`));
      const create = call(app, 'POST', '/stores', { name, dimension: 2 });
      const answers = await Promise.all([create, ...opens]);
      expect(answers[0]!.status).toBe(201);
      for (const a of answers.slice(1)) expect([200, 404]).toContain(a.status);
      await expectUsable(name, round + 1);
    }
  });

  it('parallel drops of one store: one 204, the others 409 StoreBusy or 404; the name can be reused', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await call(app, 'POST', '/stores', { name: 'gone', dimension: 2 });
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () => call(app, 'DELETE', '/stores/gone')),
      );
      const codes = statuses(answers);
      expect(codes.filter((s) => s === 204)).toHaveLength(1);
      for (const a of answers.filter((x) => x.status !== 204)) {
        if (a.status === 409) expectError(expect, a, 409, 'StoreBusy', 'STORE_BUSY');
        else expectError(expect, a, 404, 'ManifestNotFound');
      }
      expect(readdirSync(work.dir)).toEqual([]);
    }
    await call(app, 'POST', '/stores', { name: 'gone', dimension: 2 });
    await expectUsable('gone', 1);
  });
});

describe('over real HTTP', () => {
  it("the issue's case: 8 parallel branches on 127.0.0.1, then the child answers 200", async () => {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    expect(await post('/stores', { name: 'race', dimension: 2 })).toBe(201);
    const codes = await Promise.all(
      Array.from({ length: 8 }, () => post('/stores/race/branch', { child: 'race-kid' })),
    );
    expect(codes.sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect((await fetch(`${url}/stores/race-kid`)).status).toBe(200);
    expect(await post('/stores/race-kid/vectors', { vectors: [[1, 2]], ids: [1] })).toBe(200);
  });
});
