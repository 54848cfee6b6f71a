import { createHash } from 'node:crypto';
import { WITNESS_ENTRY_SIZE, WitnessType } from '@rvfjs/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWitnessChain,
  decodeWitnessEntry,
  encodeWitnessEntry,
  hashAction,
  verifyWitnessChain,
  type WitnessEntry,
  type WitnessEntryInput,
} from '../src/index.js';
import { expectRvfError, hex, utf8 } from './helpers.js';

const nodeShake256_256 = (data: Uint8Array): string =>
  createHash('shake256', { outputLength: 32 }).update(data).digest('hex');

const entryArb: fc.Arbitrary<WitnessEntryInput> = fc.record({
  actionHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  timestampNs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  witnessType: fc.integer({ min: 0, max: 255 }),
});

function sampleEntries(n: number): WitnessEntryInput[] {
  return Array.from({ length: n }, (_, i) => ({
    actionHash: hashAction(utf8(`action ${i}`)),
    timestampNs: 1_790_000_000_000_000_000n + BigInt(i) * 1_000n,
    witnessType: i % 2 === 0 ? WitnessType.Provenance : WitnessType.ChainComputation,
  }));
}

describe('witness entry codec', () => {
  it('lays out prev_hash | action_hash | timestamp u64 LE | type', () => {
    const entry: WitnessEntry = {
      prevHash: new Uint8Array(32).fill(0x11),
      actionHash: new Uint8Array(32).fill(0x22),
      timestampNs: 0x0102030405060708n,
      witnessType: 0x0d,
    };
    const bytes = encodeWitnessEntry(entry);
    expect(bytes.length).toBe(73);
    const timestampLe = '0807060504030201';
    const type = '0d';
    expect(hex(bytes)).toBe(`${'11'.repeat(32)}${'22'.repeat(32)}${timestampLe}${type}`);
    expect(decodeWitnessEntry(bytes)).toEqual(entry);
  });

  it('round-trips the extremes of each field', () => {
    for (const timestampNs of [0n, (1n << 64n) - 1n]) {
      for (const witnessType of [0, 255]) {
        const entry = {
          prevHash: new Uint8Array(32),
          actionHash: new Uint8Array(32).fill(0xff),
          timestampNs,
          witnessType,
        };
        expect(decodeWitnessEntry(encodeWitnessEntry(entry))).toEqual(entry);
      }
    }
  });

  it('decoded hashes are copies, not views of the input', () => {
    const bytes = encodeWitnessEntry({
      prevHash: new Uint8Array(32),
      actionHash: new Uint8Array(32),
      timestampNs: 1n,
      witnessType: 1,
    });
    const decoded = decodeWitnessEntry(bytes);
    bytes.fill(0xaa);
    expect(decoded.prevHash.every((b) => b === 0)).toBe(true);
    expect(decoded.actionHash.every((b) => b === 0)).toBe(true);
  });

  it('rejects malformed fields with RvfErrors naming the field', () => {
    const ok = {
      prevHash: new Uint8Array(32),
      actionHash: new Uint8Array(32),
      timestampNs: 0n,
      witnessType: 0,
    };
    expectRvfError(
      () => encodeWitnessEntry({ ...ok, prevHash: new Uint8Array(31) }),
      'InvalidChecksum',
      /prevHash must be 32 bytes, got 31/,
    );
    expectRvfError(
      () => encodeWitnessEntry({ ...ok, actionHash: new Uint8Array(33) }),
      'InvalidChecksum',
      /actionHash must be 32 bytes, got 33/,
    );
    expectRvfError(() => encodeWitnessEntry({ ...ok, timestampNs: -1n }), 'InvalidChecksum', /timestampNs/);
    expectRvfError(
      () => encodeWitnessEntry({ ...ok, timestampNs: 1n << 64n }),
      'InvalidChecksum',
      /timestampNs/,
    );
    expectRvfError(
      () => encodeWitnessEntry({ ...ok, timestampNs: 5 as unknown as bigint }),
      'InvalidChecksum',
      /timestampNs must be a bigint.*number/,
    );
    expectRvfError(() => encodeWitnessEntry({ ...ok, witnessType: 256 }), 'InvalidChecksum', /witnessType/);
    expectRvfError(() => encodeWitnessEntry({ ...ok, witnessType: 1.5 }), 'InvalidChecksum', /witnessType/);
    expectRvfError(
      () => encodeWitnessEntry(null as unknown as WitnessEntry),
      'InvalidChecksum',
      /must be an object/,
    );
  });

  it('decode rejects anything but exactly 73 bytes', () => {
    expectRvfError(
      () => decodeWitnessEntry(new Uint8Array(72)),
      'TruncatedSegment',
      /exactly 73 bytes, got 72/,
    );
    expectRvfError(() => decodeWitnessEntry(new Uint8Array(74)), 'TruncatedSegment', /got 74/);
    expectRvfError(() => decodeWitnessEntry({} as Uint8Array), 'TruncatedSegment', /Uint8Array/);
  });

  it('hashAction is SHAKE-256-256 of the action bytes', () => {
    const action = utf8('ingest:count=10,epoch=1');
    expect(hex(hashAction(action))).toBe(nodeShake256_256(action));
  });
});

