/**
 * The error-code page's table, generated at build time from `ErrorCode` in @rvfjs/types, so it
 * cannot drift from the code. It imports the BUILT package (dist/), which turbo builds before
 * this one because @rvfjs/docs depends on it.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadTypes } from './load-types.mjs';

/** Names for the category byte (the high byte of a code), as the reference groups them. */
export const ERROR_CATEGORIES = {
  0: 'Success',
  1: 'Format and integrity',
  2: 'Query',
  3: 'Writing and locking',
  4: 'Compute tiles',
  5: 'Keys and attestation',
  6: 'Lineage',
  7: 'Copy-on-write',
  8: 'Manifest security',
  9: 'Quality and budgets',
};

const hex = (n, width) => `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;

async function sourceFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) out.push(p);
  }
  return out;
}

/**
 * Which workspace packages mention each error name in their sources (`'Name'` or
 * `ErrorCode.Name`), rvf-types' own table excluded. A plain text scan: it says where a code
 * is referenced, which for these names means where it is raised or checked.
 */
export async function errorUsage(repoRoot, names) {
  const usage = new Map(names.map((n) => [n, new Set()]));
  for (const area of ['packages', 'apps']) {
    const base = join(repoRoot, area);
    if (!existsSync(base)) continue;
    for (const pkg of (await fs.readdir(base, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      if (area === 'apps' && pkg.name === 'docs') continue;
      for (const file of await sourceFiles(join(base, pkg.name, 'src'))) {
        if (file.endsWith(join('rvf-types', 'src', 'errors.ts'))) continue;
        const text = await fs.readFile(file, 'utf8');
        for (const name of names) {
          if (
            text.includes(`'${name}'`) ||
            text.includes(`"${name}"`) ||
            text.includes(`ErrorCode.${name}`)
          ) {
            usage.get(name).add(pkg.name);
          }
        }
      }
    }
  }
  return usage;
}

/** The full ErrorCode table of @rvfjs/types, one table per category. */
export async function errorTable(ctx) {
  const { ErrorCode, hex16 } = await loadTypes();
  const entries = Object.entries(ErrorCode).sort((a, b) => a[1] - b[1]);
  const usage = await errorUsage(
    ctx.repoRoot,
    entries.map(([name]) => name),
  );
  const byCategory = new Map();
  for (const [name, code] of entries) {
    const cat = code >> 8;
    if (!byCategory.has(cat)) byCategory.set(cat, []);
    byCategory.get(cat).push([name, code]);
  }
  const parts = [
    `${entries.length} codes in ${byCategory.size} categories, generated from \`ErrorCode\` in \`@rvfjs/types\` ` +
      '(`packages/rvf-types/src/errors.ts`). "Referenced in" lists the workspace packages whose sources name ' +
      'the code (a text scan at build time); a code nobody references is part of the reference table but is ' +
      'never raised by rvfjs.',
  ];
  for (const [cat, rows] of byCategory) {
    parts.push(`### ${hex(cat, 2)}xx ${ERROR_CATEGORIES[cat] ?? 'Other'}`);
    parts.push(
      [
        '| Code | Name | Referenced in |',
        '|------|------|---------------|',
        ...rows.map(([name, code]) => {
          const where = [...usage.get(name)].sort();
          return `| \`${hex16(code)}\` | \`${name}\` | ${where.length ? where.map((w) => `\`${w}\``).join(', ') : '–'} |`;
        }),
      ].join('\n'),
    );
  }
  return parts.join('\n\n');
}
