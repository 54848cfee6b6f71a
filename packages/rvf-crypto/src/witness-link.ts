/**
 * Classifying the prevHash of a file-level WITNESS segment against the payload of the
 * WITNESS segment before it. rvfjs links segments with SHAKE-256; files written by the
 * reference link them with its simple (non-cryptographic) hash, which a verifier has to
 * recognise but must report as weaker.
 */
import { HASH_SIZE } from '@rvfjs/types';
import { bytesEqual, checkBytes, isAllZero } from './bytes.js';
import { shake256_256 } from './shake256.js';
import { simpleHash } from './simple-hash.js';

/**
 * - 'start':    prevHash is all zeros, i.e. this segment begins a chain;
 * - 'shake256': prevHash = SHAKE-256-256(previous payload), what rvfjs writes;
 * - 'legacy':   prevHash = simpleHash(previous payload), what the reference writes;
 *               it detects accidents, not tampering;
 * - 'broken':   neither, or a non-zero prevHash with no previous payload to match.
 */
export type WitnessLinkKind = 'start' | 'shake256' | 'legacy' | 'broken';

/** Classifies the link from the previous witness payload to an entry's `prevHash` (see WitnessLinkKind). */
export function classifyWitnessLink(
  previousPayload: Uint8Array | undefined,
  prevHash: Uint8Array,
): WitnessLinkKind {
  checkBytes(prevHash, 'witness link prevHash', 'InvalidChecksum', HASH_SIZE);
  if (previousPayload !== undefined)
    checkBytes(previousPayload, 'previous witness payload', 'InvalidChecksum');
  if (isAllZero(prevHash)) return 'start';
  if (previousPayload === undefined) return 'broken';
  // SHAKE first: it is what rvfjs writes, and an accidental match of the 32-byte
  // simple hash against a SHAKE digest is not a realistic concern.
  if (bytesEqual(prevHash, shake256_256(previousPayload))) return 'shake256';
  if (bytesEqual(prevHash, simpleHash(previousPayload))) return 'legacy';
  return 'broken';
}
