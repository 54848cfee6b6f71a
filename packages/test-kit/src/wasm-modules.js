import { fileURLToPath } from 'node:url';

/**
 * The committed TypeScript file of a WebAssembly module (see scripts/compile-wasm.mjs) next to
 * what its text source compiles to now; a package's tests expect the two to be equal.
 */
export async function wasmModuleSources(name) {
  const script = fileURLToPath(new URL('../../../scripts/compile-wasm.mjs', import.meta.url));
  const { compiledModuleSource, committedModuleSource } = await import(script);
  return { committed: committedModuleSource(name), compiled: await compiledModuleSource(name) };
}
