/**
 * The site map: every page, in sidebar order. A content file that is not listed here, or a
 * listed page whose file is missing, fails the build.
 *
 * `file` is relative to content/ and decides the output path (guide/store.md → guide/store.html).
 */
export const NAV = [
  {
    group: 'Start',
    pages: [{ file: 'index.md', label: 'Overview' }],
  },
  {
    group: 'Guide',
    pages: [
      { file: 'guide/store.md', label: 'Stores' },
      { file: 'guide/filters.md', label: 'Metadata and filters' },
      { file: 'guide/branches.md', label: 'Branches' },
      { file: 'guide/durability.md', label: 'Durability' },
      { file: 'guide/witness.md', label: 'Witness chains' },
      { file: 'guide/compatibility.md', label: 'Compatibility' },
    ],
  },
  {
    group: 'Reference',
    pages: [
      { file: 'cli.md', label: 'CLI (rvf)' },
      { file: 'server.md', label: 'HTTP server' },
      { file: 'format.md', label: 'File format' },
      { file: 'errors.md', label: 'Error codes' },
    ],
  },
];
