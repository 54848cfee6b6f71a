/**
 * Ed25519 segment signatures (RFC 8032, via @noble/curves).
 *
 * The signed message is not the segment itself but
 *
 *   "rvfjs-segment-signature-v1\0" ‖ SHAKE-256-256(segment bytes)
 *
 * The prefix binds a signature to this one purpose and version, so a key that also signs
 * other things can't be tricked into producing a valid segment signature (and vice versa);
 * hashing first means a multi-megabyte segment is read once by SHAKE instead of twice by
 * Ed25519's internal SHA-512 passes, and the message is always 59 bytes.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { HASH_SIZE } from '@rvfjs/types';
import { checkBytes } from './bytes.js';
import { ED25519_PUBLIC_KEY_SIZE, ED25519_SECRET_KEY_SIZE, ED25519_SIGNATURE_SIZE } from './ed25519-sizes.js';
import { shake256_256 } from './shake256.js';

export { ED25519_PUBLIC_KEY_SIZE, ED25519_SECRET_KEY_SIZE, ED25519_SIGNATURE_SIZE } from './ed25519-sizes.js';

/** The domain-separation prefix of every signed message: ASCII text ending in one NUL. */
export const SEGMENT_SIGNATURE_DOMAIN = 'rvfjs-segment-signature-v1\0';
// Kept private: an exported Uint8Array could be mutated by any importer.
const DOMAIN_BYTES = new TextEncoder().encode(SEGMENT_SIGNATURE_DOMAIN);

/** An Ed25519 key pair, as generateSigningKey returns it. */
export interface SigningKey {
  /** 32-byte Ed25519 secret key (the RFC 8032 seed). Keep private. */
  secretKey: Uint8Array;
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/**
 * A fresh Ed25519 key pair. Randomness comes from globalThis.crypto.getRandomValues (via
 * noble), so this works in browsers and Node alike. Pass a 32-byte `seed` only to derive
 * a deterministic key, e.g. in tests.
 */
export function generateSigningKey(seed?: Uint8Array): SigningKey {
  if (seed !== undefined) checkBytes(seed, 'signing key seed', 'InvalidSignature', ED25519_SECRET_KEY_SIZE);
  const { secretKey, publicKey } = ed25519.keygen(seed);
  return { secretKey, publicKey };
}

/** The public key belonging to a 32-byte secret key. */
export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  checkBytes(secretKey, 'Ed25519 secret key', 'InvalidSignature', ED25519_SECRET_KEY_SIZE);
  return ed25519.getPublicKey(secretKey);
}

/** The exact bytes Ed25519 signs for `segmentBytes` (domain prefix ‖ SHAKE-256-256). */
export function segmentSignatureMessage(segmentBytes: Uint8Array): Uint8Array {
  checkBytes(segmentBytes, 'segment bytes', 'InvalidSignature');
  const message = new Uint8Array(DOMAIN_BYTES.length + HASH_SIZE);
  message.set(DOMAIN_BYTES, 0);
  message.set(shake256_256(segmentBytes), DOMAIN_BYTES.length);
  return message;
}

/** Signs a segment; returns the 64-byte Ed25519 signature. */
export function signSegment(secretKey: Uint8Array, segmentBytes: Uint8Array): Uint8Array {
  checkBytes(secretKey, 'Ed25519 secret key', 'InvalidSignature', ED25519_SECRET_KEY_SIZE);
  return ed25519.sign(segmentSignatureMessage(segmentBytes), secretKey);
}

/**
 * True iff `signature` is a valid signature of `segmentBytes` by `publicKey`.
 *
 * Wrong-length keys or signatures are caller bugs and throw RvfError InvalidSignature;
 * well-formed bytes that simply don't verify (including a 32-byte public key that is not
 * a curve point) return false. Verification is strict RFC 8032 (zip215: false), which
 * rejects non-canonical encodings, so a valid signature cannot be re-encoded into a
 * second valid one.
 */
export function verifySegmentSignature(
  publicKey: Uint8Array,
  segmentBytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkBytes(publicKey, 'Ed25519 public key', 'InvalidSignature', ED25519_PUBLIC_KEY_SIZE);
  checkBytes(signature, 'Ed25519 signature', 'InvalidSignature', ED25519_SIGNATURE_SIZE);
  const message = segmentSignatureMessage(segmentBytes);
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    // Lengths and types are checked above, so noble only throws here for encodings it
    // can't decode at all; for a verifier that is just "not a valid signature".
    return false;
  }
}
