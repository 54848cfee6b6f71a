/**
 * Ed25519 sizes (RFC 8032), apart from the signing code: the signature record codec needs
 * them, and importing them must not load the curve arithmetic (see signature.ts).
 */

/** Size of an Ed25519 secret key (the RFC 8032 seed), in bytes. */
export const ED25519_SECRET_KEY_SIZE = 32;
/** Size of an Ed25519 public key, in bytes. */
export const ED25519_PUBLIC_KEY_SIZE = 32;
/** Size of an Ed25519 signature, in bytes. */
export const ED25519_SIGNATURE_SIZE = 64;
