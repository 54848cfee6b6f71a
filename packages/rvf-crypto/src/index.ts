export * from './hashes.js';
export {
  generateSigningKey,
  publicKeyFromSecret,
  SEGMENT_SIGNATURE_DOMAIN,
  type SigningKey,
  segmentSignatureMessage,
  signSegment,
  verifySegmentSignature,
} from './signature.js';
