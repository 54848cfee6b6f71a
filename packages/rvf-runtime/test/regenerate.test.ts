import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentType } from '@rvfjs/types';
import { bytesSource, decodeWitnessPayload, findLatestManifest, readSegmentAt } from '@rvfjs/wire';
import { afterAll, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { GOLDEN_DIR, goldenJson, tempDir } from './helpers.js';

const work = tempDir();
afterAll(() => work.cleanup());

/** The witness timestamps a golden file recorded, in order: the only wall-clock inputs besides file_id. */
async function witnessTimes(name: string): Promise<bigint[]> {
  const src = bytesSource(new Uint8Array(readFileSync(join(GOLDEN_DIR, `${name}.rvf`))));
  const { manifest } = await findLatestManifest(src);
  const out: bigint[] = [];
  for (const e of manifest.directory) {
    if (e.segType === SegmentType.Witness)
      out.push(decodeWitnessPayload((await readSegmentAt(src, e)).payload).timestampNs);
  }
  return out;
}

it('RvfStore regenerates l2_d4_n10.rvf byte-for-byte from its inputs, file_id and witness time', async () => {
  const j = goldenJson('l2_d4_n10');
  const times = await witnessTimes('l2_d4_n10');
  const path = join(work.dir, 'l2_d4_n10.rvf');
  const store = await RvfStore.create(path, {
    dimension: 4,
    metric: 'l2',
    fileId: new Uint8Array(Buffer.from(j.fileId, 'hex')),
    clock: () => times.shift()!,
  });
  const op = j.operations[0];
  // make.mjs's inputs: [i, i/2, -i, 1]. For i = 0 that is -0, which the file keeps and JSON cannot.
  const vectors = op.ids.map((_: number, i: number) => [i, i * 0.5, -i, 1]);
  expect(vectors.map((v: number[]) => v.map((x) => x + 0))).toEqual(op.vectors);
  expect(await store.ingestBatch(vectors, op.ids)).toEqual(op.result);
  await store.close();
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  expect(sha).toBe(j.sha256);
});
