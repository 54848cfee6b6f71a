/**
 * The real build, run as `pnpm build` runs it (node build.mjs, in a child process), into a
 * temporary folder; then the output is checked on its own terms, without the generator's code.
 */
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAV } from '../src/pages.mjs';
import { buildInto, DOCS_DIR, listFiles, read, tempDir, text } from './helpers.js';

const work = tempDir();
const out = join(work.dir, 'dist');
let log = '';
beforeAll(() => {
  log = buildInto(out);
});
afterAll(() => work.cleanup());

const navPages = NAV.flatMap((g) => g.pages.map((p) => ({ ...p, html: p.file.replace(/\.md$/, '.html') })));
const html = (page: string) => read(join(out, ...page.split('/')));

/** Every id on a page, every href/src with the page it is on. */
function scan(page: string) {
  const h = html(page);
  const ids = new Set([...h.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!));
  const links = [...h.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => text(m[1]!));
  return { ids, links };
}

describe('the built site', () => {
  it('has every page of the navigation, and nothing but pages and the stylesheet', () => {
    expect(log).toMatch(new RegExp(`wrote ${navPages.length} pages`));
    const files = listFiles(out);
    for (const p of navPages) expect(files, p.html).toContain(p.html);
    expect(files.sort()).toEqual([...navPages.map((p) => p.html), 'style.css'].sort());
    expect(navPages.map((p) => p.file)).toEqual(
      expect.arrayContaining([
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
      ]),
    );
  });

  it('renders every page in the shared layout: title, stylesheet, sidebar with every page, the current one marked', () => {
    for (const p of navPages) {
      const h = html(p.html);
      const depth = p.html.split('/').length - 1;
      const root = '../'.repeat(depth);
      expect(h.startsWith('<!doctype html>'), p.html).toBe(true);
      const h1 = [...h.matchAll(/<h1[^>]*>([\s\S]*?)<\/h1>/g)];
      expect(h1.length, `${p.html}: one h1`).toBe(1);
      expect(h).toContain(`<title>${text(h1[0]![1]!).replace(/&/g, '&amp;')} · rvfjs</title>`);
      expect(h).toContain(`<link rel="stylesheet" href="${root}style.css">`);
      const sidebar = /<nav class="sidebar"[\s\S]*?<\/nav>/.exec(h)![0];
      for (const q of navPages)
        expect(sidebar, `${p.html} links to ${q.html}`).toContain(`href="${root}${q.html}"`);
      const current = [...sidebar.matchAll(/<a href="([^"]*)" class="current" aria-current="page">/g)];
      expect(
        current.map((m) => m[1]),
        p.html,
      ).toEqual([`${root}${p.html}`]);
    }
  });

  it('every internal link and anchor resolves', () => {
    const files = new Set(listFiles(out));
    const scans = new Map(navPages.map((p) => [p.html, scan(p.html)]));
    let checked = 0;
    let anchors = 0;
    const broken: string[] = [];
    for (const [page, { links }] of scans) {
      for (const href of links) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto:
        const [path, fragment] = href.split('#') as [string, string | undefined];
        const target = path === '' ? page : posix.normalize(posix.join(posix.dirname(page), path));
        checked++;
        if (!files.has(target)) {
          broken.push(`${page}: ${href} → missing ${target}`);
          continue;
        }
        if (fragment) {
          anchors++;
          if (!scans.get(target)?.ids.has(decodeURIComponent(fragment)))
            broken.push(`${page}: ${href} → no #${fragment}`);
        }
      }
    }
    expect(broken).toEqual([]);
    // The check is not vacuous: the pages link to each other and into sections.
    expect(checked).toBeGreaterThan(200);
    expect(anchors).toBeGreaterThan(50);
  });

  it('has no links to Markdown files or absolute paths left', () => {
    for (const p of navPages) {
      for (const href of scan(p.html).links) {
        expect(href, p.html).not.toMatch(/\.md($|#)/);
        expect(href.startsWith('/'), `${p.html}: ${href}`).toBe(false);
      }
    }
  });

  it('includes docs/format-extensions.md into the format page at build time, a level down', () => {
    const source = read(join(DOCS_DIR, '..', '..', 'docs', 'format-extensions.md'));
    const page = html('format.html');
    let inFence = false;
    const headings: [number, string][] = [];
    for (const line of source.split('\n')) {
      if (/^```/.test(line)) inFence = !inFence;
      const m = !inFence && /^(#{1,6}) (.*)$/.exec(line);
      if (m) headings.push([m[1]!.length, m[2]!]);
    }
    expect(headings.length).toBeGreaterThan(10);
    const rendered = [...page.matchAll(/<h([1-6]) id="[^"]*">([\s\S]*?)<\/h\1>/g)].map(
      (m) => [Number(m[1]), text(m[2]!).replace(/#$/, '').trim()] as [number, string],
    );
    for (const [level, title] of headings) {
      const plain = title.replace(/`/g, '');
      expect(rendered, `heading "${title}"`).toContainEqual([level + 1, plain]);
    }
    // Its layout tables made it through, rendered as tables.
    for (const field of [
      'manifest_shake256',
      'target_segment_id',
      'branch_count',
      'fingerprint',
      'body_words',
    ]) {
      expect(page).toMatch(new RegExp(`<td><code>${field}</code>`));
    }
  });

  it('renders code blocks and tables, and writes no Markdown source into the output', () => {
    const index = html('index.html');
    expect(index).toMatch(
      /<pre><code class="language-js">import \{ RvfStore \} from &#39;@rvfjs\/runtime&#39;;/,
    );
    expect(index).toContain('<div class="table-wrap"><table>');
    for (const p of navPages) {
      const main = /<main class="content">([\s\S]*)<\/main>/.exec(html(p.html))![1]!;
      const prose = main.replace(/<pre>[\s\S]*?<\/pre>/g, '').replace(/<code>[\s\S]*?<\/code>/g, '');
      expect(prose, `${p.html}: raw Markdown`).not.toMatch(/^#{1,6} |\]\(|^\|.*\|$|```/m);
      expect(prose, `${p.html}: an unexpanded directive`).not.toMatch(/<!--\s*(include|generate):/);
    }
  });
});
