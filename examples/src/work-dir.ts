/**
 * The folder an example writes its stores into: the one given on the command line (CI passes
 * a fresh one), or a new temporary folder.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function workDir(given: string | undefined): Promise<string> {
  if (given) {
    await mkdir(given, { recursive: true });
    return given;
  }
  return mkdtemp(join(tmpdir(), 'rvfjs-example-'));
}

/** Milliseconds since `start` (a performance.now() reading), for printing. */
export const msSince = (start: number): string => `${(performance.now() - start).toFixed(1)} ms`;
