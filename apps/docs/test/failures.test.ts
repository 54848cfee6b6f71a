/**
 * The build refuses to publish a broken site: each kind of mistake makes `node build.mjs`
 * exit non-zero, name the problem, and write nothing.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyContent, runBuild, tempDir } from './helpers.js';

const work = tempDir();
afterAll(() => work.cleanup());
let n = 0;

/** A fresh copy of the content, changed by `mutate`, built; returns the result. */
function buildBroken(mutate: (content: string) => void) {
  const dir = join(work.dir, `case${n++}`);
  const content = copyContent(dir);
  mutate(content);
  const out = join(dir, 'dist');
  const r = runBuild(['--content', content, '--out', out]);
  return { ...r, wrote: existsSync(out) };
}

const append = (file: string, text: string) => writeFileSync(file, readFileSync(file, 'utf8') + text);

describe('the build fails, writing nothing,', () => {
  it('on a link to a page that does not exist', () => {
    const r = buildBroken((c) => append(join(c, 'guide', 'store.md'), '\nSee [nowhere](nowhere.md).\n'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'guide/store.md: broken link nowhere.html (no page or asset guide/nowhere.html)',
    );
    expect(r.wrote).toBe(false);
  });

  it('on a link to an anchor that does not exist, on the same page or another', () => {
    const r = buildBroken((c) => {
      append(
        join(c, 'index.md'),
        '\nSee [here](#no-such-section) and [there](guide/filters.md#no-such-op).\n',
      );
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'index.md: broken anchor #no-such-section (no id "no-such-section" in index.html)',
    );
    expect(r.stderr).toContain(
      'index.md: broken anchor guide/filters.html#no-such-op (no id "no-such-op" in guide/filters.html)',
    );
    expect(r.wrote).toBe(false);
  });

  it('on a page in the navigation whose file is missing', () => {
    const r = buildBroken((c) => rmSync(join(c, 'cli.md')));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing page: cli.md is in the navigation but content/cli.md does not exist');
    expect(r.wrote).toBe(false);
  });

  it('on a content file that is not in the navigation', () => {
    const r = buildBroken((c) => writeFileSync(join(c, 'guide', 'orphan.md'), '# Orphan\n'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('content/guide/orphan.md is not in the navigation');
  });

  it('on an absolute link, which would break when the site is served from a folder', () => {
    const r = buildBroken((c) => append(join(c, 'errors.md'), '\n[home](/index.html)\n'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('errors.md: link /index.html is absolute');
  });

  it('on a missing include target or an unknown generator', () => {
    const r = buildBroken((c) => {
      append(join(c, 'format.md'), '\n<!-- include: nope.md -->\n');
      append(join(c, 'errors.md'), '\n<!-- generate: no-such-table -->\n');
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/format\.md: include target nope\.md .* does not exist/);
    expect(r.stderr).toMatch(/errors\.md: unknown generator 'no-such-table'/);
  });

  it('on a page without exactly one top-level heading', () => {
    const r = buildBroken((c) => append(join(c, 'server.md'), '\n# A second title\n'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('server.md: a page needs exactly one top-level heading, found 2');
  });

  it('and the unchanged content builds (the cases above fail for their own reason only)', () => {
    const r = buildBroken(() => undefined);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.wrote).toBe(true);
  });
});
