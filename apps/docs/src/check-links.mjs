/**
 * A check of the built site: every internal link (href/src) resolves to a file of the output,
 * and every #fragment to an id on the target page. VitePress checks links to pages while it
 * builds; anchors it does not check, and this catches both.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** Every file under `dir`, as posix paths relative to it. */
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

const decode = (s) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

/** The page a site path names: /guide/store → guide/store.html, /api/ → api/index.html. */
export function resolveSitePath(files, path) {
  const p = path.replace(/^\//, '');
  const candidates = p === '' || p.endsWith('/') ? [`${p}index.html`] : [p, `${p}.html`, `${p}/index.html`];
  return candidates.find((c) => files.has(c));
}

/**
 * Problems with the links of the HTML pages under `outDir` (an empty list when all resolve).
 * `base` is the site's base path; links outside it, and external links, are not checked.
 */
export function checkSiteLinks(outDir, base = '/') {
  const files = new Set(listFiles(outDir));
  const pages = [...files].filter((f) => f.endsWith('.html'));
  const ids = new Map();
  const idsOf = (page) => {
    if (!ids.has(page)) {
      const html = readFileSync(join(outDir, page), 'utf8');
      ids.set(page, new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => decode(m[1]))));
    }
    return ids.get(page);
  };
  const problems = [];
  let checked = 0;
  for (const page of pages) {
    const html = readFileSync(join(outDir, page), 'utf8');
    // Links in the page body only: the search box and theme scripts build their own at run time.
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const href = decode(m[1]);
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue;
      const [pathPart, fragment] = href.split('#');
      let target;
      if (pathPart === '') target = page;
      else {
        const abs = pathPart.startsWith('/') ? pathPart : posix.join('/', posix.dirname(page), pathPart);
        if (!abs.startsWith(base)) continue;
        target = resolveSitePath(files, `/${abs.slice(base.length)}`.replace(/^\/\//, '/'));
      }
      checked++;
      if (!target) {
        problems.push(`${page}: broken link ${href}`);
        continue;
      }
      if (fragment && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(fragment))) {
        problems.push(`${page}: broken anchor ${href} (no id "${fragment}" in ${target})`);
      }
    }
  }
  return { problems, checked, pages: pages.length };
}

export const siteHasFile = (outDir, file) => existsSync(join(outDir, file));
