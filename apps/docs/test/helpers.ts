import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir as makeTempDir } from '@rvfjs/test-kit';

export const DOCS_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CONTENT_DIR = join(DOCS_DIR, 'content');
export const BUILD = join(DOCS_DIR, 'build.mjs');

export const tempDir = (prefix = 'rvfjs-docs-') => makeTempDir(prefix);

/** Runs build.mjs in a child process, as `pnpm build` does. */
export function runBuild(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BUILD, ...args], { cwd: DOCS_DIR, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Builds the real content into `out`, failing loudly if the build fails. */
export function buildInto(out: string): string {
  return execFileSync(process.execPath, [BUILD, '--out', out], { cwd: DOCS_DIR, encoding: 'utf8' });
}

/** A copy of content/ that a test may break. */
export function copyContent(dir: string): string {
  const target = join(dir, 'content');
  cpSync(CONTENT_DIR, target, { recursive: true });
  return target;
}

/** Every file under `dir`, as posix paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export const read = (p: string) => readFileSync(p, 'utf8');

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
export const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e]!);

/** The text of an HTML fragment. */
export const text = (html: string) => decode(html.replace(/<[^>]*>/g, ''));
