// Packs the libraries with `pnpm pack` (workspace:^ ranges become real versions, as on
// publish) into `outDir`. Shared by pack-check.mjs and the docs' install test, so both install
// exactly what `npm publish` would upload.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(new URL('..', import.meta.url).pathname);
export const LIBS = ['rvf-types', 'rvf-wire', 'rvf-crypto', 'rvf-index', 'rvf-runtime', 'rvf-objectstore'];

/**
 * Packs every library of LIBS; returns `{ types: '/…/rvfjs-types-0.1.0.tgz', … }`.
 * `pnpm` is a command line such as `npx -y pnpm@10.34.9` (as in CI); default `$PNPM` or `pnpm`.
 */
export function packLibraries(outDir, pnpm = process.env.PNPM ?? 'pnpm') {
  const [cmd, ...args] = pnpm.split(' ').filter(Boolean);
  for (const lib of LIBS) {
    execFileSync(cmd, [...args, 'pack', '--pack-destination', outDir], {
      cwd: join(REPO_ROOT, 'packages', lib),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }
  const tarballs = {};
  for (const f of readdirSync(outDir)) {
    const m = /^rvfjs-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(f);
    if (m) tarballs[m[1]] = join(outDir, f);
  }
  return tarballs;
}
