/**
 * The build refuses broken content before VitePress runs: each kind of mistake is named, with
 * the page it is on. And the output check catches links and anchors that lead nowhere.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSiteLinks } from '../src/check-links.mjs';
import { shiftHeadings } from '../src/directives.mjs';
import { GENERATORS } from '../src/generators.mjs';
import { stageContent, topLevelHeadings } from '../src/stage.mjs';
import { CONTENT_DIR, REPO_DIR, tempDir } from './helpers.js';

const work = tempDir();
afterAll(() => work.cleanup());
let n = 0;

const append = (file: string, more: string) => writeFileSync(file, readFileSync(file, 'utf8') + more);

/** A copy of content/, changed by `mutate`, staged; resolves to the problems it reports. */
async function problemsOf(mutate: (content: string) => void): Promise<string[]> {
  const dir = join(work.dir, `case${n++}`);
  const content = join(dir, 'content');
  cpSync(CONTENT_DIR, content, { recursive: true });
  mutate(content);
  try {
    await stageContent({
      contentDir: content,
      srcDir: join(dir, 'src'),
      repoRoot: REPO_DIR,
      generators: GENERATORS,
    });
    return [];
  } catch (e) {
    return (e as { problems?: string[] }).problems ?? [String(e)];
  }
}

describe('staging the content', () => {
  it('names a page in the navigation whose file is missing', async () => {
    expect(await problemsOf((c) => rmSync(join(c, 'cli.md')))).toContain(
      'missing page: cli.md is in the navigation but content/cli.md does not exist',
    );
  });

  it('names a content file that is not in the navigation', async () => {
    expect(await problemsOf((c) => writeFileSync(join(c, 'guide', 'orphan.md'), '# Orphan\n'))).toContain(
      'content/guide/orphan.md is not in the navigation',
    );
  });

  it('names a missing include target and an unknown generator', async () => {
    const problems = await problemsOf((c) => {
      append(join(c, 'format.md'), '\n<!-- include: nope.md -->\n');
      append(join(c, 'errors.md'), '\n<!-- generate: no-such-table -->\n');
    });
    expect(problems.join('\n')).toMatch(/format\.md: include target nope\.md .* does not exist/);
    expect(problems).toContain("errors.md: unknown generator 'no-such-table'");
  });

  it('names a page without exactly one top-level heading', async () => {
    expect(await problemsOf((c) => append(join(c, 'server.md'), '\n# A second title\n'))).toContain(
      'server.md: a page needs exactly one top-level heading, found 2',
    );
  });

  it('stages the unchanged content without a problem (the cases above fail for their own reason)', async () => {
    expect(await problemsOf(() => undefined)).toEqual([]);
  });
});

describe('directive helpers', () => {
  it('shiftHeadings moves headings down, not lines inside fenced code, and stops at h6', () => {
    const src = '# A\n\n```sh\n# a comment\n```\n\n###### F\ntext # not a heading\n';
    expect(shiftHeadings(src, 1)).toBe('## A\n\n```sh\n# a comment\n```\n\n###### F\ntext # not a heading\n');
    expect(shiftHeadings(src, 0)).toBe(src);
  });

  it('topLevelHeadings ignores shell comments in code', () => {
    expect(topLevelHeadings('# T\n\n```sh\n# comment\n```\n')).toBe(1);
  });
});

describe('the output link check', () => {
  function site(pages: Record<string, string>) {
    const dir = join(work.dir, `site${n++}`);
    for (const [file, html] of Object.entries(pages)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), html);
    }
    return dir;
  }

  it('accepts links to pages (with or without .html), folders, assets and ids', () => {
    const dir = site({
      'index.html':
        '<h1 id="top"></h1><a href="/guide/a.html#x"></a><a href="/guide/a"></a><a href="/api/"></a><img src="/bench/c.svg"><a href="#top"></a><a href="https://x.org/"></a>',
      'guide/a.html': '<h2 id="x"></h2><a href="../index.html"></a>',
      'api/index.html': '',
      'bench/c.svg': '<svg/>',
    });
    expect(checkSiteLinks(dir)).toMatchObject({ problems: [], checked: 6 });
  });

  it('reports a missing page and a missing anchor', () => {
    const dir = site({ 'index.html': '<a href="/nowhere.html"></a><a href="/index.html#nope"></a>' });
    expect(checkSiteLinks(dir).problems).toEqual([
      'index.html: broken link /nowhere.html',
      'index.html: broken anchor /index.html#nope (no id "nope" in index.html)',
    ]);
  });
});
