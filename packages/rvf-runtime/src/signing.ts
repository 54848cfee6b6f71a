import { decodeSignatureRecord, ED25519_SECRET_KEY_SIZE, encodeSignatureRecord } from '@rvfjs/crypto/hashes';
import { type DirectoryEntry, rvfError, SegmentType } from '@rvfjs/types';
import { type ByteSource, readSegmentAt } from '@rvfjs/wire';

/**
 * The Ed25519 code, loaded on first use: the curve arithmetic takes about 20 ms to load,
 * which a store that neither signs nor verifies (most opens) never pays.
 */
const ed25519 = () => import('@rvfjs/crypto/signature');

/** The key a writer signs its segments with (see CreateOptions.signingKey). */
export interface Signer {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** The 64-byte signature of a segment's stored bytes. */
  sign(segmentBytes: Uint8Array): Uint8Array;
}

/** A signer from a 32-byte Ed25519 secret key, refused with InvalidArgument if it is not one. */
export async function signerFrom(secretKey: Uint8Array | undefined): Promise<Signer | undefined> {
  if (secretKey === undefined) return undefined;
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== ED25519_SECRET_KEY_SIZE) {
    throw rvfError(
      'InvalidArgument',
      `signingKey must be a ${ED25519_SECRET_KEY_SIZE}-byte Ed25519 secret key, got ${
        secretKey instanceof Uint8Array ? `${secretKey.length} bytes` : typeof secretKey
      }`,
    );
  }
  const { publicKeyFromSecret, signSegment } = await ed25519();
  const key = secretKey.slice();
  return {
    secretKey: key,
    publicKey: publicKeyFromSecret(key),
    sign: (segmentBytes) => signSegment(key, segmentBytes),
  };
}

/** A segment as it is written: where, its id, and its bytes (header and payload). */
export interface SignedTarget {
  offset: number;
  segId: bigint;
  bytes: Uint8Array;
}

/** The RVFJS_SIGNATURE payload for each target, in order. */
export function signaturePayloads(signer: Signer, targets: readonly SignedTarget[]): Uint8Array[] {
  return targets.map((t) =>
    encodeSignatureRecord({
      targetOffset: t.offset,
      targetSegmentId: t.segId,
      publicKey: signer.publicKey,
      signature: signer.sign(t.bytes),
    }),
  );
}

/** Segment types a signature never covers: the commit records and the signatures themselves. */
const UNSIGNED_TYPES = new Set<number>([SegmentType.Manifest, SegmentType.RvfjsSignature]);

/** A signature segment that did not verify, and why. */
export interface SignatureFailure {
  /** Offset of the RVFJS_SIGNATURE segment. */
  offset: number;
  segId: number;
  reason: string;
}

/** What verifySignatures() found: the signatures, their signers and the segments they cover. */
export interface SignatureReport {
  /** True when every signature verifies, by `signer` if one was given. */
  valid: boolean;
  signatures: number;
  /** The public keys (hex) that signed segments of this file, first seen first. */
  signers: string[];
  /** Listed segments (manifests and signatures aside) with a valid signature. */
  signedSegments: number;
  /** Listed segments (manifests and signatures aside) that no valid signature covers. */
  unsignedSegments: number;
  failures: SignatureFailure[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Checks every RVFJS_SIGNATURE segment the directory lists against the segment it names (at
 * that offset, with that id, listed in the same directory): the Ed25519 signature over the
 * segment's stored bytes must verify, and, with `signer`, be that key's.
 */
export async function verifySignatures(
  source: ByteSource,
  directory: readonly DirectoryEntry[],
  signer?: Uint8Array,
): Promise<SignatureReport> {
  const { verifySegmentSignature } = await ed25519();
  const byOffset = new Map<number, DirectoryEntry>();
  for (const e of directory) byOffset.set(e.offset, e);
  const signers: string[] = [];
  const covered = new Set<number>();
  const failures: SignatureFailure[] = [];
  let signatures = 0;
  for (const e of directory) {
    if (e.segType !== SegmentType.RvfjsSignature) continue;
    signatures++;
    const fail = (reason: string) => failures.push({ offset: e.offset, segId: Number(e.segId), reason });
    let record: ReturnType<typeof decodeSignatureRecord>;
    try {
      record = decodeSignatureRecord((await readSegmentAt(source, e)).payload);
    } catch (err) {
      fail((err as Error).message);
      continue;
    }
    const key = hex(record.publicKey);
    if (!signers.includes(key)) signers.push(key);
    const target = byOffset.get(record.targetOffset);
    if (!target || target.segId !== record.targetSegmentId || UNSIGNED_TYPES.has(target.segType)) {
      fail(
        `names segment ${record.targetSegmentId} at offset ${record.targetOffset}, which the directory does not list there`,
      );
      continue;
    }
    if (signer && key !== hex(signer)) {
      fail(`signed by ${key}, not by the expected key ${hex(signer)}`);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = (await readSegmentAt(source, target)).raw;
    } catch (err) {
      fail(`its segment at offset ${target.offset} cannot be read: ${(err as Error).message}`);
      continue;
    }
    if (!verifySegmentSignature(record.publicKey, bytes, record.signature)) {
      fail(`the signature of segment ${target.segId} at offset ${target.offset} does not verify`);
      continue;
    }
    covered.add(target.offset);
  }
  const signable = directory.filter((e) => !UNSIGNED_TYPES.has(e.segType));
  return {
    valid: failures.length === 0,
    signatures,
    signers,
    signedSegments: signable.filter((e) => covered.has(e.offset)).length,
    unsignedSegments: signable.filter((e) => !covered.has(e.offset)).length,
    failures,
  };
}