describe('createWitnessChain / verifyWitnessChain', () => {
  it('an empty chain is empty bytes and verifies to []', () => {
    expect(createWitnessChain([]).length).toBe(0);
    expect(verifyWitnessChain(new Uint8Array(0))).toEqual([]);
  });

  it('links entries: zero genesis, then SHAKE-256-256 of the previous 73 bytes', () => {
    const chain = createWitnessChain(sampleEntries(4));
    expect(chain.length).toBe(4 * WITNESS_ENTRY_SIZE);
    expect(hex(chain.subarray(0, 32))).toBe('00'.repeat(32));
    for (let i = 1; i < 4; i++) {
      const previous = chain.subarray((i - 1) * 73, i * 73);
      // Independent oracle for the link: Node's SHAKE-256, not the package's.
      expect(hex(chain.subarray(i * 73, i * 73 + 32))).toBe(nodeShake256_256(previous));
    }
  });

  it('ignores (overwrites) prevHash values given in the input', () => {
    const withJunk = sampleEntries(3).map((e) => ({ ...e, prevHash: new Uint8Array(32).fill(0xee) }));
    expect(hex(createWitnessChain(withJunk))).toBe(hex(createWitnessChain(sampleEntries(3))));
  });

  it('round-trips any entries (property)', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), (entries) => {
        const chain = createWitnessChain(entries);
        const decoded = verifyWitnessChain(chain);
        expect(decoded.length).toBe(entries.length);
        decoded.forEach((d, i) => {
          const input = entries[i]!;
          expect(hex(d.actionHash)).toBe(hex(input.actionHash));
          expect(d.timestampNs).toBe(input.timestampNs);
          expect(d.witnessType).toBe(input.witnessType);
          const expectedPrev =
            i === 0 ? '00'.repeat(32) : hex(hashAction(encodeWitnessEntry(decoded[i - 1]!)));
          expect(hex(d.prevHash)).toBe(expectedPrev);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('verifies a chain held in a subarray of a larger buffer', () => {
    const chain = createWitnessChain(sampleEntries(3));
    const framed = new Uint8Array(chain.length + 10);
    framed.set(chain, 5);
    expect(verifyWitnessChain(framed.subarray(5, 5 + chain.length)).length).toBe(3);
  });

  it('names the first broken entry', () => {
    const chain = createWitnessChain(sampleEntries(5));
    // Tamper with entry 2's timestamp: entry 2 still "looks" fine, entry 3's link breaks.
    chain[2 * 73 + 64]! ^= 0x01;
    const err = expectRvfError(() => verifyWitnessChain(chain), 'InvalidChecksum', /broken at entry 3 of 5/);
    expect(err.details.index).toBe(3);
    expect(err.details.entryOffset).toBe(3 * 73);
    // Break entry 1 as well: now entry 1 is the first broken one.
    chain[1 * 73]! ^= 0x80;
    expect(
      expectRvfError(() => verifyWitnessChain(chain), 'InvalidChecksum', /entry 1 of 5/).details.index,
    ).toBe(1);
  });

  it('requires the first entry to start from a zero prevHash', () => {
    const chain = createWitnessChain(sampleEntries(2));
    chain[31] = 1;
    const err = expectRvfError(
      () => verifyWitnessChain(chain),
      'InvalidChecksum',
      /entry 0 .*all-zero prevHash/,
    );
    expect(err.details.index).toBe(0);
  });

  it('detects reordered and dropped entries', () => {
    const chain = createWitnessChain(sampleEntries(3));
    const swapped = new Uint8Array([
      ...chain.subarray(73, 146),
      ...chain.subarray(0, 73),
      ...chain.subarray(146),
    ]);
    expect(expectRvfError(() => verifyWitnessChain(swapped), 'InvalidChecksum').details.index).toBe(0);
    const dropped = new Uint8Array([...chain.subarray(0, 73), ...chain.subarray(146)]);
    expect(expectRvfError(() => verifyWitnessChain(dropped), 'InvalidChecksum').details.index).toBe(1);
  });

  it('rejects lengths that are not a multiple of 73 with TruncatedSegment naming the length', () => {
    const chain = createWitnessChain(sampleEntries(2));
    for (const len of [1, 72, 74, 145]) {
      const err = expectRvfError(
        () => verifyWitnessChain(chain.subarray(0, len)),
        'TruncatedSegment',
        new RegExp(`length ${len} is not a multiple of 73`),
      );
      expect(err.details.length).toBe(len);
    }
  });

  it('rejects non-byte input and malformed entries with RvfErrors', () => {
    expectRvfError(() => verifyWitnessChain(null as unknown as Uint8Array), 'TruncatedSegment', /got null/);
    expectRvfError(
      () => createWitnessChain('x' as unknown as WitnessEntryInput[]),
      'InvalidChecksum',
      /array/,
    );
    const entries = sampleEntries(3);
    entries[2] = { ...entries[2]!, actionHash: new Uint8Array(3) };
    expectRvfError(
      () => createWitnessChain(entries),
      'InvalidChecksum',
      /witness entry 2 actionHash must be 32 bytes/,
    );
    expectRvfError(
      () => createWitnessChain([undefined as unknown as WitnessEntryInput]),
      'InvalidChecksum',
      /witness entry 0 must be an object/,
    );
  });
});

describe('single-bit tampering (property)', () => {
  /**
   * Which entry verification must report for a flipped bit at `byteOffset` in a chain of
   * `count` entries, or undefined when no link covers it:
   * - a bit in entry k's prevHash breaks entry k's own link;
   * - a bit elsewhere in entry k (action hash, timestamp, type) changes the hash that
   *   entry k+1's prevHash must equal, so entry k+1 is reported;
   * - the last entry's non-prevHash fields are covered by no later link: the chain still
   *   verifies (it only becomes tamper-evident once another entry is appended), and the
   *   decoded last entry carries the altered value.
   */
  function expectedBrokenIndex(byteOffset: number, count: number): number | undefined {
    const entry = Math.floor(byteOffset / WITNESS_ENTRY_SIZE);
    if (byteOffset % WITNESS_ENTRY_SIZE < 32) return entry;
    return entry < count - 1 ? entry + 1 : undefined;
  }

  it('any flipped bit is either detected at the right entry or lies in the uncovered tail', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 2, maxLength: 6 }), fc.nat(), (entries, bitSeed) => {
        const chain = createWitnessChain(entries);
        const bit = bitSeed % (chain.length * 8);
        const byteOffset = bit >>> 3;
        chain[byteOffset]! ^= 1 << (bit & 7);

        const expected = expectedBrokenIndex(byteOffset, entries.length);
        if (expected === undefined) {
          const decoded = verifyWitnessChain(chain);
          const last = decoded[decoded.length - 1]!;
          expect(hex(encodeWitnessEntry(last))).toBe(hex(chain.subarray(chain.length - 73)));
          expect(hex(encodeWitnessEntry(last))).not.toBe(
            hex(createWitnessChain(entries).subarray(chain.length - 73)),
          );
        } else {
          const err = expectRvfError(() => verifyWitnessChain(chain), 'InvalidChecksum');
          expect(err.details.index).toBe(expected);
          expect(err.message).toContain(`entry ${expected} of ${entries.length}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('every bit of a 3-entry chain, exhaustively', () => {
    const pristine = createWitnessChain(sampleEntries(3));
    let detected = 0;
    let uncovered = 0;
    for (let bit = 0; bit < pristine.length * 8; bit++) {
      const chain = pristine.slice();
      chain[bit >>> 3]! ^= 1 << (bit & 7);
      const expected = expectedBrokenIndex(bit >>> 3, 3);
      if (expected === undefined) {
        expect(() => verifyWitnessChain(chain)).not.toThrow();
        uncovered++;
      } else {
        const err = expectRvfError(() => verifyWitnessChain(chain), 'InvalidChecksum');
        expect(err.details.index).toBe(expected);
        detected++;
      }
    }
    // Only the last entry's action hash, timestamp and type (41 bytes) are uncovered.
    expect(uncovered).toBe(41 * 8);
    expect(detected).toBe((3 * 73 - 41) * 8);
  });
});
