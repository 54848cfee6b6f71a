/**
 * The libraries whose API the site documents: every package under packages/ that is not
 * private (read from its package.json, so a new library is picked up without editing this)
 * and has its entry point, src/index.ts (a package being started has none yet).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `[{ dir, name }]`, sorted by folder name. */
export function publishedPackages(repoRoot) {
  const base = join(repoRoot, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() &&
        existsSync(join(base, d.name, 'package.json')) &&
        existsSync(join(base, d.name, 'src', 'index.ts')),
    )
    .map((d) => ({
      dir: join(base, d.name),
      pkg: JSON.parse(readFileSync(join(base, d.name, 'package.json'), 'utf8')),
    }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => ({ dir, name: pkg.name }))
    .sort((a, b) => a.dir.localeCompare(b.dir));
}
