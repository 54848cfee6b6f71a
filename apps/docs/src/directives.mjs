/**
 * Build-time directives in the Markdown pages: HTML comments on a line of their own, so the
 * source still reads well on GitHub.
 *
 *   <!-- include: docs/format-extensions.md shift=1 -->  inline another Markdown file
 *       (path relative to the repository root; shift=N pushes its headings N levels down)
 *   <!-- generate: error-table -->  replaced by the Markdown a generator returns (generators.mjs)
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';

const INCLUDE_RE = /^<!--\s*include:\s*(\S+?)(?:\s+shift=(\d))?\s*-->[ \t]*$/gm;
const GENERATE_RE = /^<!--\s*generate:\s*([\w-]+)\s*-->[ \t]*$/gm;

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

/**
 * Expands include and generate directives. Includes are expanded first and may not nest, so an
 * included file cannot smuggle in a generator. Problems are pushed to `problems`, labelled with
 * `label` (the page's path), and the directive is left as it was.
 */
export async function expandDirectives(markdown, { label, repoRoot, generators, context }, problems) {
  let out = markdown;
  for (const m of [...markdown.matchAll(INCLUDE_RE)]) {
    const target = resolve(repoRoot, m[1]);
    let text;
    try {
      text = await fs.readFile(target, 'utf8');
    } catch {
      problems.push(`${label}: include target ${m[1]} (${target}) does not exist`);
      continue;
    }
    if (new RegExp(INCLUDE_RE.source, 'm').test(text)) {
      problems.push(`${m[1]}: nested includes are not supported`);
    }
    out = out.replace(m[0], () => shiftHeadings(text, Number(m[2] ?? 0)));
  }
  for (const m of [...out.matchAll(GENERATE_RE)]) {
    const generate = generators[m[1]];
    if (!generate) {
      problems.push(`${label}: unknown generator '${m[1]}'`);
      continue;
    }
    const text = await generate(context);
    out = out.replace(m[0], () => text);
  }
  return out;
}
