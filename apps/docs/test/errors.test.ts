/**
 * The error-code page: its table is generated from @rvfjs/types at build time and must list
 * every code; the hand-written part must agree with the code table and cover every code the
 * runtime raises.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, hex16 } from '@rvfjs/types';
import { describe, expect, inject, it } from 'vitest';
import { CONTENT_DIR, DOCS_DIR, mainOf, read, text } from './helpers.js';

const page = mainOf(read(join(inject('site').outDir, 'errors.html')));

/** Rows of every table after the given heading id (up to the next h2), as cell texts. */
function rowsAfter(html: string, headingId: string): string[][] {
  const start = html.indexOf(`id="${headingId}"`);
  expect(start, `heading #${headingId}`).toBeGreaterThan(0);
  const rest = html.slice(start);
  const end = rest.indexOf('<h2', 10);
  const section = end > 0 ? rest.slice(0, end) : rest;
  return [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => text(c[1]!).trim()))
    .filter((cells) => cells.length > 0);
}

const codes = Object.entries(ErrorCode) as [string, number][];

describe('the error code page', () => {
  it('lists every ErrorCode of @rvfjs/types exactly once, with its hex code', () => {
    const rows = rowsAfter(page, 'all-codes');
    const listed = new Map(rows.map((r) => [r[1]!, r[0]!]));
    expect(rows.length).toBe(codes.length);
    for (const [name, code] of codes) expect(listed.get(name), name).toBe(hex16(code));
  });

  it('groups the codes by category byte', () => {
    const headings = [...page.matchAll(/<h3 id="(0x[0-9a-f]{2}xx)-[^"]*"/g)].map((m) => m[1]);
    expect(headings.length).toBeGreaterThan(5);
    const categories = [...new Set(codes.map(([, c]) => `0x${(c >> 8).toString(16).padStart(2, '0')}xx`))];
    expect(headings).toEqual(categories);
  });

  it('the hand-written table names real codes with their right numbers', () => {
    const rows = rowsAfter(page, 'what-the-runtime-raises');
    expect(rows.length).toBeGreaterThan(10);
    for (const [hex, name] of rows) {
      expect(name! in ErrorCode, `${name} is an ErrorCode`).toBe(true);
      expect(hex16(ErrorCode[name as keyof typeof ErrorCode]), name).toBe(hex);
    }
  });

  it('describes every code the runtime source raises', () => {
    const src = join(DOCS_DIR, '..', '..', 'packages', 'rvf-runtime', 'src');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(src);
    const raised = new Set<string>();
    for (const f of files) {
      const t = readFileSync(f, 'utf8');
      for (const m of t.matchAll(/rvfError\(\s*'(\w+)'/g)) raised.add(m[1]!);
      for (const m of t.matchAll(/ErrorCode\.(\w+)/g)) raised.add(m[1]!);
    }
    expect(raised.size).toBeGreaterThan(5);
    const described = new Set(rowsAfter(page, 'what-the-runtime-raises').map((r) => r[1]!));
    expect([...raised].filter((n) => !described.has(n)).sort()).toEqual([]);
  });

  it('is generated, not copied: the Markdown source holds only the directive', () => {
    const source = read(join(CONTENT_DIR, 'errors.md'));
    expect(source).toContain('<!-- generate: error-table -->');
    expect(source).not.toMatch(/QueryBlacklisted|KernelBindingMismatch/);
  });
});
