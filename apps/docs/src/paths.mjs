/** Where things are: this package, the repository, and the folders the build reads and writes. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCS_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(DOCS_ROOT, '..', '..');
/** Hand-written pages. */
export const CONTENT_DIR = join(DOCS_ROOT, 'content');
/** The Markdown VitePress reads: content/ with directives expanded, plus generated pages. */
export const DEFAULT_SRC_DIR = join(DOCS_ROOT, 'site-src');
export const DEFAULT_OUT_DIR = join(DOCS_ROOT, 'dist');
