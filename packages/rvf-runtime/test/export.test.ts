import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import { F, RvfStore } from '../src/index.js';
import { randomVectors, tempDir } from './helpers.js';

const work = tempDir('rvfjs-export-');
afterAll(() => work.cleanup());

async function collect(gen: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of gen) out.push(l);
  return out;
}

describe('export, import, copy', () => {
  it('export streams the visible set of one epoch; import reads it back identically', async () => {
    const s = await RvfStore.create(join(work.dir, 'a.rvf'), { dimension: 4 });
    const v = randomVectors(30, 4, 1);
    await s.ingestBatch(
      v,
      [...Array(30).keys()],
      [...Array(30).keys()].map((i) => ({ k: i % 2 ? 'odd' : 'even', i })),
    );
    await s.ingestBatch([[1, 2, 3, 4]], [1n << 60n]);
    await s.delete([3, 4]);
    const stream = s.export();
    const first = await stream.next();
    // A write issued mid-export waits for the stream to finish.
    const pending = s.ingestBatch([[9, 9, 9, 9]], [77]);
    const rest = await collect(stream);
    await pending;
    const lines = [first.value as string, ...rest];
    expect(lines.length).toBe(29);
    expect(lines.some((l) => l.includes('"id":77'))).toBe(false);
    const big = JSON.parse(lines.find((l) => l.includes('1152921504606846976'))!);
    expect(big.id).toBe('1152921504606846976');

    const t = await RvfStore.create(join(work.dir, 'b.rvf'), { dimension: 4 });
    expect((await t.import(lines)).accepted).toBe(29);
    const q = [0.1, 0.2, 0.3, 0.4];
    const a = await s.query(q, 40, { filter: F.eq('k', 'odd') });
    const b = await t.query(q, 40, { filter: F.eq('k', 'odd') });
    expect(b).toEqual(a);
    expect(t.get(1n << 60n)?.vector).toEqual(new Float32Array([1, 2, 3, 4]));
    await s.close();
    await t.close();
  });

  it('import reports the line of a malformed record and writes nothing from it', async () => {
    const t = await RvfStore.create(join(work.dir, 'c.rvf'), { dimension: 2 });
    const err = await t.import(['{"id":1,"vector":[1,2]}', '{"id":2,"vector":[1]}']).catch((e) => e);
    expect(err).toBeInstanceOf(RvfError);
    expect((err as RvfError).code).toBe(ErrorCode.DimensionMismatch);
    expect(t.status().totalVectors).toBe(0);
    const err2 = await t.import(['{"id":1,"vector":[1,2]}', 'not json']).catch((e) => e);
    expect((err2 as RvfError).message).toMatch(/line 2/);
    await t.close();
  });

  it('deep copy shares nothing; shallow copy is a branch; flat-form field ids survive', async () => {
    const s = await RvfStore.create(join(work.dir, 'd.rvf'), { dimension: 2 });
    await s.ingestBatch(
      [
        [1, 0],
        [0, 1],
      ],
      [1, 2],
      [
        { fieldId: 5, valueType: 'string', value: 'x' },
        { fieldId: 5, valueType: 'string', value: 'y' },
      ],
    );
    const deep = await s.copy(join(work.dir, 'deep.rvf'), { deep: true });
    expect(deep.parentId).toBe('0'.repeat(32));
    expect(
      (
        await deep.query([1, 0], 5, { filter: { op: 'eq', fieldId: 5, valueType: 'string', value: 'y' } })
      ).map((r) => r.id),
    ).toEqual([2]);
    await deep.close();
    const shallow = await s.copy(join(work.dir, 'shallow.rvf'));
    expect(shallow.status().totalVectors).toBe(2);
    expect(shallow.status().ownVectors).toBe(0);
    await shallow.close();
    await s.close();
    expect(readFileSync(join(work.dir, 'deep.rvf')).length).toBeGreaterThan(0);
  });
});
