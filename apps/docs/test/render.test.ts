/** The generator's own pieces, on small inputs. */
import { describe, expect, it } from 'vitest';
import { checkLinks, renderMarkdown, shiftHeadings, slugify } from '../src/site.mjs';

describe('slugify (GitHub-style heading ids)', () => {
  it.each([
    ['Opening a store', 'opening-a-store'],
    ['0x42 RVFJS_HNSW_GRAPH', '0x42-rvfjs_hnsw_graph'],
    ['Moving a parent: re-linking', 'moving-a-parent-re-linking'],
    ['Export, import and copies', 'export-import-and-copies'],
    ['CLI (`rvf`)', 'cli-rvf'],
  ])('%s → %s', (title, slug) => expect(slugify(title)).toBe(slug));
});

describe('renderMarkdown', () => {
  it('gives headings ids (deduplicated), anchors below h1, and collects the title', () => {
    const r = renderMarkdown('# Title\n\n## Part\n\n## Part\n\n### `code` heading\n');
    expect(r.title).toBe('Title');
    expect(r.h1Count).toBe(1);
    expect(r.headings.map((h: { id: string }) => h.id)).toEqual(['title', 'part', 'part-1', 'code-heading']);
    expect(r.html).toContain('<h2 id="part-1">Part<a class="anchor" href="#part-1"');
    expect(r.html).toContain('<h1 id="title">Title</h1>');
  });

  it('turns links to .md pages into .html and leaves external links and fragments alone', () => {
    const r = renderMarkdown(
      '# T\n\n[a](guide/store.md) [b](../format.md#0x40-rvfjs_metadata) [c](#t) [d](https://example.org/x.md)\n',
    );
    expect(r.html).toContain('href="guide/store.html"');
    expect(r.html).toContain('href="../format.html#0x40-rvfjs_metadata"');
    expect(r.html).toContain('href="#t"');
    expect(r.html).toContain('href="https://example.org/x.md" rel="noopener"');
  });

  it('wraps tables so they scroll, and escapes code', () => {
    const r = renderMarkdown('# T\n\n| a | b |\n|---|---|\n| `<x>` | 2 |\n\n```js\nif (a < b) f();\n```\n');
    expect(r.html).toContain('<div class="table-wrap"><table>');
    expect(r.html).toContain('</table></div>');
    expect(r.html).toContain('<code>&lt;x&gt;</code>');
    expect(r.html).toContain('if (a &lt; b) f();');
  });
});

describe('shiftHeadings', () => {
  it('moves headings down, but not lines inside fenced code, and stops at h6', () => {
    const src = '# A\n\n```sh\n# a comment\n```\n\n###### F\ntext # not a heading\n';
    expect(shiftHeadings(src, 1)).toBe('## A\n\n```sh\n# a comment\n```\n\n###### F\ntext # not a heading\n');
    expect(shiftHeadings(src, 0)).toBe(src);
  });
});

describe('checkLinks', () => {
  const page = (file: string, outPath: string, fullHtml: string) => ({
    file,
    outPath,
    fullHtml,
    ids: new Set([...fullHtml.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1])),
  });
  it('accepts relative links to pages, assets and ids; reports everything else', () => {
    const a = page(
      'a.md',
      'a.html',
      '<h1 id="top"></h1><a href="g/b.html#x"></a><a href="style.css"></a><a href="#top"></a>',
    );
    const b = page(
      'g/b.md',
      'g/b.html',
      '<h2 id="x"></h2><a href="../a.html"></a><a href="https://x.org/"></a>',
    );
    expect(checkLinks([a, b], new Set(['style.css']))).toEqual([]);
    const bad = page(
      'c.md',
      'c.html',
      '<a href="a.html#nope"></a><a href="missing.html"></a><a href="/a.html"></a><a href="../../up.html"></a><a href=""></a>',
    );
    const problems = checkLinks([a, b, bad], new Set(['style.css']));
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/broken anchor a\.html#nope/);
    expect(problems.join('\n')).toMatch(/broken link missing\.html/);
    expect(problems.join('\n')).toMatch(/is absolute/);
    expect(problems.join('\n')).toMatch(/outside the site/);
    expect(problems.join('\n')).toMatch(/empty link/);
  });
});
