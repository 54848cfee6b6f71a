import { describe, expect, it } from 'vitest';
import { classifyWitnessLink, shake256_256, simpleHash } from '../src/index.js';
import { L2_DELETED_DELETE_WITNESS, L2_DELETED_INGEST_WITNESS } from './fixtures/golden.js';
import { expectRvfError, utf8 } from './helpers.js';

const payload = utf8('\x01some witness payload');
const zero = new Uint8Array(32);

describe('classifyWitnessLink', () => {
  it("'start' for an all-zero prevHash, with or without a previous payload", () => {
    expect(classifyWitnessLink(undefined, zero)).toBe('start');
    expect(classifyWitnessLink(payload, zero)).toBe('start');
  });

  it("'shake256' when prevHash is SHAKE-256-256 of the previous payload", () => {
    expect(classifyWitnessLink(payload, shake256_256(payload))).toBe('shake256');
  });

  it("'legacy' when prevHash is the reference's simple hash of the previous payload", () => {
    expect(classifyWitnessLink(payload, simpleHash(payload))).toBe('legacy');
  });

  it("'legacy' for a real link written by the reference (l2_deleted.rvf, witness 3 -> 6)", () => {
    const prevHash = L2_DELETED_DELETE_WITNESS.subarray(L2_DELETED_DELETE_WITNESS.length - 32);
    expect(classifyWitnessLink(L2_DELETED_INGEST_WITNESS, prevHash)).toBe('legacy');
    // ...and the first witness of that handle session starts a chain.
    const firstPrev = L2_DELETED_INGEST_WITNESS.subarray(L2_DELETED_INGEST_WITNESS.length - 32);
    expect(classifyWitnessLink(undefined, firstPrev)).toBe('start');
  });

  it("'broken' when prevHash matches neither hash", () => {
    const wrong = shake256_256(payload);
    wrong[0]! ^= 1;
    expect(classifyWitnessLink(payload, wrong)).toBe('broken');
    // A hash of a different payload is broken too.
    expect(classifyWitnessLink(payload, simpleHash(utf8('other')))).toBe('broken');
    // One changed byte in the previous payload breaks a legacy link.
    const tampered = payload.slice();
    tampered[3]! ^= 0x40;
    expect(classifyWitnessLink(tampered, simpleHash(payload))).toBe('broken');
  });

  it("'broken' when a non-zero prevHash has no previous payload", () => {
    expect(classifyWitnessLink(undefined, shake256_256(payload))).toBe('broken');
  });

  it('rejects malformed arguments with RvfErrors', () => {
    expectRvfError(
      () => classifyWitnessLink(payload, new Uint8Array(16)),
      'InvalidChecksum',
      /prevHash must be 32 bytes, got 16/,
    );
    expectRvfError(
      () => classifyWitnessLink('x' as unknown as Uint8Array, zero),
      'InvalidChecksum',
      /previous witness payload/,
    );
  });
});
