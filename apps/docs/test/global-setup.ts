/**
 * Builds the site once for the whole test run, as `pnpm build` does (node build.mjs, in a
 * child process), into a temporary folder (under .build-tmp/, removed afterwards); test files
 * read it through inject('site').
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BUILD, DOCS_DIR } from './helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    site: { outDir: string; srcDir: string; log: string };
  }
}

export default function setup(project: TestProject) {
  // For working on the tests: RVF_DOCS_SITE=<dir> reuses a build made with
  // `node build.mjs --out <dir>/dist --src <dir>/src` instead of building again.
  const reuse = process.env.RVF_DOCS_SITE;
  if (reuse) {
    project.provide('site', {
      outDir: join(reuse, 'dist'),
      srcDir: join(reuse, 'src'),
      log: `docs: wrote ${readdirSync(join(reuse, 'dist'), { recursive: true }).filter((f) => String(f).endsWith('.html')).length} pages`,
    });
    return;
  }
  // Inside the package: the staged Markdown must resolve `vue` and `vitepress` from here.
  mkdirSync(join(DOCS_DIR, '.build-tmp'), { recursive: true });
  const dir = mkdtempSync(join(DOCS_DIR, '.build-tmp', 'site-'));
  const outDir = join(dir, 'dist');
  const srcDir = join(dir, 'src');
  const log = execFileSync(process.execPath, [BUILD, '--out', outDir, '--src', srcDir], {
    cwd: DOCS_DIR,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  project.provide('site', { outDir, srcDir, log });
  return () => rmSync(dir, { recursive: true, force: true });
}
