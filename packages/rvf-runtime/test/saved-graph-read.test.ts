/**
 * The lazy reader of a saved graph (a branch child seeds its index from its parent's): it
 * returns the segment's payload, checked, and a read no longer wanted ends early with
 * undefined, before the checksum pass over megabytes that nobody will use.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEGMENT_HEADER_SIZE, SegmentType } from '@rvfjs/types';
import { bytesSource, findLatestManifest } from '@rvfjs/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { savedGraphReader } from '../src/lineage.js';
import { clustered, tempDir } from './helpers.js';

const work = tempDir('rvfjs-saved-graph-read-');
afterAll(() => work.cleanup());
const DIM = 8;
const path = join(work.dir, 'p.rvf');
let graphEntry: { offset: number; payloadLength: number };
let directory: Awaited<ReturnType<typeof findLatestManifest>>['manifest']['directory'];

beforeAll(async () => {
  const s = await RvfStore.create(path, { dimension: DIM, indexThreshold: 64 });
  await s.ingestBatch(clustered(400, DIM, 3), [...Array(400).keys()]);
  await s.close(); // saves the graph
  const bytes = new Uint8Array(readFileSync(path));
  directory = (await findLatestManifest(bytesSource(bytes))).manifest.directory;
  const entry = directory.filter((e) => e.segType === SegmentType.RvfjsHnswGraph).at(-1);
  if (!entry) throw new Error('the store saved no graph');
  graphEntry = entry;
});

const payloadOnDisk = (file: string) =>
  new Uint8Array(readFileSync(file)).subarray(
    graphEntry.offset + SEGMENT_HEADER_SIZE,
    graphEntry.offset + SEGMENT_HEADER_SIZE + graphEntry.payloadLength,
  );

describe('savedGraphReader', () => {
  it('is undefined for a directory without a saved graph', () => {
    expect(
      savedGraphReader(
        path,
        directory.filter((e) => e.segType !== SegmentType.RvfjsHnswGraph),
      ),
    ).toBe(undefined);
  });

  it("reads the last saved graph's payload, byte for byte", async () => {
    const got = await savedGraphReader(path, directory)!();
    expect(got).toEqual(payloadOnDisk(path));
  });

  it('a read not wanted once the file is open, or once its bytes are in, ends with undefined', async () => {
    const read = savedGraphReader(path, directory)!;
    expect(await read(() => false)).toBe(undefined);
    let asked = 0;
    // Wanted at the open, not once the bytes are in.
    expect(await read(() => ++asked < 2)).toBe(undefined);
    expect(asked).toBe(2);
  });

  it('a damaged graph fails its checksum when wanted, and costs no check when not', async () => {
    const damaged = join(work.dir, 'damaged.rvf');
    const bytes = new Uint8Array(readFileSync(path));
    bytes[graphEntry.offset + SEGMENT_HEADER_SIZE + 10]! ^= 0xff;
    writeFileSync(damaged, bytes);
    const read = savedGraphReader(damaged, directory)!;
    await expect(read()).rejects.toMatchObject({ name: 'InvalidChecksum' });
    let asked = 0;
    expect(await read(() => ++asked < 2)).toBe(undefined);
  });
});
