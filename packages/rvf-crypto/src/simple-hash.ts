/**
 * The reference implementation's "simple_shake256_256".
 *
 * !!! THIS IS NOT A CRYPTOGRAPHIC HASH, AND IT IS NOT SHAKE-256. !!!
 *
 * Despite its name in the reference, it is a 32-byte additive checksum: every input byte
 * is added into one output slot and a rotated copy of that slot into another. It is
 * linear, trivially invertible and collisions can be written by hand (the reference's
 * file ids visibly contain the path bytes they were derived from). It offers no
 * tamper-evidence whatsoever.
 *
 * rvfjs carries it for one reason only: to read, verify and write fields whose values the
 * reference computes with it, so files stay interchangeable in both directions —
 *   - file ids: first 16 bytes of simpleHash(utf8(path) ‖ u64 LE creation time in ns),
 *   - parent hashes in lineage records,
 *   - membership-filter hashes,
 *   - legacy witness links in WITNESS segments written by the reference.
 * Never use it for anything new; use `shake256_256` instead.
 */
import { base64Bytes, compileInBackground, HASH_SIZE } from '@rvfjs/types';
import { checkBytes } from './bytes.js';
import { SIMPLE_HASH_WASM_BASE64 } from './simple-hash-wasm.js';

/**
 * Computes the reference's simple (non-cryptographic) 32-byte digest:
 *
 *   for i, b in data:
 *     out[i % 32] += b                                  (mod 256)
 *     out[(i + 13) % 32] += rotl8(out[i % 32], 3)       (mod 256)
 *
 * Inputs of WASM_FROM bytes or more (64 KiB file tails, membership bitmaps) run in
 * WebAssembly (simple-hash.wat): these hashes sit on cold paths such as branch(), where V8
 * may have dropped the JavaScript loop's compiled code and would interpret it. Shorter ones,
 * and hosts without WebAssembly, take the JavaScript loop; both give the same bytes.
 */
export function simpleHash(data: Uint8Array): Uint8Array {
  checkBytes(data, 'simpleHash input', 'InvalidChecksum');
  const wasm = data.length >= WASM_FROM ? wasmAbsorber() : undefined;
  return wasm ? simpleHashInWasm(wasm, data) : simpleHashInJs(data);
}

/** Below this many bytes, copying into WebAssembly memory and calling out saves nothing. */
const WASM_FROM = 1024;

/** Bytes absorbed per call: a multiple of 32 that fits the module's memory after the digest. */
const CHUNK = 65536;

/** The compiled module: its memory as bytes, and the loop over memory[32, 32 + n). */
interface Absorber {
  memory: Uint8Array;
  absorb(n: number): void;
}

/** undefined: not tried yet; null: this host cannot run it. */
let absorber: Absorber | null | undefined;

/**
 * The module, compiled off the main thread while the program loads so that a first branch
 * does not compile it on its way; until then (or where that fails) wasmAbsorber compiles it
 * itself, or takes the JavaScript loop.
 */
const precompiled = compileInBackground(SIMPLE_HASH_WASM_BASE64);

function wasmAbsorber(): Absorber | undefined {
  if (absorber === undefined) {
    absorber = null;
    try {
      const { exports } = new WebAssembly.Instance(
        precompiled() ?? new WebAssembly.Module(base64Bytes(SIMPLE_HASH_WASM_BASE64)),
      );
      // The memory never grows, so this view stays valid.
      absorber = {
        memory: new Uint8Array((exports.memory as WebAssembly.Memory).buffer),
        absorb: exports.absorb as (n: number) => void,
      };
    } catch {
      // No WebAssembly here (or a policy that forbids compiling it): the loop below serves.
    }
  }
  return absorber ?? undefined;
}

function simpleHashInWasm(wasm: Absorber, data: Uint8Array): Uint8Array {
  const { memory } = wasm;
  memory.fill(0, 0, HASH_SIZE);
  for (let at = 0; at < data.length; at += CHUNK) {
    const chunk = data.subarray(at, at + CHUNK);
    memory.set(chunk, HASH_SIZE);
    wasm.absorb(chunk.length);
  }
  return memory.slice(0, HASH_SIZE);
}

/**
 * One tight loop: `& 31` replaces `% 32` (both indices are non-negative), and the mod-256
 * wrap of the second addition comes for free from storing into a Uint8Array.
 */
function simpleHashInJs(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_SIZE);
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const k = i & 31;
    const v = (out[k]! + data[i]!) & 0xff;
    out[k] = v;
    const j = (i + 13) & 31;
    out[j] = out[j]! + (((v << 3) | (v >>> 5)) & 0xff);
  }
  return out;
}
