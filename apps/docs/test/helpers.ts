import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir as makeTempDir } from '@rvfjs/test-kit';

export const DOCS_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = join(DOCS_DIR, '..', '..');
export const CONTENT_DIR = join(DOCS_DIR, 'content');
export const BUILD = join(DOCS_DIR, 'build.mjs');

export const tempDir = (prefix = 'rvfjs-docs-') => makeTempDir(prefix);

export const read = (p: string) => readFileSync(p, 'utf8');

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
export const decode = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e: string) => ENTITIES[e]!);

/** The text of an HTML fragment. */
export const text = (html: string) => decode(html.replace(/<[^>]*>/g, ''));

/** The output file of a content page: guide/store.md → guide/store.html. */
export const htmlOf = (file: string) => file.replace(/\.md$/, '.html');

/** The `<main>` of a built page: its content, without the sidebar and navigation. */
export function mainOf(html: string): string {
  const m = /<main[^>]*>([\s\S]*)<\/main>/.exec(html);
  if (!m) throw new Error('no <main> in the page');
  return m[1]!;
}

/** The fenced block right after a `<!-- marker -->` line of a Markdown file. */
export function blockAfter(markdown: string, marker: string): { lang: string; code: string } {
  const re = new RegExp(`<!--\\s*${marker}\\s*-->\\s*\\n\`\`\`(\\w*)\\n([\\s\\S]*?)\\n\`\`\`\\n`);
  const m = re.exec(markdown);
  if (!m) throw new Error(`no code block after <!-- ${marker} -->`);
  return { lang: m[1]!, code: m[2]! };
}
