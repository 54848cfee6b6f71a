import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateSigningKey,
  publicKeyFromSecret,
  SEGMENT_SIGNATURE_DOMAIN,
  segmentSignatureMessage,
  signSegment,
  verifySegmentSignature,
} from '../src/index.js';
import { expectRvfError, fromHex, hex, utf8 } from './helpers.js';

// RFC 8032 §7.1, TEST 1.
const RFC_SECRET = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

/** Node's (OpenSSL's) Ed25519 verifier, independent of @noble/curves. */
function nodeVerifies(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return nodeVerify(null, message, key, signature);
}

const segment = utf8('SFVR\x01\x01 a pretend segment header and payload');

describe('keys', () => {
  it('generates distinct 32-byte key pairs whose public key matches the secret', () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    expect(a.secretKey.length).toBe(32);
    expect(a.publicKey.length).toBe(32);
    expect(hex(a.secretKey)).not.toBe(hex(b.secretKey));
    expect(hex(publicKeyFromSecret(a.secretKey))).toBe(hex(a.publicKey));
  });

  it('derives the RFC 8032 TEST 1 public key from its seed', () => {
    const key = generateSigningKey(RFC_SECRET);
    expect(hex(key.secretKey)).toBe(hex(RFC_SECRET));
    expect(hex(key.publicKey)).toBe(RFC_PUBLIC);
  });

  it('rejects a seed or secret key of the wrong length', () => {
    expectRvfError(
      () => generateSigningKey(new Uint8Array(31)),
      'InvalidSignature',
      /seed must be 32 bytes, got 31/,
    );
    expectRvfError(
      () => publicKeyFromSecret(new Uint8Array(64)),
      'InvalidSignature',
      /secret key must be 32 bytes, got 64/,
    );
  });
});

describe('signSegment / verifySegmentSignature', () => {
  const key = generateSigningKey(RFC_SECRET);

  it('signs "rvfjs-segment-signature-v1\\0" ‖ SHAKE-256-256(segment)', () => {
    expect(SEGMENT_SIGNATURE_DOMAIN).toBe('rvfjs-segment-signature-v1\u0000');
    const digest = createHash('shake256', { outputLength: 32 }).update(segment).digest();
    const expectedMessage = Buffer.concat([Buffer.from('rvfjs-segment-signature-v1\0', 'ascii'), digest]);
    expect(expectedMessage.length).toBe(27 + 32);
    expect(hex(segmentSignatureMessage(segment))).toBe(expectedMessage.toString('hex'));

    const signature = signSegment(key.secretKey, segment);
    expect(signature.length).toBe(64);
    // Ed25519 is deterministic: the same as signing the message directly.
    expect(hex(signature)).toBe(hex(ed25519.sign(expectedMessage, RFC_SECRET)));
    // And an independent implementation accepts it.
    expect(nodeVerifies(key.publicKey, expectedMessage, signature)).toBe(true);
  });

  it('round-trips for random segments and keys', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 4096 }),
        (seed, bytes) => {
          const k = generateSigningKey(seed);
          const sig = signSegment(k.secretKey, bytes);
          expect(verifySegmentSignature(k.publicKey, bytes, sig)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('does not verify the raw segment signed without the domain prefix', () => {
    const raw = ed25519.sign(segment, key.secretKey);
    expect(verifySegmentSignature(key.publicKey, segment, raw)).toBe(false);
  });

  it('rejects a signature with any single bit flipped', () => {
    const signature = signSegment(key.secretKey, segment);
    for (let bit = 0; bit < 512; bit++) {
      const forged = signature.slice();
      forged[bit >>> 3]! ^= 1 << (bit & 7);
      expect(verifySegmentSignature(key.publicKey, segment, forged), `bit ${bit}`).toBe(false);
    }
  });

  it('rejects a wrong public key', () => {
    const signature = signSegment(key.secretKey, segment);
    const other = generateSigningKey();
    expect(verifySegmentSignature(other.publicKey, segment, signature)).toBe(false);
  });

  it('returns false (not an exception) for a 32-byte public key that is not a curve point', () => {
    const signature = signSegment(key.secretKey, segment);
    expect(verifySegmentSignature(new Uint8Array(32).fill(0xff), segment, signature)).toBe(false);
  });

  it('rejects a modified, truncated or extended segment', () => {
    const signature = signSegment(key.secretKey, segment);
    expect(verifySegmentSignature(key.publicKey, segment, signature)).toBe(true);
    for (let i = 0; i < segment.length; i += 7) {
      const modified = segment.slice();
      modified[i]! ^= 0x01;
      expect(verifySegmentSignature(key.publicKey, modified, signature), `byte ${i}`).toBe(false);
    }
    expect(verifySegmentSignature(key.publicKey, segment.subarray(0, -1), signature)).toBe(false);
    expect(verifySegmentSignature(key.publicKey, new Uint8Array([...segment, 0]), signature)).toBe(false);
  });

  it('signs large segments', () => {
    const big = new Uint8Array(4 << 20).map((_, i) => i & 0xff);
    const signature = signSegment(key.secretKey, big);
    expect(verifySegmentSignature(key.publicKey, big, signature)).toBe(true);
    big[big.length - 1]! ^= 1;
    expect(verifySegmentSignature(key.publicKey, big, signature)).toBe(false);
  });

  it('rejects wrong-length keys and signatures with RvfErrors', () => {
    const signature = signSegment(key.secretKey, segment);
    expectRvfError(
      () => signSegment(new Uint8Array(16), segment),
      'InvalidSignature',
      /secret key must be 32 bytes, got 16/,
    );
    expectRvfError(
      () => signSegment(key.secretKey, 'text' as unknown as Uint8Array),
      'InvalidSignature',
      /segment bytes must be a Uint8Array/,
    );
    expectRvfError(
      () => verifySegmentSignature(new Uint8Array(33), segment, signature),
      'InvalidSignature',
      /public key must be 32 bytes, got 33/,
    );
    expectRvfError(
      () => verifySegmentSignature(key.publicKey, segment, signature.subarray(0, 63)),
      'InvalidSignature',
      /signature must be 64 bytes, got 63/,
    );
    expectRvfError(
      () => verifySegmentSignature(key.publicKey, segment, undefined as unknown as Uint8Array),
      'InvalidSignature',
      /got undefined/,
    );
  });
});
