/**
 * Everything of this package but Ed25519 signing and verification: the hashes, witness
 * chains and the signature record codec. Importing it leaves out the curve arithmetic
 * (@noble/curves takes about 20 ms to load), which a store loads only when it signs or
 * verifies (`@rvfjs/crypto/signature`); the package root exports both.
 */
export { isBytes } from './bytes.js';
export { ED25519_PUBLIC_KEY_SIZE, ED25519_SECRET_KEY_SIZE, ED25519_SIGNATURE_SIZE } from './ed25519-sizes.js';
export { MAX_SHAKE256_OUTPUT, shake256, shake256_256 } from './shake256.js';
export {
  decodeSignatureRecord,
  encodeSignatureRecord,
  SIGNATURE_RECORD_SIZE,
  SIGNATURE_RECORD_VERSION,
  SignatureAlgorithm,
  type SignatureRecord,
} from './signature-record.js';
export { simpleHash } from './simple-hash.js';
export { createWitnessChain, verifyWitnessChain, type WitnessEntryInput } from './witness-chain.js';
export { decodeWitnessEntry, encodeWitnessEntry, hashAction, type WitnessEntry } from './witness-entry.js';
export { classifyWitnessLink, type WitnessLinkKind } from './witness-link.js';
