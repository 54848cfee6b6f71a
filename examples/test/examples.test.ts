/**
 * Every example runs, against the built @rvfjs/runtime, and prints exactly its checked-in
 * output once timings, the work folder and file ids are replaced by placeholders. The docs
 * site shows that checked-in output next to the program.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../scripts/examples.mjs';
import { normalizeOutput } from '../scripts/normalize-output.mjs';
import { runExample } from '../scripts/run-example.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the examples', () => {
  it('are the programs with a checked-in output, and nothing is left over', () => {
    const expected = readdirSync(join(root, 'expected')).filter((f) => f.endsWith('.txt'));
    expect(expected.map((f) => f.replace(/\.txt$/, '')).sort()).toEqual([...EXAMPLES].sort());
    const programs = readdirSync(join(root, 'src')).map((f) => f.replace(/\.ts$/, ''));
    for (const name of EXAMPLES) expect(programs).toContain(name);
  });

  it.each(EXAMPLES)('%s prints its checked-in output', (name) => {
    const { stdout, dir } = runExample(name);
    const want = readFileSync(join(root, 'expected', `${name}.txt`), 'utf8');
    expect(normalizeOutput(stdout, dir)).toBe(want);
    // The placeholders hide only what varies: the figures that matter are still there.
    expect(want).toMatch(/\d/);
  });
});

describe('normalizeOutput', () => {
  it('numbers ids by first appearance, hides timings and the folder, keeps everything else', () => {
    const id1 = 'be536bef39844a7bc41ada2f32b1d2cd';
    const id2 = '68314b6fee73c896f7c7a35cd8b1d2ce';
    const text = `a ${id1} b ${id2} c ${id1}\nopen (3.4 ms), 12 ms, 500 vectors at /tmp/x/y.rvf\n`;
    expect(normalizeOutput(text, '/tmp/x')).toBe(
      'a <file-id-1> b <file-id-2> c <file-id-1>\nopen (<t> ms), <t> ms, 500 vectors at <dir>/y.rvf\n',
    );
  });
});
