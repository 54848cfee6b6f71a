/**
 * The static site generator: Markdown pages (content/) → HTML pages (dist/) in one layout.
 *
 * Markdown is rendered by `marked`; this file only adds what a documentation site needs on top:
 * heading ids, `.md` → `.html` links, build-time includes and generated sections, the layout,
 * and a link check that fails the build on any broken internal link or anchor.
 *
 * Directives (HTML comments on a line of their own, so the Markdown still reads well on GitHub):
 *   <!-- include: docs/format-extensions.md shift=1 -->  inline another Markdown file
 *       (path relative to the repository root; shift=N pushes its headings N levels down)
 *   <!-- generate: error-table -->  replaced by the output of a generator (see generators.mjs)
 */
import { existsSync, promises as fs } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';
import { GENERATORS } from './generators.mjs';
import { escapeHtml, slugify, textOf } from './html.mjs';
import { renderLayout } from './layout.mjs';
import { NAV } from './pages.mjs';

export { escapeHtml, slugify, textOf };

export const DOCS_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(DOCS_ROOT, '..', '..');

const INCLUDE_RE = /^<!--\s*include:\s*(\S+?)(?:\s+shift=(\d))?\s*-->[ \t]*$/gm;
const GENERATE_RE = /^<!--\s*generate:\s*([\w-]+)\s*-->[ \t]*$/gm;

export class BuildError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
    super(`docs build failed with ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    this.name = 'BuildError';
    this.problems = problems;
  }
}

/** Pushes every ATX heading outside fenced code down by `shift` levels (at most to h6). */
export function shiftHeadings(markdown, shift) {
  if (!shift) return markdown;
  let fence = null;
  return markdown
    .split('\n')
    .map((line) => {
      const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (f) {
        if (fence === null) fence = f[1][0];
        else if (f[1][0] === fence) fence = null;
        return line;
      }
      if (fence !== null) return line;
      const h = /^(#{1,6})(\s)/.exec(line);
      if (!h) return line;
      return '#'.repeat(Math.min(6, h[1].length + shift)) + line.slice(h[1].length);
    })
    .join('\n');
}

/** True for a link that leaves the site (scheme or protocol-relative). */
function isExternal(href) {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//');
}

/** `guide/store.md` → `guide/store.html`; keeps the query and fragment. */
function mdToHtml(href) {
  return href.replace(/^([^?#]*?)\.md(?=$|[?#])/, '$1.html');
}

/** Output path (posix, relative to dist/) for a content file. */
export function outputPathOf(file) {
  return file.replace(/\.md$/, '.html');
}

/** `../` repeated to climb from an output page to the site root. */
function rootPrefix(outPath) {
  const depth = outPath.split('/').length - 1;
  return depth === 0 ? '' : '../'.repeat(depth);
}

/**
 * Expands include and generate directives. Includes are expanded first (and may not nest),
 * so an included file cannot smuggle in a generator.
 */
async function expandDirectives(markdown, sourcePath, ctx, problems) {
  const includes = [...markdown.matchAll(INCLUDE_RE)];
  let out = markdown;
  for (const m of includes) {
    const target = resolve(ctx.repoRoot, m[1]);
    let text;
    try {
      text = await fs.readFile(target, 'utf8');
    } catch {
      problems.push(`${ctx.label(sourcePath)}: include target ${m[1]} (${target}) does not exist`);
      continue;
    }
    if (INCLUDE_RE.test(text)) problems.push(`${ctx.label(target)}: nested includes are not supported`);
    INCLUDE_RE.lastIndex = 0;
    out = out.replace(m[0], () => shiftHeadings(text, Number(m[2] ?? 0)));
  }
  for (const m of [...out.matchAll(GENERATE_RE)]) {
    const gen = ctx.generators[m[1]];
    if (!gen) {
      problems.push(`${ctx.label(sourcePath)}: unknown generator '${m[1]}'`);
      continue;
    }
    const text = await gen(ctx);
    out = out.replace(m[0], () => text);
  }
  return out;
}

/**
 * Renders one page's Markdown to an HTML fragment, collecting its title, heading ids and
 * table of contents. A fresh Marked instance per page keeps heading-id state per page.
 */
export function renderMarkdown(markdown) {
  const used = new Map();
  const headings = [];
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const text = textOf(inner).trim();
        let id = slugify(text) || 'section';
        const n = used.get(id) ?? 0;
        used.set(id, n + 1);
        if (n > 0) id = `${id}-${n}`;
        headings.push({ depth, id, text, html: inner });
        const anchor =
          depth > 1 ? `<a class="anchor" href="#${id}" aria-label="Link to this section">#</a>` : '';
        return `<h${depth} id="${id}">${inner}${anchor}</h${depth}>\n`;
      },
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        const target = isExternal(href) || href.startsWith('#') ? href : mdToHtml(href);
        const ext = isExternal(href) && !href.startsWith('mailto:') ? ' rel="noopener"' : '';
        const t = title ? ` title="${escapeHtml(title)}"` : '';
        return `<a href="${escapeHtml(target)}"${t}${ext}>${text}</a>`;
      },
    },
  });
  const html = /** @type {string} */ (marked.parse(markdown, { async: false }))
    // Wide tables scroll inside their own box instead of stretching the page. (Code blocks
    // cannot contain a literal <table>: marked escapes them.)
    .replace(/<table>/g, '<div class="table-wrap"><table>')
    .replace(/<\/table>/g, '</table></div>');
  const h1 = headings.filter((h) => h.depth === 1);
  return { html, headings, title: h1[0]?.text, h1Count: h1.length };
}

