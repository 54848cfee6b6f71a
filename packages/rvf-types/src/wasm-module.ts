import { base64Bytes } from './base64.js';

/**
 * Starts compiling a base64-encoded WebAssembly module off the main thread, where the host
 * can (WebAssembly.compile), so the first call that needs it does not compile it on its way.
 * Returns the module once compiled: undefined before that, and where compiling is not
 * possible or fails (a module this engine rejects); the caller then compiles it itself, or
 * takes its path without WebAssembly.
 */
export function compileInBackground(base64: string): () => WebAssembly.Module | undefined {
  let compiled: WebAssembly.Module | undefined;
  if (typeof WebAssembly === 'object' && typeof WebAssembly.compile === 'function') {
    WebAssembly.compile(base64Bytes(base64)).then(
      (m) => {
        compiled = m;
      },
      () => undefined,
    );
  }
  return () => compiled;
}
