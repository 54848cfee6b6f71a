/**
 * The site in a real browser: Debian's Chromium, headless, driven by playwright-core, against
 * the built site served on 127.0.0.1. Every page loads without a console error or a failed
 * request, search finds known terms, links resolve, and screenshots of the home, API and
 * benchmark pages are written to test-artifacts/ for a person to look at.
 *
 * Chromium is required, not optional: without it this file fails (install it with
 * `apt-get install -y chromium`, or point CHROMIUM_PATH at another build).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listFiles } from '../src/check-links.mjs';
import { serveSite } from '../src/static-server.mjs';
import { DOCS_DIR, read, text } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(DOCS_DIR, 'test-artifacts');
const { outDir } = inject('site');

let browser: Browser;
let site: { url: string; close: () => Promise<void> };

const MISSING = `Chromium is not installed at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;

// Without Chromium every test below fails with MISSING (a failed hook would mark them skipped).
beforeAll(async () => {
  site = await serveSite(outDir);
  if (existsSync(CHROMIUM))
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/** A page that records console errors, uncaught exceptions and failed requests. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  if (!browser) throw new Error(MISSING);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  // Prefetches of linked pages are cancelled when the test moves on: that is not a failure.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      problems.push(`failed ${r.url()}: ${r.failure()?.errorText}`);
  });
  return { page, problems };
}

const pages = listFiles(outDir).filter((f: string) => f.endsWith('.html') && f !== '404.html');
/** Every internal href seen on a rendered page (theme navigation included), without its #fragment. */
const seenLinks = new Set<string>();
const urlOf = (file: string) => `/${file}`.replace(/(^|\/)index\.html$/, '$1');
/** The h1 the build rendered into a page's HTML, as text. */
const staticH1 = (file: string) => {
  const m = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(read(join(outDir, file)));
  return m
    ? text(m[1]!)
        .replace(/\u200b/g, '')
        .trim()
    : undefined;
};

/** Waits until Vue has mounted the app over the static HTML (a hydration mismatch is reported before). */
const hydrated = (page: Page) =>
  page.waitForFunction(
    () => Boolean((document.querySelector('#app') as { __vue_app__?: unknown } | null)?.__vue_app__),
    null,
    { timeout: 30_000 },
  );

describe('the site in Chromium', () => {
  it('has Chromium to drive', () => {
    expect(existsSync(CHROMIUM), MISSING).toBe(true);
  });

  it('opens every hand-written page and every package page directly: it hydrates with no error or failed request', async () => {
    const direct = pages.filter(
      (f: string) => !f.startsWith('api/') || /^api\/[^/]+\/index\.html$|^api\/index\.html$/.test(f),
    );
    expect(direct.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const { page, problems } = await watchedPage();
    for (const file of direct) {
      problems.length = 0;
      await page.goto(`${site.url}${urlOf(file)}`, { waitUntil: 'load' });
      await hydrated(page);
      if ((await page.textContent('.vp-doc h1'))?.replace(/\u200b/g, '').trim() !== staticH1(file)) {
        failures.push(`${file}: the heading is not the one the build wrote`);
      }
      for (const p of problems) failures.push(`${file}: ${p}`);
    }
    await page.close();
    expect(failures).toEqual([]);
  });

  it('renders every page of the site, each reached by the client-side router, with no error', async () => {
    expect(pages.length).toBeGreaterThan(300);
    const { page, problems } = await watchedPage();
    await page.goto(`${site.url}/`, { waitUntil: 'load' });
    await hydrated(page);
    const failures: string[] = [];
    for (const file of pages) {
      problems.length = 0;
      const want = staticH1(file);
      // A click on an ordinary link, as a reader's: the theme routes it without reloading.
      await page.evaluate((href) => {
        const a = document.createElement('a');
        a.href = href;
        document.body.appendChild(a);
        a.click();
        a.remove();
      }, urlOf(file));
      try {
        await page.waitForFunction(
          (h1) =>
            document
              .querySelector('.vp-doc h1')
              ?.textContent?.replace(/\u200b/g, '')
              .trim() === h1,
          want,
          { timeout: 15_000 },
        );
      } catch {
        failures.push(`${file}: did not render its heading "${want}"`);
      }
      for (const href of await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''))) {
        if (href.startsWith('/')) seenLinks.add(href.split('#')[0]!);
      }
      for (const p of problems) failures.push(`${file}: ${p}`);
    }
    await page.close();
    expect(failures).toEqual([]);
  });

  it('resolves every internal link the rendered pages show (the theme navigation included)', async () => {
    expect(seenLinks.size).toBeGreaterThan(300);
    const broken: string[] = [];
    for (const href of seenLinks) {
      const res = await fetch(`${site.url}${href}`);
      if (res.status !== 200) broken.push(`${href}: ${res.status}`);
    }
    expect(broken).toEqual([]);
  });

  it('finds known terms with the local search, and a result opens its page', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${site.url}/`, { waitUntil: 'load' });
    const search = async (term: string) => {
      await page.click('button.DocSearch-Button');
      await page.fill('input.search-input', term);
      await page.waitForSelector('ul.results li a', { timeout: 15_000 });
      return page.$$eval('ul.results li a', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    };
    expect(await search('SnapshotFrozen')).toContain('/errors.html#0x07xx-copy-on-write');
    await page.keyboard.press('Escape');
    const hits = await search('membershipFilter');
    expect(hits).toContain('/api/runtime/classes/RvfStore.html#membershipfilter');
    await page.click('ul.results li a[href="/api/runtime/classes/RvfStore.html#membershipfilter"]');
    await page.waitForURL(/RvfStore\.html#membershipfilter$/);
    await page.waitForFunction(() => document.querySelector('.vp-doc h1')?.textContent?.includes('RvfStore'));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('navigates with the sidebar without a reload', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${site.url}/`, { waitUntil: 'load' });
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await page.click('.VPSidebar a[href="/guide/branches.html"]');
    await page.waitForURL(/\/guide\/branches\.html$/);
    await page.waitForFunction(() => document.querySelector('.vp-doc h1')?.textContent?.includes('Branches'));
    // The same document: the theme routed on the client.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('writes screenshots of the home, API and benchmark pages', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const { page, problems } = await watchedPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    for (const [name, path] of [
      ['home', '/'],
      ['api', '/api/'],
      ['api-rvfstore', '/api/runtime/classes/RvfStore.html'],
      ['benchmarks', '/benchmarks.html'],
    ] as const) {
      await page.goto(`${site.url}${path}`, { waitUntil: 'networkidle' });
      const file = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size, file).toBeGreaterThan(20_000);
    }
    // The charts are pictures that loaded, not broken images.
    const images = await page.$$eval('.vp-doc img', (imgs) =>
      imgs.map((i) => ({ src: i.getAttribute('src'), width: (i as HTMLImageElement).naturalWidth })),
    );
    expect(images.length).toBeGreaterThanOrEqual(6);
    for (const i of images) expect(i.width, i.src ?? '').toBeGreaterThan(300);
    expect(problems).toEqual([]);
    await page.close();
  });
});
