import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh folder under the OS temp directory, and a function that removes it.
 * @param {string} [prefix]
 * @returns {{ dir: string; cleanup: () => void }}
 */
export function tempDir(prefix = 'rvfjs-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
