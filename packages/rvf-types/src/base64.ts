/**
 * The bytes a base64 string encodes (the packages' generated WebAssembly modules, see
 * scripts/compile-wasm.mjs), through the `atob` every JavaScript host has.
 */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
