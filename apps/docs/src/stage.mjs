/**
 * Stages the hand-written pages for VitePress: content/**.md → srcDir/**.md with every
 * directive expanded. The navigation and the folder must agree: a listed page without a file,
 * or a file nobody lists, is a problem, as is a failed include or an unknown generator.
 */
import { existsSync, promises as fs } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { BuildError } from './build-error.mjs';
import { expandDirectives } from './directives.mjs';
import { NAV_PAGES } from './pages.mjs';

async function markdownFiles(dir) {
  const out = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await markdownFiles(p)));
    else if (entry.name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** How many `# ` headings a page has outside fenced code (shell comments in code are not headings). */
export function topLevelHeadings(markdown) {
  let fence = null;
  let count = 0;
  for (const line of markdown.split('\n')) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
    } else if (fence === null && /^# /.test(line)) count++;
  }
  return count;
}

/**
 * Writes the staged pages into `srcDir` (which must not hold hand-written files: it is
 * emptied first). Throws a BuildError listing every problem found.
 */
export async function stageContent({ contentDir, srcDir, repoRoot, generators, nav = NAV_PAGES }) {
  const problems = [];
  const files = (await markdownFiles(contentDir)).map((p) => relative(contentDir, p).split(sep).join('/'));
  const listed = new Set(nav.map((p) => p.file));
  for (const p of nav) {
    if (!existsSync(join(contentDir, p.file))) {
      problems.push(`missing page: ${p.file} is in the navigation but content/${p.file} does not exist`);
    }
  }
  for (const f of files) if (!listed.has(f)) problems.push(`content/${f} is not in the navigation`);

  await fs.rm(srcDir, { recursive: true, force: true });
  await fs.mkdir(srcDir, { recursive: true });
  const context = { repoRoot, srcDir };
  const staged = [];
  for (const file of files.filter((f) => listed.has(f))) {
    const source = await fs.readFile(join(contentDir, file), 'utf8');
    const h1 = topLevelHeadings(source);
    if (h1 !== 1) problems.push(`${file}: a page needs exactly one top-level heading, found ${h1}`);
    const markdown = await expandDirectives(source, { label: file, repoRoot, generators, context }, problems);
    const target = join(srcDir, file);
    await fs.mkdir(dirname(target), { recursive: true });
    await fs.writeFile(target, markdown);
    staged.push(file);
  }
  if (problems.length) throw new BuildError(problems);
  return staged;
}
