import { nativeHnswAvailable, nativeHnswLoadError } from '../src/index.js';

/**
 * For `describe.skipIf(nativeMissing())`: true where the hnswlib-node suites cannot run.
 * Outside CI, a machine that could not compile the add-on skips them. In CI (`CI` set) a
 * missing add-on fails the test file instead: a broken build must never pass as "skipped".
 */
export function nativeMissing(): boolean {
  if (nativeHnswAvailable()) return false;
  if (process.env.CI) {
    throw new Error(
      `hnswlib-node did not load (${String((nativeHnswLoadError() as Error | undefined)?.message ?? 'unknown reason')}); CI runs the native suites, it does not skip them`,
    );
  }
  return true;
}
