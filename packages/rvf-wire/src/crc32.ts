import { nodeBuiltin } from '@rvfjs/types';

/** CRC-32/IEEE (zlib's crc32): reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Table(data: Uint8Array, seed: number): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type Crc32Fn = (data: Uint8Array, seed: number) => number;

/**
 * The first call looks for the host's native CRC-32 (Node's zlib.crc32, reached through
 * nodeBuiltin, so importing this module stays free of side effects and browsers never see a
 * Node import) and replaces itself with whichever is chosen.
 */
function firstCall(data: Uint8Array, seed: number): number {
  // A host function that fails the test vector is refused; the portable one is then kept.
  if (impl === firstCall && !useCrc32Implementation(hostCrc32())) impl = crc32Table;
  return impl(data, seed);
}

function hostCrc32(): Crc32Fn | undefined {
  const crc = nodeBuiltin<{ crc32?: Crc32Fn }>('node:zlib')?.crc32;
  return typeof crc === 'function' ? crc : undefined;
}

let impl: Crc32Fn = firstCall;

/**
 * CRC-32/IEEE of `data`, continuing from `seed` (the CRC of preceding bytes), so
 * crc32(b, crc32(a)) = crc32(a ‖ b). Native where the host has one (Node ≥ 20.16), portable
 * elsewhere; a host can install its own with useCrc32Implementation.
 */
export function crc32(data: Uint8Array, seed = 0): number {
  // Node's zlib.crc32 returns 0, not the seed, for a view of a zero-length ArrayBuffer.
  if (data.length === 0) return seed >>> 0;
  return impl(data, seed) >>> 0;
}

/**
 * Installs a faster CRC-32 with zlib's semantics (same polynomial, seed chaining). It is
 * checked against the portable one on a test vector before it is accepted.
 */
export function useCrc32Implementation(fn: Crc32Fn | undefined): boolean {
  if (!fn || fn === crc32Table) {
    impl = crc32Table;
    return true;
  }
  const probe = new TextEncoder().encode('123456789');
  if (
    fn(probe, 0) >>> 0 !== 0xcbf43926 ||
    fn(probe.subarray(4), fn(probe.subarray(0, 4), 0)) >>> 0 !== 0xcbf43926
  ) {
    return false;
  }
  impl = fn;
  return true;
}
