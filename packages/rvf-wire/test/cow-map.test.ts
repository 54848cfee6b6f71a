import { type CowMap, CowMapEntryTag } from '@rvfjs/types';
import { describe, expect, it } from 'vitest';
import { branchCowMap, decodeCowMapPayload, encodeCowMapPayload } from '../src/index.js';

const args = (parentVectorCount: number) => ({
  dimension: 128, // 8 vectors per cluster
  parentVectorCount,
  baseFileId: new Uint8Array(16).fill(7),
  baseFileHash: new Uint8Array(32).fill(9),
  parentPath: 'parent.rvf',
});

/** The flat map as the spec lays it out, built byte by byte: (tag u8, value u64 LE) per cluster. */
function handBuiltMap(entries: { tag: number; value: bigint }[]): Uint8Array {
  const out = new Uint8Array(9 * entries.length);
  entries.forEach((e, i) => {
    out[9 * i] = e.tag;
    for (let b = 0; b < 8; b++) out[9 * i + 1 + b] = Number((e.value >> BigInt(8 * b)) & 0xffn);
  });
  return out;
}

describe('COW_MAP cluster map', () => {
  // Cluster counts around the doubling steps of the fast writer (1, 2, 4, … entries).
  it.each([0, 1, 2, 3, 7, 8, 9, 16, 17, 100, 12_500])(
    'a fresh branch map of %i clusters encodes to one "parent, 0" entry per cluster',
    (clusters) => {
      const m = branchCowMap(args(clusters * 8));
      expect(m.entries.length).toBe(clusters);
      const bytes = encodeCowMapPayload(m);
      const expected = handBuiltMap(
        Array.from({ length: clusters }, () => ({ tag: CowMapEntryTag.ParentRef, value: 0n })),
      );
      expect(bytes.subarray(bytes.length - expected.length)).toEqual(expected);
      // The count before the entries, and the same bytes as the per-entry writer produces.
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      expect(view.getUint32(bytes.length - expected.length - 4, true)).toBe(clusters);
      const copied: CowMap = { ...m, entries: m.entries.map((e) => ({ ...e })) };
      expect(encodeCowMapPayload(copied)).toEqual(bytes);
    },
  );

  it('a partial last cluster still gets an entry', () => {
    expect(branchCowMap(args(17)).entries.length).toBe(3);
  });

  it('entries are not mutable (the fast writer relies on it)', () => {
    const m = branchCowMap(args(64));
    expect(Object.isFrozen(m.entries)).toBe(true);
    expect(() => {
      (m.entries as { tag: number; value: bigint }[])[0] = { tag: 2, value: 5n };
    }).toThrow(TypeError);
  });

  it('decodes mixed entries (local offsets, unallocated, parent refs) on first read', () => {
    const entries = [
      { tag: CowMapEntryTag.ParentRef, value: 0n },
      { tag: CowMapEntryTag.LocalOffset, value: 0x0102030405060708n },
      { tag: CowMapEntryTag.Unallocated, value: 0n },
      { tag: CowMapEntryTag.LocalOffset, value: 2n ** 64n - 1n },
      { tag: CowMapEntryTag.ParentRef, value: 3n },
    ];
    const m: CowMap = { ...branchCowMap(args(0)), entries };
    const bytes = encodeCowMapPayload(m);
    expect(bytes.subarray(bytes.length - 45)).toEqual(handBuiltMap(entries));
    const back = decodeCowMapPayload(bytes);
    expect(back.entries).toEqual(entries);
    expect(back.entries).toBe(back.entries); // decoded once
    expect(encodeCowMapPayload(back)).toEqual(bytes);
  });

  it('a decoded map does not depend on the payload buffer it came from', () => {
    const bytes = encodeCowMapPayload(branchCowMap(args(80)));
    const m = decodeCowMapPayload(bytes);
    bytes.fill(0xee); // the caller reuses its buffer before anyone reads the entries
    expect(m.entries.length).toBe(10);
    expect(m.entries.every((e) => e.tag === CowMapEntryTag.ParentRef && e.value === 0n)).toBe(true);
  });
});
