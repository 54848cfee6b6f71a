import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentType } from '@rvfjs/types';
import { decodeWitnessPayload, encodeSegment, encodeWitnessPayload } from '@rvfjs/wire';
import { describe, expect, it } from 'vitest';
import { makeStore, run, rvfFails, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('integrity');

function freshStore(name: string): string {
  const path = join(dir, name);
  makeStore(path, 3, [
    { id: 1, vector: [1, 0, 0], metadata: { k: 'a' } },
    { id: 2, vector: [0, 1, 0], metadata: { k: 'b' } },
  ]);
  rvfJson('delete', path, '--ids', '2');
  return path;
}

function segment(path: string, type: string, nth = 0): { id: number; offset: number; payloadLength: number } {
  return rvfJson('segments', path).segments.filter((s: { type: string }) => s.type === type)[nth];
}

function overwrite(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

describe('an intact store', () => {
  it('inspect and verify exit 0 and say so', () => {
    const path = freshStore('ok.rvf');
    const ins = rvfJson('inspect', path);
    expect(ins).toMatchObject({ intact: true, problems: [], witness: { valid: true, firstBroken: null } });
    expect(ins.rows.some((r: { type?: string }) => r.type === 'vec')).toBe(true);
    expect(run(['inspect', path]).stdout).toMatch(/\nintact: \d+ segments/);
    const ver = rvfJson('verify', path);
    expect(ver).toMatchObject({
      valid: true,
      segments: { damaged: [] },
      witness: { valid: true, entries: 2, error: null },
    });
    expect(ver.segments.checked).toBe(rvfJson('segments', path).segments.length);
    expect(run(['verify', path]).stdout).toMatch(/verdict: +intact/);
  });
});

describe('a segment whose payload was changed', () => {
  const path = freshStore('flipped.rvf');
  const vec = segment(path, 'vec');
  // One byte inside the first vector's floats.
  const at = vec.offset + 64 + vec.payloadLength - 1;
  const original = readFileSync(path).subarray(at, at + 1);
  overwrite(path, at, Uint8Array.of(original[0]! ^ 0xff));

  it('inspect exits 3 and names the segment and offset', () => {
    const r = run(['inspect', path, '--json']);
    expect(r.status).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.intact).toBe(false);
    expect(doc.rows.find((x: { offset: number }) => x.offset === vec.offset).hash).toBe('mismatch');
    expect(doc.problems).toContain(`segment ${vec.id} (vec) at offset ${vec.offset} fails its content hash`);
    const human = run(['inspect', path]);
    expect(human.status).toBe(3);
    expect(human.stdout).toMatch(/DAMAGED:\n {2}segment \d+ \(vec\) at offset \d+ fails its content hash/);
  });

  it('verify exits 3 and lists the damaged segment', () => {
    const r = run(['verify', path, '--json']);
    expect(r.status).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.segments.damaged).toEqual([
      {
        offset: vec.offset,
        id: vec.id,
        type: 'vec',
        message: expect.stringMatching(/content hash mismatch/),
      },
    ]);
    expect(run(['verify', path]).stdout).toMatch(/verdict: +DAMAGED \(exit code 3\)/);
  });

  it('any other command reading it fails with InvalidChecksum and exit 3', () => {
    expect(rvfFails(3, ['query', path, '-v', '1,0,0']).name).toBe('InvalidChecksum');
    expect(rvfFails(3, ['status', path]).message).toMatch(new RegExp(`offset ${vec.offset}`));
  });
});

describe('a witness chain with a forged link', () => {
  const path = freshStore('forged.rvf');
  // Rewrite the second witness with another prev_hash and a matching content hash: every
  // segment verifies, only the chain says the history was edited.
  const w = segment(path, 'witness', 1);
  const bytes = readFileSync(path);
  const record = decodeWitnessPayload(bytes.subarray(w.offset + 64, w.offset + 64 + w.payloadLength));
  const forged = encodeWitnessPayload({ ...record, prevHash: new Uint8Array(32).fill(0xab) });
  overwrite(path, w.offset, encodeSegment(SegmentType.Witness, BigInt(w.id), forged));

  it('verify exits 3 and names the first broken link', () => {
    const r = run(['verify', path, '--json']);
    expect(r.status).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.segments.damaged).toEqual([]);
    expect(doc.witness).toMatchObject({ valid: false, firstBroken: { index: 1, offset: w.offset } });
    expect(run(['verify', path]).stdout).toMatch(/witness chain: +BROKEN/);
  });

  it('inspect exits 3 too', () => {
    const r = run(['inspect', path, '--json']);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).problems).toEqual([
      expect.stringMatching(new RegExp(`witness chain breaks at witness 1 \\(offset ${w.offset}`)),
    ]);
  });
});

describe('a file that is not a store', () => {
  it('inspect exits 3: nothing committed can be read', () => {
    const path = join(dir, 'junk.rvf');
    const fd = openSync(path, 'w');
    writeSync(fd, 'not an rvf file at all, just some text that is long enough to walk over');
    closeSync(fd);
    const r = run(['inspect', path, '--json']);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ intact: false, latestManifestOffset: null, witness: null });
  });
});