/** Every `id="…"` in an HTML string. */
function idsIn(html) {
  return new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]));
}

/** Every href/src in an HTML string, entity-decoded. */
function linksIn(html) {
  return [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => textOf(m[1]));
}

/**
 * Checks every internal link of every page: the target file must be a page or asset the
 * build wrote, and a fragment must be an id on the target page.
 */
export function checkLinks(pages, assets) {
  const problems = [];
  const byPath = new Map(pages.map((p) => [p.outPath, p]));
  for (const page of pages) {
    for (const href of linksIn(page.fullHtml)) {
      if (isExternal(href)) continue;
      if (href === '') {
        problems.push(`${page.file}: empty link`);
        continue;
      }
      if (href.startsWith('/')) {
        problems.push(
          `${page.file}: link ${href} is absolute; use a relative link so the site works from any folder`,
        );
        continue;
      }
      const [pathPart, fragment] = href.split('#', 2);
      const cleanPath = pathPart.split('?')[0];
      const targetPath =
        cleanPath === '' ? page.outPath : posix.normalize(posix.join(posix.dirname(page.outPath), cleanPath));
      if (targetPath.startsWith('..')) {
        problems.push(`${page.file}: link ${href} points outside the site`);
        continue;
      }
      if (/\.md$/.test(targetPath)) {
        problems.push(`${page.file}: link ${href} points at a Markdown file`);
        continue;
      }
      const target = byPath.get(targetPath);
      if (!target) {
        if (!assets.has(targetPath))
          problems.push(`${page.file}: broken link ${href} (no page or asset ${targetPath})`);
        else if (fragment) problems.push(`${page.file}: link ${href} has a fragment into a non-page asset`);
        continue;
      }
      if (fragment !== undefined && fragment !== '' && !target.ids.has(decodeURIComponent(fragment))) {
        problems.push(`${page.file}: broken anchor ${href} (no id "${fragment}" in ${targetPath})`);
      }
    }
  }
  return problems;
}

async function listMarkdown(dir, base = dir) {
  const out = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listMarkdown(p, base)));
    else if (entry.name.endsWith('.md')) out.push(relative(base, p).split(sep).join('/'));
  }
  return out.sort();
}

/**
 * Builds the site. Options exist for tests (a temporary content folder, a different
 * navigation); the defaults build content/ into dist/.
 *
 * @param {{ contentDir?: string, outDir?: string, nav?: typeof NAV, repoRoot?: string,
 *           generators?: Record<string, (ctx: object) => Promise<string>> }} [options]
 * @returns {Promise<{ outDir: string, pages: { file: string, outPath: string, title: string }[] }>}
 */
export async function buildSite(options = {}) {
  const contentDir = resolve(options.contentDir ?? join(DOCS_ROOT, 'content'));
  const outDir = resolve(options.outDir ?? join(DOCS_ROOT, 'dist'));
  const nav = options.nav ?? NAV;
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const ctx = {
    repoRoot,
    contentDir,
    generators: { ...GENERATORS, ...(options.generators ?? {}) },
    /** How messages name a file: relative to content/ when it is in there, else to the repository. */
    label: (p) => {
      const inContent = relative(contentDir, p);
      const rel = inContent.startsWith('..') ? relative(repoRoot, p) : inContent;
      return rel.split(sep).join('/');
    },
  };
  const problems = [];

  const listed = nav.flatMap((g) => g.pages.map((p) => ({ ...p, group: g.group })));
  const seen = new Set();
  for (const p of listed) {
    if (seen.has(p.file)) problems.push(`navigation lists ${p.file} twice`);
    seen.add(p.file);
    if (!existsSync(join(contentDir, p.file)))
      problems.push(`missing page: ${p.file} is in the navigation but content/${p.file} does not exist`);
  }
  if (!seen.has('index.md')) problems.push('the navigation has no index.md (the site needs a home page)');
  for (const file of await listMarkdown(contentDir)) {
    if (!seen.has(file)) problems.push(`content/${file} is not in the navigation (add it to src/pages.mjs)`);
  }
  if (problems.length > 0) throw new BuildError(problems);

  const pages = [];
  for (const entry of listed) {
    const sourcePath = join(contentDir, entry.file);
    const source = await fs.readFile(sourcePath, 'utf8');
    const markdown = await expandDirectives(source, sourcePath, ctx, problems);
    const { html, headings, title, h1Count } = renderMarkdown(markdown);
    if (h1Count !== 1)
      problems.push(`${entry.file}: a page needs exactly one top-level heading, found ${h1Count}`);
    pages.push({ ...entry, outPath: outputPathOf(entry.file), html, headings, title: title ?? entry.label });
  }

  const assets = new Set(['style.css']);
  for (const [i, page] of pages.entries()) {
    page.fullHtml = renderLayout({
      page,
      nav,
      pages,
      prev: pages[i - 1],
      next: pages[i + 1],
      root: rootPrefix(page.outPath),
      outputPathOf,
    });
    page.ids = idsIn(page.fullHtml);
  }
  problems.push(...checkLinks(pages, assets));
  if (problems.length > 0) throw new BuildError(problems);

  await fs.rm(outDir, { recursive: true, force: true });
  await fs.mkdir(outDir, { recursive: true });
  await fs.copyFile(join(DOCS_ROOT, 'src', 'style.css'), join(outDir, 'style.css'));
  for (const page of pages) {
    const target = join(outDir, ...page.outPath.split('/'));
    await fs.mkdir(dirname(target), { recursive: true });
    await fs.writeFile(target, page.fullHtml);
  }
  return { outDir, pages: pages.map((p) => ({ file: p.file, outPath: p.outPath, title: p.title })) };
}
