#!/usr/bin/env node
// Builds the documentation site with VitePress:
//   1. stage content/*.md into the source folder, expanding include/generate directives
//      (generated tables, CLI and HTTP references, example programs, benchmark charts);
//   2. write the API reference from the packages' TSDoc (TypeDoc + typedoc-plugin-markdown);
//   3. vitepress build; then check every internal link and anchor of the output.
// Exits non-zero, naming each problem, when any step fails.
//
//   node build.mjs [--out <dir>] [--src <dir>] [--content <dir>] [--stage-only]
//   (--stage-only: steps 1 and 2, for `vitepress dev`, which serves site-src/ with live reload)
//   (defaults: dist/, site-src/, content/; the source folder must be inside this package, where
//   the staged pages resolve vue and vitepress)
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeApiReference } from './src/api-reference.mjs';
import { BuildError } from './src/build-error.mjs';
import { checkSiteLinks } from './src/check-links.mjs';
import { GENERATORS } from './src/generators.mjs';
import { CONTENT_DIR, DEFAULT_OUT_DIR, DEFAULT_SRC_DIR, DOCS_ROOT, REPO_ROOT } from './src/paths.mjs';
import { stageContent } from './src/stage.mjs';

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      src: { type: 'string' },
      content: { type: 'string' },
      'stage-only': { type: 'boolean' },
    },
    strict: true,
  });
  const outDir = resolve(values.out ?? DEFAULT_OUT_DIR);
  const srcDir = resolve(values.src ?? DEFAULT_SRC_DIR);
  const contentDir = resolve(values.content ?? CONTENT_DIR);
  const t0 = performance.now();
  const pages = await stageContent({ contentDir, srcDir, repoRoot: REPO_ROOT, generators: GENERATORS });
  console.log(`docs: staged ${pages.length} pages into ${relative(process.cwd(), srcDir) || '.'}`);
  await writeApiReference({ repoRoot: REPO_ROOT, srcDir });
  console.log('docs: wrote the API reference');
  if (values['stage-only']) process.exit(0);
  // The config reads the source folder from the environment (it is evaluated by VitePress).
  process.env.RVF_DOCS_SRC = srcDir;
  const { build } = await import('vitepress');
  await build(DOCS_ROOT, { outDir });
  const { problems, checked, pages: built } = checkSiteLinks(outDir, process.env.RVF_DOCS_BASE || '/');
  if (problems.length) throw new BuildError(problems);
  console.log(
    `docs: wrote ${built} pages to ${relative(process.cwd(), outDir) || '.'}, ${checked} internal links checked, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
} catch (e) {
  console.error(e instanceof BuildError ? e.message : e);
  process.exitCode = 1;
}
