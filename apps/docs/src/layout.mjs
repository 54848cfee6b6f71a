/**
 * The one page layout: top bar, navigation sidebar, the page, an "On this page" list of its
 * sections, and previous / next links. Every link is relative (`root` climbs to the site
 * root), so the site works from file://, a sub-folder, or any static host.
 */
import { escapeHtml } from './html.mjs';

/**
 * @param {{ page: any, nav: any[], pages: any[], prev?: any, next?: any, root: string,
 *           outputPathOf: (file: string) => string }} args
 */
export function renderLayout({ page, nav, pages, prev, next, root, outputPathOf }) {
  const titleOf = (file) => pages.find((p) => p.file === file)?.title ?? file;
  const sidebar = nav
    .map((group) => {
      const items = group.pages
        .map((p) => {
          const current = p.file === page.file;
          const attrs = current ? ' class="current" aria-current="page"' : '';
          return `<li><a href="${root}${outputPathOf(p.file)}"${attrs}>${escapeHtml(p.label)}</a></li>`;
        })
        .join('\n          ');
      return `<div class="nav-group">
        <p class="nav-title">${escapeHtml(group.group)}</p>
        <ul>
          ${items}
        </ul>
      </div>`;
    })
    .join('\n      ');

  const sections = page.headings.filter((h) => h.depth === 2);
  const toc =
    sections.length >= 2
      ? `<aside class="toc" aria-label="On this page">
      <p class="toc-title">On this page</p>
      <ul>
        ${sections.map((h) => `<li><a href="#${h.id}">${h.html}</a></li>`).join('\n        ')}
      </ul>
    </aside>`
      : '';

  const pager = [
    prev
      ? `<a class="prev" href="${root}${outputPathOf(prev.file)}"><span>Previous</span>${escapeHtml(titleOf(prev.file))}</a>`
      : '<span></span>',
    next
      ? `<a class="next" href="${root}${outputPathOf(next.file)}"><span>Next</span>${escapeHtml(titleOf(next.file))}</a>`
      : '<span></span>',
  ].join('\n      ');

  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(page.title)} · rvfjs</title>
  <link rel="stylesheet" href="${root}style.css">
</head>
<body>
  <header class="topbar">
    <a class="brand" href="${root}index.html">rvfjs</a>
    <span class="tagline">RVF vector stores in TypeScript</span>
  </header>
  <div class="layout">
    <nav class="sidebar" aria-label="Documentation">
      ${sidebar}
    </nav>
    <main class="content">
${page.html}
      <nav class="pager" aria-label="Previous and next page">
      ${pager}
      </nav>
    </main>
    ${toc}
  </div>
</body>
</html>
`;
}
