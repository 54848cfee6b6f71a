/**
 * GitHub-style heading slugs: lower case, punctuation dropped, spaces to hyphens. The site
 * uses them (not VitePress's default) so that anchors read the same on GitHub and on the site,
 * and the links the pages already make (format.md#0x40-rvfjs_metadata) keep working.
 */
export function slugify(text) {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
