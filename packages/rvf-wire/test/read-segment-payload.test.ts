/**
 * readSegmentPayload reads a segment's payload into a buffer of its own, with the checks of
 * readSegmentAt: on every segment of every golden file it returns readSegmentAt's payload,
 * and where one byte of a checked segment is damaged both refuse it the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RvfError, SEGMENT_HEADER_SIZE } from '@rvfjs/types';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bytesSource,
  fileHandleSource,
  findLatestManifest,
  readSegmentAt,
  readSegmentPayload,
} from '../src/index.js';
import { goldenBytes, goldenNames } from './golden.js';

const dir = mkdtempSync(join(tmpdir(), 'rvfjs-read-payload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The outcome of a read: the payload's bytes as hex, or the RvfError's name and message. */
async function outcome(read: () => Promise<Uint8Array>): Promise<string> {
  try {
    return Buffer.from(await read()).toString('hex');
  } catch (e) {
    if (!(e instanceof RvfError)) throw e;
    return `${e.name}: ${e.message}`;
  }
}

describe('readSegmentPayload', () => {
  it.each(goldenNames())(
    '%s.rvf: every listed segment reads as readSegmentAt reads it, into a buffer of its own',
    async (name) => {
      const bytes = goldenBytes(name);
      const path = join(dir, `${name}.rvf`);
      writeFileSync(path, bytes);
      const fh = await open(path, 'r');
      try {
        const file = fileHandleSource(fh, bytes.length);
        const { manifest } = await findLatestManifest(bytesSource(bytes));
        expect(manifest.directory.length).toBeGreaterThan(0);
        for (const entry of manifest.directory) {
          const payload = await readSegmentPayload(file, entry);
          expect(payload).toEqual((await readSegmentAt(bytesSource(bytes), entry)).payload);
          expect(payload.byteOffset).toBe(0);
          expect(payload.byteLength).toBe(payload.buffer.byteLength);
        }
      } finally {
        await fh.close();
      }
    },
  );

  it('refuses what readSegmentAt refuses: a damaged header byte or payload byte, a wrong entry', async () => {
    const name = goldenNames()[0]!;
    const bytes = goldenBytes(name);
    const { manifest } = await findLatestManifest(bytesSource(bytes));
    let refusals = 0;
    for (const entry of manifest.directory) {
      const at = [entry.offset + 4, entry.offset + SEGMENT_HEADER_SIZE + Math.floor(entry.payloadLength / 2)];
      for (const p of at) {
        if (p >= entry.offset + SEGMENT_HEADER_SIZE + entry.payloadLength) continue;
        const damaged = bytes.slice();
        damaged[p]! ^= 0x5a;
        const got = await outcome(() => readSegmentPayload(bytesSource(damaged), entry));
        expect(got).toBe(
          await outcome(async () => (await readSegmentAt(bytesSource(damaged), entry)).payload),
        );
        if (got.startsWith('InvalidChecksum')) refusals++;
      }
      const wrong = { ...entry, payloadLength: entry.payloadLength + 1 };
      await expect(readSegmentPayload(bytesSource(bytes), wrong)).rejects.toMatchObject({
        name: 'InvalidChecksum',
      });
    }
    // At least the damaged header of each (a payload is checked only where its hash is set).
    expect(refusals).toBeGreaterThanOrEqual(manifest.directory.length);
  });
});
