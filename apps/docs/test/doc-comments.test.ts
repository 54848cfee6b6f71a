/**
 * Every exported symbol of the published packages has a doc comment: TypeDoc converts the
 * packages from their sources (as the API reference does) and lists the functions, classes,
 * interfaces, types, variables, enums and class members without one.
 *
 * The four runtime files another change is refactoring (store.ts, graph-maintainer.ts,
 * query-engine.ts, loader.ts) are reported by a test of their own, so a failure says which
 * side it is on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undocumentedSymbols } from '../src/api-reference.mjs';
import { REPO_DIR, tempDir } from './helpers.js';

const UNDER_REFACTOR = ['store.ts', 'graph-maintainer.ts', 'query-engine.ts', 'loader.ts'].map(
  (f) => `packages/rvf-runtime/src/${f}`,
);

type Missing = { name: string; kind: string; file: string; line: number };
let missing: Missing[] = [];
const describeAll = (list: Missing[]) => list.map((m) => `${m.file}:${m.line} ${m.kind} ${m.name}`);

beforeAll(async () => {
  missing = await undocumentedSymbols({ repoRoot: REPO_DIR });
});

describe('doc comments on exported symbols', () => {
  it('every exported symbol outside the runtime files under refactor has one', () => {
    expect(describeAll(missing.filter((m) => !UNDER_REFACTOR.includes(m.file)))).toEqual([]);
  });

  it('every exported symbol of store.ts, graph-maintainer.ts, query-engine.ts and loader.ts has one', () => {
    expect(describeAll(missing.filter((m) => UNDER_REFACTOR.includes(m.file)))).toEqual([]);
  });
});

describe('the check itself', () => {
  const work = tempDir('rvfjs-doc-check-');
  afterAll(() => work.cleanup());

  it('finds an undocumented function, class, method and constant, and passes documented ones', async () => {
    const pkg = join(work.dir, 'packages', 'lib');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@fixture/lib', version: '1.0.0' }));
    writeFileSync(
      join(pkg, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, target: 'ES2022', module: 'ESNext' },
        include: ['src'],
      }),
    );
    writeFileSync(
      join(pkg, 'src', 'index.ts'),
      [
        '/** Documented. */',
        'export function good(): number { return 1; }',
        'export function bad(): number { return 2; }',
        'export const LIMIT = 3;',
        'export class Thing {',
        '  /** Documented. */',
        '  ok(): void {}',
        '  nope(): void {}',
        '  private hidden(): void {}',
        '}',
        '',
      ].join('\n'),
    );
    const found = await undocumentedSymbols({ repoRoot: work.dir });
    expect(describeAll(found)).toEqual([
      'packages/lib/src/index.ts:3 Function bad',
      'packages/lib/src/index.ts:4 Variable LIMIT',
      'packages/lib/src/index.ts:5 Class Thing',
      'packages/lib/src/index.ts:8 Method Thing.nope',
    ]);
  });
});
