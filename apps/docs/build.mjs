#!/usr/bin/env node
// Builds the documentation site: content/*.md → dist/*.html. Exits non-zero on any missing
// page, broken internal link or anchor, or failed include/generator. See src/site.mjs.
//
//   node build.mjs [--content <dir>] [--out <dir>]   (defaults: content/, dist/)
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError, buildSite } from './src/site.mjs';

try {
  const { values } = parseArgs({
    options: { content: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const { outDir, pages } = await buildSite({
    ...(values.content ? { contentDir: values.content } : {}),
    ...(values.out ? { outDir: values.out } : {}),
  });
  console.log(`docs: wrote ${pages.length} pages to ${relative(process.cwd(), outDir) || '.'}`);
  for (const p of pages) console.log(`  ${p.outPath.padEnd(28)} ${p.title}`);
} catch (e) {
  console.error(e instanceof BuildError ? e.message : e);
  process.exitCode = 1;
}
