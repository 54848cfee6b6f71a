/**
 * The bytes a base64 string encodes (the packages' generated WebAssembly modules, see
 * scripts/compile-wasm.mjs): the host's own decoder where it has one (Node's Buffer, or
 * Uint8Array.fromBase64), else `atob`, which every JavaScript host has, and a loop. These
 * decodes run once per process, on the way to a first query or branch, where the loop runs
 * interpreted: 1.6 ms for the SIMD kernels, against microseconds natively.
 */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const native = nativeDecoder();
  if (native) return new Uint8Array(native(text));
  const binary = atob(text);
  const out = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

type Decoder = (text: string) => Uint8Array;

function nativeDecoder(): Decoder | undefined {
  const host = globalThis as {
    Uint8Array: { fromBase64?: (text: string) => Uint8Array };
    Buffer?: { from(text: string, encoding: 'base64'): Uint8Array };
  };
  const fromBase64 = host.Uint8Array.fromBase64;
  if (typeof fromBase64 === 'function') return (text) => fromBase64.call(Uint8Array, text);
  const buffer = host.Buffer;
  if (buffer && typeof buffer.from === 'function') return (text) => buffer.from(text, 'base64');
  return undefined;
}
