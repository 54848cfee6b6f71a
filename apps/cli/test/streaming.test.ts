import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('streaming');
const RECORDS = 10_000;
const PADDING = 'x'.repeat(10_000);
/** A V8 heap far smaller than the ~100 MB inputs: reading one whole into a string cannot fit. */
const SMALL_HEAP = ['--max-old-space-size=40'];

/** Writes an input of about 100 MB line by line (the test itself must not hold it either). */
function writeInput(
  name: string,
  header: string | undefined,
  line: (i: number) => string,
  footer = '',
): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    if (header !== undefined) writeSync(fd, header);
    for (let i = 0; i < RECORDS; i++) writeSync(fd, line(i));
    writeSync(fd, footer);
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('ingest streams its input in bounded memory', () => {
  it.each([
    [
      'ndjson',
      () =>
        writeInput(
          'big.ndjson',
          undefined,
          (i) => `${JSON.stringify({ id: i, vector: [i, 1], pad: PADDING })}\n`,
        ),
    ],
    ['csv', () => writeInput('big.csv', 'id,vector,pad\n', (i) => `${i},"[${i},1]",${PADDING}\n`)],
    [
      'json',
      () =>
        writeInput(
          'big.json',
          '[',
          (i) => `${i ? ',' : ''}\n${JSON.stringify({ id: i, vector: [i, 1], pad: PADDING })}`,
          ']',
        ),
    ],
  ])('%s', (_format, make) => {
    const input = make();
    const path = join(dir, `${_format}.rvf`);
    rvfJson('create', path, '--dim', '2');
    try {
      const r = run(['ingest', path, input, '--no-metadata', '--batch', '2000', '--json'], {
        nodeArgs: SMALL_HEAP,
      });
      expect(r.status, r.stderr.slice(0, 2000)).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ accepted: RECORDS, batches: 5 });
    } finally {
      rmSync(input, { force: true });
    }
    expect(rvfJson('status', path).totalVectors).toBe(RECORDS);
  });
});
