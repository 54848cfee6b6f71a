/**
 * The API reference: TypeDoc reads each published package from its source entry point
 * (src/index.ts) and typedoc-plugin-markdown writes Markdown pages into the site, with a
 * sidebar from typedoc-vitepress-theme. The same conversion answers which exported symbols
 * have no doc comment (see undocumentedSymbols).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Application, ReflectionKind } from 'typedoc';
import { publishedPackages } from './published-packages.mjs';

/**
 * Kinds a reader looks up by name: what a package exports (functions, classes, interfaces,
 * types, variables, enums) and a class's methods and accessors. Interface properties are left
 * out: most are one word of a documented options object.
 */
export const REQUIRED_KINDS = [
  'Enum',
  'Variable',
  'Function',
  'Class',
  'Interface',
  'TypeAlias',
  'Method',
  'Accessor',
];

async function bootstrap(repoRoot, extra) {
  return Application.bootstrapWithPlugins({
    entryPointStrategy: 'packages',
    entryPoints: publishedPackages(repoRoot).map((p) => p.dir),
    packageOptions: {
      entryPoints: ['src/index.ts'],
      readme: 'none',
      excludePrivate: true,
      excludeInternal: true,
      skipErrorChecking: true,
    },
    readme: 'none',
    name: 'API reference',
    // Types are checked by `pnpm typecheck`; here they would only slow the build down.
    skipErrorChecking: true,
    // Source positions are kept (the doc-comment check names files and lines) but never linked:
    // the repository has no public URL to link to.
    disableGit: true,
    sourceLinkTemplate: '{path}#L{line}',
    excludeExternals: true,
    logLevel: 'Error',
    validation: { notExported: false, invalidLink: false, notDocumented: false },
    requiredToBeDocumented: REQUIRED_KINDS,
    ...extra,
  });
}

async function convert(app) {
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert the packages (see the errors above)');
  return project;
}

/**
 * Writes the API pages into `<srcDir>/api/` (index.md, one folder per package, and
 * typedoc-sidebar.json for the VitePress sidebar). Returns the converted project.
 */
export async function writeApiReference({ repoRoot, srcDir }) {
  const app = await bootstrap(repoRoot, {
    plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
    disableSources: true,
    out: `${srcDir}/api`,
    docsRoot: srcDir,
    entryFileName: 'index',
    excludeScopesInPaths: true,
    hidePageHeader: true,
    hideBreadcrumbs: false,
    useCodeBlocks: true,
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    enumMembersFormat: 'table',
    typeDeclarationFormat: 'table',
    sanitizeComments: true,
  });
  const project = await convert(app);
  await app.generateOutputs(project);
  return project;
}

/**
 * The repository path of a source file. A project merged from packages keeps each file's path
 * relative to a base TypeDoc chose per package (its src/, packages/ or the repository), so the
 * candidates are tried in turn.
 */
function sourceFile(repoRoot, packageDir, fileName) {
  const candidates = [
    packageDir && join(packageDir, 'src', fileName),
    packageDir && join(packageDir, fileName),
    join(repoRoot, 'packages', fileName),
    join(repoRoot, fileName),
  ].filter(Boolean);
  const found = candidates.find((c) => existsSync(c));
  return found ? relative(repoRoot, found) : fileName;
}

const hasDoc = (r) =>
  Boolean(
    r.comment?.summary?.some((p) => p.text.trim()) ||
      r.signatures?.some((s) => s.comment?.summary?.some((p) => p.text.trim())) ||
      r.getSignature?.comment?.summary?.some((p) => p.text.trim()) ||
      r.setSignature?.comment?.summary?.some((p) => p.text.trim()),
  );

/**
 * Every exported symbol of the published packages (of REQUIRED_KINDS) without a doc comment:
 * `[{ name, kind, file, line }]`, with `name` qualified (`RvfStore.query`) and `file` relative
 * to the repository. Inherited members and members of undocumented object types are skipped:
 * the comment belongs on the symbol that declares them.
 *
 * @param {{ repoRoot: string, project?: import('typedoc').ProjectReflection }} options
 *   `project`: an already converted project (the build's), else the packages are converted here
 */
export async function undocumentedSymbols({ repoRoot, project }) {
  const p = project ?? (await convert(await bootstrap(repoRoot, {})));
  const packageDirs = new Map(publishedPackages(repoRoot).map((pkg) => [pkg.name, pkg.dir]));
  const kinds = REQUIRED_KINDS.reduce((k, name) => k | ReflectionKind[name], 0);
  const missing = [];
  for (const r of p.getReflectionsByKind(kinds)) {
    if (r.inheritedFrom || r.flags.isExternal || r.flags.isPrivate) continue;
    // Members count only on classes (a class's API); an interface's methods are its properties.
    if (r.kindOf(ReflectionKind.Method | ReflectionKind.Accessor) && !r.parent?.kindOf(ReflectionKind.Class))
      continue;
    if (hasDoc(r)) continue;
    const source = r.sources?.[0] ?? r.signatures?.[0]?.sources?.[0];
    const names = [];
    let x = r;
    for (; x && !x.kindOf(ReflectionKind.Module | ReflectionKind.Project); x = x.parent)
      names.unshift(x.name);
    const file = source ? sourceFile(repoRoot, packageDirs.get(x?.name), source.fileName) : undefined;
    // A symbol re-exported from another package's build: its own package is checked instead.
    if (file?.includes('/dist/')) continue;
    missing.push({
      name: names.join('.'),
      kind: ReflectionKind.singularString(r.kind),
      file: file ?? '(unknown)',
      line: source?.line ?? 0,
    });
  }
  return missing.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
