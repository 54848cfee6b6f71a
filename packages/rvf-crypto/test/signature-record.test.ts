import { SegmentType } from '@rvfjs/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSignatureRecord,
  encodeSignatureRecord,
  generateSigningKey,
  SIGNATURE_RECORD_SIZE,
  SignatureAlgorithm,
  type SignatureRecord,
  signSegment,
  verifySegmentSignature,
} from '../src/index.js';
import { expectRvfError, hex, utf8 } from './helpers.js';

const sample: SignatureRecord = {
  targetOffset: 0x1234,
  targetSegmentId: 0x0102030405060708n,
  publicKey: new Uint8Array(32).fill(0xaa),
  signature: new Uint8Array(64).fill(0xbb),
};

describe('signature record codec', () => {
  it('is a 116-byte little-endian layout', () => {
    const bytes = encodeSignatureRecord(sample);
    expect(SIGNATURE_RECORD_SIZE).toBe(116);
    expect(bytes.length).toBe(116);
    expect(hex(bytes)).toBe(
      '01' + // version
        '01' + // algo = Ed25519
        '0000' + // reserved
        '3412000000000000' + // target_offset
        '0807060504030201' + // target_segment_id
        'aa'.repeat(32) +
        'bb'.repeat(64),
    );
    expect(SignatureAlgorithm.Ed25519).toBe(1);
    expect(SegmentType.RvfjsSignature).toBe(0x44);
  });

  it('round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          targetOffset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          targetSegmentId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
        }),
        (record) => {
          expect(decodeSignatureRecord(encodeSignatureRecord(record))).toEqual(record);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('carries a real signature that still verifies after decoding', () => {
    const key = generateSigningKey();
    const segment = utf8('segment bytes');
    const bytes = encodeSignatureRecord({
      targetOffset: 957,
      targetSegmentId: 6n,
      publicKey: key.publicKey,
      signature: signSegment(key.secretKey, segment),
    });
    const record = decodeSignatureRecord(bytes);
    expect(verifySegmentSignature(record.publicKey, segment, record.signature)).toBe(true);
    // Decoded arrays are copies: clobbering the buffer leaves them intact.
    bytes.fill(0);
    expect(verifySegmentSignature(record.publicKey, segment, record.signature)).toBe(true);
  });

  it('rejects short buffers with TruncatedSegment', () => {
    const bytes = encodeSignatureRecord(sample);
    for (const len of [0, 1, 4, 115]) {
      const err = expectRvfError(
        () => decodeSignatureRecord(bytes.subarray(0, len)),
        'TruncatedSegment',
        new RegExp(`${len} bytes, expected 116`),
      );
      expect(err.details.length).toBe(len);
    }
  });

  it('rejects unknown versions and algorithms with InvalidSignature', () => {
    for (const version of [0, 2, 255]) {
      const bytes = encodeSignatureRecord(sample);
      bytes[0] = version;
      expectRvfError(
        () => decodeSignatureRecord(bytes),
        'InvalidSignature',
        new RegExp(`version ${version}`),
      );
    }
    for (const algo of [0, 2, 255]) {
      const bytes = encodeSignatureRecord(sample);
      bytes[1] = algo;
      expectRvfError(() => decodeSignatureRecord(bytes), 'InvalidSignature', new RegExp(`algorithm ${algo}`));
    }
  });

  it('rejects non-zero reserved bits, trailing bytes and offsets beyond 2^53-1', () => {
    const reserved = encodeSignatureRecord(sample);
    reserved[3] = 0x80;
    expectRvfError(() => decodeSignatureRecord(reserved), 'InvalidSignature', /reserved field must be 0/);

    const long = new Uint8Array(117);
    long.set(encodeSignatureRecord(sample));
    expectRvfError(() => decodeSignatureRecord(long), 'InvalidSignature', /117 bytes/);

    const huge = encodeSignatureRecord(sample);
    new DataView(huge.buffer).setBigUint64(4, 1n << 53n, true);
    expectRvfError(
      () => decodeSignatureRecord(huge),
      'InvalidSignature',
      /target offset 9007199254740992 exceeds/,
    );

    expectRvfError(
      () => decodeSignatureRecord('x' as unknown as Uint8Array),
      'TruncatedSegment',
      /Uint8Array/,
    );
  });

  it('validates every field on encode', () => {
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, publicKey: new Uint8Array(31) }),
      'InvalidSignature',
      /publicKey must be 32 bytes, got 31/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, signature: new Uint8Array(65) }),
      'InvalidSignature',
      /signature must be 64 bytes, got 65/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, targetOffset: -1 }),
      'InvalidSignature',
      /targetOffset/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, targetOffset: 1.5 }),
      'InvalidSignature',
      /targetOffset/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, targetOffset: 2 ** 53 }),
      'InvalidSignature',
      /targetOffset/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, targetSegmentId: -1n }),
      'InvalidSignature',
      /targetSegmentId/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, targetSegmentId: 1n << 64n }),
      'InvalidSignature',
      /targetSegmentId/,
    );
    expectRvfError(
      () => encodeSignatureRecord({ ...sample, targetSegmentId: 3 as unknown as bigint }),
      'InvalidSignature',
      /targetSegmentId.*number/,
    );
    expectRvfError(
      () => encodeSignatureRecord(null as unknown as SignatureRecord),
      'InvalidSignature',
      /must be an object/,
    );
  });
});
