/**
 * The site map: every hand-written page, in sidebar order. A content file that is not listed
 * here, or a listed page whose file is missing, fails the build. The API reference is not
 * listed: TypeDoc writes those pages and their sidebar (see api-reference.mjs).
 *
 * `file` is relative to content/ and decides the URL (guide/store.md → /guide/store.html).
 */
export const NAV = [
  {
    group: 'Start',
    pages: [
      { file: 'index.md', label: 'Overview' },
      { file: 'install.md', label: 'Install' },
    ],
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
      { file: 'guide/object-storage.md', label: 'Object storage' },
      { file: 'guide/architecture.md', label: 'Architecture' },
    ],
  },
  {
    group: 'Examples',
    pages: [
      { file: 'examples/cow-branching.md', label: 'Copy-on-write branching' },
      { file: 'examples/serverless-cold-start.md', label: 'Serverless cold start' },
      { file: 'examples/namespaces.md', label: 'Namespaces: branch, copy, export' },
    ],
  },
  {
    group: 'Reference',
    pages: [
      { file: 'cli.md', label: 'CLI (rvf)' },
      { file: 'reference/cli-commands.md', label: 'CLI commands' },
      { file: 'server.md', label: 'HTTP server' },
      { file: 'reference/http-api.md', label: 'HTTP API' },
      { file: 'format.md', label: 'File format' },
      { file: 'errors.md', label: 'Error codes' },
    ],
  },
  {
    group: 'Measured',
    pages: [{ file: 'benchmarks.md', label: 'Benchmarks' }],
  },
];

/** Every page of the navigation, in order. */
export const NAV_PAGES = NAV.flatMap((g) => g.pages);
