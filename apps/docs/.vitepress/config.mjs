/**
 * VitePress configuration. The Markdown it reads is staged by build.mjs (content/ with
 * directives expanded, plus the generated references, examples and charts) into site-src/,
 * or into RVF_DOCS_SRC when a test builds elsewhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitepress';
import { NAV } from '../src/pages.mjs';
import { DEFAULT_SRC_DIR } from '../src/paths.mjs';
import { slugify } from '../src/slug.mjs';

const srcDir = process.env.RVF_DOCS_SRC || DEFAULT_SRC_DIR;

const link = (file) => `/${file.replace(/(^|\/)index\.md$/, '$1').replace(/\.md$/, '')}`;

/** TypeDoc's sidebar for the API pages (written by typedoc-vitepress-theme next to them). */
function apiSidebar() {
  const file = join(srcDir, 'api', 'typedoc-sidebar.json');
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8'));
}

const guideSidebar = NAV.map((g) => ({
  text: g.group,
  items: g.pages.map((p) => ({ text: p.label, link: link(p.file) })),
}));

export default defineConfig({
  title: 'rvfjs',
  description:
    'RVF vector stores in TypeScript: one append-only file, filtered k-NN, copy-on-write branches.',
  srcDir,
  base: process.env.RVF_DOCS_BASE || '/',
  lang: 'en',
  // An inline icon: without one the browser asks for /favicon.ico, a 404 in the console.
  head: [
    [
      'link',
      {
        rel: 'icon',
        href: "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' rx='3' fill='%233451b2'/></svg>",
      },
    ],
  ],
  cleanUrls: false,
  lastUpdated: false,
  // Dead links to pages fail the build; anchors are checked on the output (check-links.mjs).
  ignoreDeadLinks: false,
  markdown: {
    // GitHub-style ids, so links such as format.md#0x40-rvfjs_metadata work here and on GitHub.
    anchor: { slugify },
    headers: { slugify },
    theme: { light: 'github-light', dark: 'github-dark' },
    lineNumbers: false,
  },
  // The local search index and the API pages make big chunks; they load on demand.
  vite: { build: { chunkSizeWarningLimit: 4096 } },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/store' },
      { text: 'Examples', link: '/examples/cow-branching' },
      { text: 'API', link: '/api/' },
      { text: 'CLI', link: '/reference/cli-commands' },
      { text: 'HTTP', link: '/reference/http-api' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
    sidebar: {
      '/api/': [{ text: 'API reference', link: '/api/', items: apiSidebar() }],
      '/': [...guideSidebar, { text: 'API', items: [{ text: 'API reference', link: '/api/' }] }],
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    footer: { message: 'MIT licensed. Generated from the rvfjs sources at build time.' },
  },
});
