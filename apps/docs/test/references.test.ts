/**
 * The generated references agree with the code: the CLI page with the commander definitions
 * the `rvf` command parses, the HTTP page with the OpenAPI document the server serves, and the
 * API pages with the published packages.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadCliProgram } from '../src/cli-reference.mjs';
import { loadOpenApi } from '../src/http-reference.mjs';
import { publishedPackages } from '../src/published-packages.mjs';
import { mainOf, REPO_DIR, read, text } from './helpers.js';

const { outDir } = inject('site');
const main = (file: string) => mainOf(read(join(outDir, ...file.split('/'))));

describe('the CLI reference', () => {
  it('documents every command with its usage, and every option with its flags and description', async () => {
    const program = await loadCliProgram();
    const page = text(main('reference/cli-commands.html'));
    expect(program.commands.length).toBeGreaterThan(10);
    for (const cmd of program.commands) {
      expect(page, cmd.name()).toContain(`rvf ${cmd.name()} ${cmd.usage()}`);
      for (const o of cmd.options) {
        expect(page, `${cmd.name()} ${o.flags}`).toContain(o.flags);
        expect(page, `${cmd.name()} ${o.flags}`).toContain(o.description);
      }
    }
    // The ones a reader looks for.
    expect(page).toContain('rvf query [options] <path>');
    expect(page).toContain('-v, --vector <vector>');
  });
});

describe('the HTTP reference', () => {
  it('documents every operation of the OpenAPI document, with its summary and statuses', async () => {
    const doc = await loadOpenApi();
    const page = text(main('reference/http-api.html'));
    let operations = 0;
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { summary?: string }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
        operations++;
        expect(page, `${method} ${path}`).toContain(`${method.toUpperCase()} ${path}`);
        // Backticks in a summary become code on the page.
        if (op.summary) expect(page).toContain(op.summary.replace(/`/g, ''));
      }
    }
    expect(operations).toBeGreaterThan(15);
    expect(page).toContain(`generated at build time from the OpenAPI ${doc.openapi} document`);
    for (const schema of Object.keys(doc.components.schemas)) expect(page).toContain(schema);
  });
});

describe('the API reference', () => {
  it('has a page for every published package, from its TSDoc', () => {
    const packages = publishedPackages(REPO_DIR);
    expect(packages.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        '@rvfjs/crypto',
        '@rvfjs/index',
        '@rvfjs/runtime',
        '@rvfjs/types',
        '@rvfjs/wire',
      ]),
    );
    for (const p of packages) {
      const index = join(outDir, 'api', p.name.replace('@rvfjs/', ''), 'index.html');
      expect(existsSync(index), index).toBe(true);
    }
  });

  it('documents RvfStore with its methods and their doc comments', () => {
    const page = text(main('api/runtime/classes/RvfStore.html'));
    for (const method of [
      'branch',
      'freeze',
      'cowStats',
      'membershipFilter',
      'export',
      'copy',
      'verifyWitness',
    ]) {
      expect(page, method).toContain(`${method}()`);
    }
    // A doc comment from store.ts, carried into the page.
    expect(page).toContain('Copy-on-write statistics of a branch');
  });
});
