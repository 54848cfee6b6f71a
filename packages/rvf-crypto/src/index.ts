export { isBytes } from './bytes.js';
export { MAX_SHAKE256_OUTPUT, shake256, shake256_256 } from './shake256.js';
export {
  ED25519_PUBLIC_KEY_SIZE,
  ED25519_SECRET_KEY_SIZE,
  ED25519_SIGNATURE_SIZE,
  generateSigningKey,
  publicKeyFromSecret,
  SEGMENT_SIGNATURE_DOMAIN,
  type SigningKey,
  segmentSignatureMessage,
  signSegment,
  verifySegmentSignature,
} from './signature.js';
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
