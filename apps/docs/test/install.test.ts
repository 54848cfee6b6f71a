/**
 * The install page is true. Its npm command is run, as written, in an empty folder, with each
 * package it names (and the libraries those depend on, which are not on a registry here)
 * replaced by the tarball `pnpm pack` makes, which is what npm would download; then the page's
 * check program runs there and must print what the page says. The clone commands must be the
 * README's, which CI runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packLibraries } from '../../../scripts/pack-libs.mjs';
import { blockAfter, CONTENT_DIR, REPO_DIR, read, tempDir } from './helpers.js';

const page = read(join(CONTENT_DIR, 'install.md'));
const work = tempDir('rvfjs-install-');
let tarballs: Record<string, string> = {};
beforeAll(() => {
  tarballs = packLibraries(work.dir, process.env.PNPM ?? 'npx -y pnpm@10.34.9') as Record<string, string>;
});
afterAll(() => work.cleanup());

/** The tarballs for `@rvfjs/<name>` and, transitively, the @rvfjs libraries it depends on. */
function withDependencies(name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const pkg = JSON.parse(read(join(REPO_DIR, 'packages', `rvf-${name}`, 'package.json')));
  const deps = Object.keys(pkg.dependencies ?? {})
    .filter((d) => d.startsWith('@rvfjs/'))
    .flatMap((d) => withDependencies(d.slice('@rvfjs/'.length), seen));
  const own = tarballs[name];
  if (!own) throw new Error(`no tarball for @rvfjs/${name}`);
  return [own, ...deps];
}

describe('the install page', () => {
  it('installs with its npm command and runs its check program, which prints what the page says', () => {
    const install = blockAfter(page, 'install-npm');
    expect(install.lang).toBe('sh');
    const m = /^npm i(?:nstall)? ((?:@rvfjs\/[a-z]+ ?)+)$/.exec(install.code.trim());
    expect(m, install.code).not.toBeNull();
    const names = m![1]!.trim().split(' ');
    expect(names).toEqual(['@rvfjs/runtime']);
    const dir = join(work.dir, 'app');
    execFileSync('mkdir', ['-p', dir]);
    const args = [...new Set(names.flatMap((n) => withDependencies(n.slice('@rvfjs/'.length))))];
    // The real install: npm runs hnswlib-node's build, as it would for a user.
    execFileSync('npm', ['i', '--no-audit', '--no-fund', ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const lib of ['types', 'wire', 'crypto', 'index', 'runtime']) {
      expect(existsSync(join(dir, 'node_modules', '@rvfjs', lib, 'dist', 'index.js')), lib).toBe(true);
    }
    // package.json records the packages under their names, as `npm i <name>` would.
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toContain('@rvfjs/runtime');
    // The native add-on was compiled and loads (the page says npm builds it).
    execFileSync(process.execPath, ['-e', "require('hnswlib-node')"], { cwd: dir });

    const program = blockAfter(page, 'install-check');
    const expected = blockAfter(page, 'install-check-output');
    expect(program.lang).toBe('js');
    expect(page).toContain('save this as `check.mjs`');
    writeFileSync(join(dir, 'check.mjs'), `${program.code}\n`);
    const stdout = execFileSync(process.execPath, ['check.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(stdout).toBe(`${expected.code}\n`);
    expect(existsSync(join(dir, 'check.rvf'))).toBe(true);
  });

  it('gives the README commands for a clone, which CI runs verbatim', () => {
    const clone = blockAfter(page, 'install-clone').code.split('\n');
    const readme = read(join(REPO_DIR, 'README.md')).split('\n');
    expect(clone).toEqual(readme.slice(1, 3));
    expect(read(join(REPO_DIR, '.ci', 'run'))).toContain("readme_cmd=$(sed -n '3p' README.md");
  });
});
