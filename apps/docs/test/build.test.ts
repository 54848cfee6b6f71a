/**
 * The built site (built once by global-setup.ts, as `pnpm build` builds it), checked on its own
 * terms: every page is there, the generated parts match the code they come from, code is
 * highlighted, the search index exists, and every internal link and anchor resolves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { checkSiteLinks, listFiles } from '../src/check-links.mjs';
import { NAV_PAGES } from '../src/pages.mjs';
import { htmlOf, mainOf, REPO_DIR, read, text } from './helpers.js';

const { outDir, log } = inject('site');
const page = (file: string) => read(join(outDir, ...file.split('/')));

describe('the built site', () => {
  it('has a page for every entry of the navigation, and says how many it wrote', () => {
    const files = listFiles(outDir);
    for (const p of NAV_PAGES) expect(files, p.file).toContain(htmlOf(p.file));
    const written = Number(/wrote (\d+) pages/.exec(log)?.[1]);
    expect(written).toBe(files.filter((f: string) => f.endsWith('.html')).length);
    // The old pages are all still there.
    for (const old of [
      'index.md',
      'guide/store.md',
      'guide/filters.md',
      'guide/branches.md',
      'guide/durability.md',
      'guide/witness.md',
      'guide/compatibility.md',
      'cli.md',
      'server.md',
      'format.md',
      'errors.md',
    ]) {
      expect(files).toContain(htmlOf(old));
    }
  });

  it('gives every page one h1 and its title, and lists every page in the sidebar', () => {
    for (const p of NAV_PAGES) {
      const html = page(htmlOf(p.file));
      const h1 = [...mainOf(html).matchAll(/<h1[^>]*>([\s\S]*?)<\/h1>/g)];
      expect(h1.length, `${p.file}: one h1`).toBe(1);
      const title = text(h1[0]![1]!)
        .replace(/\u200b/g, '')
        .trim();
      // VitePress titles a page "<h1> | rvfjs", and the home page, whose h1 is the site name, "rvfjs".
      expect(text(/<title>([\s\S]*?)<\/title>/.exec(html)![1]!)).toBe(
        title === 'rvfjs' ? title : `${title} | rvfjs`,
      );
    }
    const home = page('index.html');
    for (const p of NAV_PAGES) {
      const href = `/${htmlOf(p.file)}`.replace(/\/index\.html$/, '/');
      expect(home, `sidebar link to ${p.file}`).toContain(`href="${href}"`);
    }
  });

  it('resolves every internal link and anchor', () => {
    const { problems, checked } = checkSiteLinks(outDir);
    expect(problems).toEqual([]);
    // Not vacuous: the pages link to each other, into sections, and the API pages to each other.
    expect(checked).toBeGreaterThan(5000);
  });

  it('keeps the anchors the guides use (GitHub-style ids, as on GitHub)', () => {
    const ids = (file: string) => new Set([...page(file).matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]));
    expect(ids('format.html')).toContain('0x40-rvfjs_metadata');
    expect(ids('format.html')).toContain('0x42-rvfjs_hnsw_graph');
    expect(ids('errors.html')).toContain('all-codes');
  });

  it('includes docs/format-extensions.md into the format page, a heading level down', () => {
    const source = read(join(REPO_DIR, 'docs', 'format-extensions.md'));
    let inFence = false;
    const headings: [number, string][] = [];
    for (const line of source.split('\n')) {
      if (/^```/.test(line)) inFence = !inFence;
      const m = !inFence && /^(#{1,6}) (.*)$/.exec(line);
      if (m) headings.push([m[1]!.length, m[2]!.replace(/`/g, '')]);
    }
    expect(headings.length).toBeGreaterThan(10);
    const rendered = [...mainOf(page('format.html')).matchAll(/<h([1-6])[^>]*>([\s\S]*?)<\/h\1>/g)].map(
      (m) =>
        [
          Number(m[1]),
          text(m[2]!)
            .replace(/\u200b/g, '')
            .trim(),
        ] as [number, string],
    );
    for (const [level, title] of headings) expect(rendered, title).toContainEqual([level + 1, title]);
    for (const field of ['manifest_shake256', 'target_segment_id', 'branch_count', 'fingerprint']) {
      expect(page('format.html')).toMatch(new RegExp(`<td><code>${field}</code>`));
    }
  });

  it('highlights code (Shiki, at build time) and leaves no Markdown or directive unrendered', () => {
    const home = mainOf(page('index.html'));
    expect(home).toMatch(/<div class="language-js[^"]*"[\s\S]*?<pre class="shiki/);
    expect(home).toMatch(
      /<span style="--shiki-light:#[0-9A-F]{6};--shiki-dark:#[0-9A-F]{6};">import<\/span>/,
    );
    for (const p of NAV_PAGES) {
      const main = mainOf(page(htmlOf(p.file)))
        .replace(/<pre[\s\S]*?<\/pre>/g, '')
        .replace(/<code>[\s\S]*?<\/code>/g, '');
      expect(main, `${p.file}: raw Markdown`).not.toMatch(/^#{1,6} |\]\(|```/m);
      expect(main, `${p.file}: a directive`).not.toMatch(
        /&lt;!--\s*(include|generate):|<!--\s*(include|generate):/,
      );
    }
  });

  it('builds a local search index over every page and section (the browser test searches it)', () => {
    const index = listFiles(join(outDir, 'assets')).find((f: string) => /localSearchIndexroot/.test(f));
    expect(index).toBeDefined();
    const body = read(join(outDir, 'assets', index!));
    // MiniSearch keeps the section titles as stored fields; the words themselves are in a tree.
    const count = Number(/\\?"documentCount\\?":(\d+)/.exec(body)?.[1]);
    expect(count).toBeGreaterThan(1000);
    for (const title of ['Copy-on-write branching', 'Class: RvfStore', 'Freezing a store', 'All codes']) {
      expect(body, title).toContain(`"title":"${title}"`);
    }
  });

  it('shows each example with its program and its checked-in output', () => {
    for (const name of ['cow-branching', 'serverless-cold-start', 'namespaces']) {
      const main = text(mainOf(page(`examples/${name}.html`)));
      const program = read(join(REPO_DIR, 'examples', 'src', `${name}.ts`));
      const output = read(join(REPO_DIR, 'examples', 'expected', `${name}.txt`));
      for (const line of program
        .split('\n')
        .filter((l) => l.trim().length > 20)
        .slice(0, 30)) {
        expect(main, `${name}: ${line}`).toContain(line.trim());
      }
      for (const line of output.split('\n').filter((l) => l.trim()))
        expect(main, `${name}: ${line}`).toContain(line.trim());
    }
  });

  it('writes no source maps or staging files into the output', () => {
    const files = listFiles(outDir);
    expect(files.filter((f: string) => f.endsWith('.md'))).toEqual([]);
    expect(existsSync(join(outDir, 'api', 'typedoc-sidebar.json'))).toBe(false);
  });
});
