/**
 * The quick start on the home page is real: the code block is cut out of content/index.md,
 * run in a fresh folder against the built @rvfjs/runtime in a child process, and its output
 * must be exactly the output block printed under it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blockAfter, CONTENT_DIR, read, tempDir } from './helpers.js';

const work = tempDir('rvfjs-quickstart-');
afterAll(() => work.cleanup());

/** The @rvfjs/runtime this package depends on (the workspace's packages/rvf-runtime). */
function runtimePackageDir(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@rvfjs/runtime/package.json'));
  if (!existsSync(join(dir, 'dist', 'index.js'))) {
    throw new Error(`${dir}/dist is missing: build it first (cd packages/rvf-runtime && pnpm build)`);
  }
  return dir;
}

describe('the quick start on the home page', () => {
  const markdown = read(join(CONTENT_DIR, 'index.md'));
  const program = blockAfter(markdown, 'quickstart');
  const expected = blockAfter(markdown, 'quickstart-output');

  it('is a short JavaScript program using the public API', () => {
    expect(program.lang).toBe('js');
    expect(program.code).toMatch(/^import \{ RvfStore \} from '@rvfjs\/runtime';$/m);
    for (const call of ['RvfStore.create(', 'ingestBatch(', 'query(', 'filter', 'branch(', 'close()']) {
      expect(program.code, call).toContain(call);
    }
    expect(program.code.split('\n').length).toBeLessThanOrEqual(20);
    expect(expected.lang).toBe('text');
  });

  it('runs against the built runtime in a fresh folder and prints exactly what the page shows', () => {
    const dir = join(work.dir, 'app');
    mkdirSync(join(dir, 'node_modules', '@rvfjs'), { recursive: true });
    // As if installed: the program imports '@rvfjs/runtime' unchanged.
    symlinkSync(runtimePackageDir(), join(dir, 'node_modules', '@rvfjs', 'runtime'), 'dir');
    writeFileSync(join(dir, 'quickstart.mjs'), `${program.code}\n`);
    const stdout = execFileSync(process.execPath, ['quickstart.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(stdout).toBe(`${expected.code}\n`);
    // It made the two files it talks about, and closed them (no writer locks left behind).
    const files = readdirSync(dir)
      .filter((f) => f !== 'node_modules' && f !== 'quickstart.mjs')
      .sort();
    expect(files).toEqual(['songs-draft.rvf', 'songs.rvf']);
  });
});
