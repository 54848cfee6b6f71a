import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { npyFile } from './npy-file.js';
import { run, rvfFails, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('formats');
let n = 0;
function store(dim: number): string {
  const path = join(dir, `s${n++}.rvf`);
  rvfJson('create', path, '--dim', String(dim));
  return path;
}
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
/** Every visible record, by id, as export writes it. */
function records(path: string): Map<string, { vector: number[]; metadata?: Record<string, unknown> }> {
  const out = run(['export', path]).stdout.trimEnd();
  return new Map(
    out === ''
      ? []
      : out.split('\n').map((l) => {
          const r = JSON.parse(l);
          return [String(r.id), { vector: r.vector, metadata: r.metadata }];
        }),
  );
}

describe('NDJSON', () => {
  it('reads the export format, and takes other fields as metadata when there is no metadata object', () => {
    const s = store(2);
    const input = file(
      'a.ndjson',
      [
        '{"id":1,"vector":[1,0],"metadata":{"genre":"jazz"}}',
        '',
        '{"id":"18446744073709551615","vector":[0,1],"genre":"rock","year":1999}\r',
        '{"id":3,"vector":[1,1]}',
      ].join('\n'),
    );
    expect(rvfJson('ingest', s, input)).toEqual({
      accepted: 3,
      epoch: 1,
      batches: 1,
      input,
      format: 'ndjson',
    });
    const got = records(s);
    expect(got.get('1')!.metadata).toEqual({ genre: 'jazz' });
    expect(got.get('18446744073709551615')).toEqual({
      vector: [0, 1],
      metadata: { genre: 'rock', year: 1999 },
    });
    expect(got.get('3')!.metadata).toBeUndefined();
  });

  it('.jsonl is NDJSON; --no-metadata and --metadata-columns choose the metadata', () => {
    const s = store(2);
    const input = file(
      'b.jsonl',
      '{"id":1,"vector":[1,0],"a":"x","b":2}\n{"id":2,"vector":[0,1],"a":"y","b":3}\n',
    );
    rvfJson('ingest', s, input, '--metadata-columns', 'b');
    expect(records(s).get('1')!.metadata).toEqual({ b: 2 });
    const s2 = store(2);
    rvfJson('ingest', s2, input, '--no-metadata');
    expect(records(s2).get('1')!.metadata).toBeUndefined();
  });
});

describe('JSON arrays', () => {
  it('streams a large array whose elements straddle read chunks, strings with brackets and escapes included', () => {
    const s = store(3);
    const items = Array.from({ length: 3000 }, (_, i) => ({
      id: i,
      vector: [i, i % 13, 1],
      metadata: {
        text: `row ${i} has ] and } and [ and { and "quotes" and \\ and a\nnewline`,
        pad: 'x'.repeat(i % 97),
      },
    }));
    // Pretty-printed, so the file is several 64 KiB chunks and elements span lines.
    const input = file('big.json', JSON.stringify(items, null, 2));
    expect(rvfJson('ingest', s, input)).toMatchObject({ accepted: 3000, format: 'json' });
    const got = records(s);
    expect(got.size).toBe(3000);
    for (const i of [0, 1, 1234, 2999]) {
      expect(got.get(String(i))).toEqual({ vector: items[i]!.vector, metadata: items[i]!.metadata });
    }
  });

  it('an empty array ingests nothing', () => {
    expect(rvfJson('ingest', store(2), file('empty.json', ' [ ] \n'))).toMatchObject({
      accepted: 0,
      batches: 0,
    });
  });

  it.each([
    [
      '[\n {"id":1,"vector":[1,0]},\n {"id":2,"vector":[1]}\n]',
      'DimensionMismatch',
      /element 1 \(line 3\): the vector has 1 components/,
    ],
    [
      '[\n {"id":1,"vector":[1,0]},\n 7\n]',
      'InvalidRecord',
      /element 1 \(line 3\): expected a JSON object, got the number 7/,
    ],
    [
      '[\n {"id":1,"vector":[1,0]},\n {"id":2,"vector":[1,0}]',
      'InvalidRecord',
      /element 1 \(line 3\): not valid JSON/,
    ],
    ['[{"id":1,"vector":[1,0]},]', 'InvalidRecord', /line 1: a trailing ',' before '\]'/],
    ['[{"id":1,"vector":[1,0]}', 'InvalidRecord', /the JSON array is not closed/],
    ['[{"id":1,"vector":[1,0]}] x', 'InvalidRecord', /unexpected text after the closing \]/],
    ['{"id":1,"vector":[1,0]}', 'InvalidRecord', /must start with '\['/],
  ])('%j', (content, name, message) => {
    const e = rvfFails(2, ['ingest', store(2), file(`bad-${n}.json`, content), '--format', 'json']);
    expect(e.name).toBe(name);
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/bad-\d+\.json/);
  });
});

describe('CSV and TSV', () => {
  it('a vector cell as a JSON array or separated numbers; cells that read as numbers become numbers', () => {
    const s = store(3);
    const input = file(
      'a.csv',
      '\ufeffid,vector,genre,price,zip\n1,"[1,0,0]",jazz,12.5,02134\n2,0 1 0,"rock, roll",8,\n3,0;0;1,,-3e2,x\n',
    );
    expect(rvfJson('ingest', s, input)).toMatchObject({ accepted: 3, format: 'csv' });
    const got = records(s);
    expect(got.get('1')).toEqual({
      vector: [1, 0, 0],
      metadata: { genre: 'jazz', price: 12.5, zip: '02134' },
    });
    expect(got.get('2')).toEqual({ vector: [0, 1, 0], metadata: { genre: 'rock, roll', price: 8 } });
    expect(got.get('3')).toEqual({ vector: [0, 0, 1], metadata: { price: -300, zip: 'x' } });
    // The numbers are numbers: a numeric filter finds them.
    const hits = rvfJson('query', s, '-v', '1,0,0', '-f', '{"op":"lt","field":"price","value":10}');
    expect(hits.results.map((h: { id: number }) => h.id).sort()).toEqual([2, 3]);
  });

  it('--vector-columns by name or prefix*, --id-column, --metadata-columns and --delimiter', () => {
    const s = store(3);
    const input = file('b.csv', 'key;x0;x1;x2;tag;note\n10;1;0;0;a;n1\n11;0;1;0;b;n2\n');
    rvfJson(
      'ingest',
      s,
      input,
      '--delimiter',
      ';',
      '--id-column',
      'key',
      '--vector-columns',
      'x*',
      '--metadata-columns',
      'tag',
    );
    expect(records(s).get('11')).toEqual({ vector: [0, 1, 0], metadata: { tag: 'b' } });
    const s2 = store(2);
    rvfJson('ingest', s2, input, '--delimiter', ';', '--id-column', 'key', '--vector-columns', 'x2,x0');
    expect(records(s2).get('10')).toEqual({ vector: [0, 1], metadata: { x1: 0, tag: 'a', note: 'n1' } });
  });

  it('TSV by extension, or from stdin with --format tsv; --first-id numbers rows without an id column', () => {
    const s = store(2);
    rvfJson(
      'ingest',
      s,
      file('c.tsv', 'v0\tv1\tname\n1\t0\tp\n0\t1\tq\n'),
      '--vector-columns',
      'v*',
      '--first-id',
      '100',
    );
    expect([...records(s).keys()].sort()).toEqual(['100', '101']);
    const r = run(
      ['ingest', s, '-', '--format', 'tsv', '--vector-columns', 'v*', '--first-id', '200', '--json'],
      {
        input: 'v0\tv1\n5\t5\n',
      },
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 1, input: 'stdin', format: 'tsv' });
    expect(records(s).get('200')!.vector).toEqual([5, 5]);
  });

  it('CSV on stdin needs --format (it has no signature)', () => {
    const e = rvfFails(1, ['ingest', store(2), '-'], { input: 'id,vector\n1,"[1,0]"\n' });
    expect(e.message).toMatch(/cannot tell the format of stdin; pass --format/);
  });

  it.each([
    ['id,vector\n1,"[1,0]"\n2,"[0,1]",extra\n', 'InvalidRecord', /Invalid Record Length.*line 3/],
    ['id,id\n1,2\n', 'InvalidRecord', /line 1: header names column 'id' twice/],
    ['id,vector\n1,"[1,0]"\n2,"[0,x]"\n', 'DimensionMismatch', /line 3: field 'vector' is not a JSON array/],
    ['id,vector\n1,"[1,0]"\n2,\n', 'InvalidRecord', /line 3: no 'vector' field/],
    ['id,vector\n1,"1 0"\nabc,"1 1"\n', 'InvalidId', /line 3: id the string "abc" is not a u64/],
    ['', 'InvalidRecord', /no header row/],
  ])('%j', (content, name, message) => {
    const e = rvfFails(2, ['ingest', store(2), file(`bad-${n}.csv`, content)]);
    expect(e.name).toBe(name);
    expect(e.message).toMatch(message);
  });
});

describe('NumPy .npy', () => {
  const rows = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
    [-1, 0.5, 2],
  ];

  it.each([
    ['<f4', Float32Array],
    ['<f8', Float64Array],
    ['<i2', Int16Array],
  ] as const)('dtype %s, ids from 0 or --first-id', (dtype, Type) => {
    const data = Type === Int16Array ? Int16Array.from(rows.flat().map(Math.trunc)) : Type.from(rows.flat());
    const s = store(3);
    const input = file(`v-${n}.npy`, npyFile(dtype, [4, 3], data));
    expect(rvfJson('ingest', s, input)).toMatchObject({ accepted: 4, format: 'npy' });
    const got = records(s);
    expect([...got.keys()].sort()).toEqual(['0', '1', '2', '3']);
    expect(got.get('3')!.vector).toEqual(Array.from(data.slice(9, 12), Number));
    const s2 = store(3);
    rvfJson('ingest', s2, input, '--first-id', '9007199254740993');
    expect([...records(s2).keys()]).toContain('9007199254740996');
  });

  it('big-endian data, a 1-D array, and stdin (recognised by its magic)', () => {
    const be = Buffer.alloc(12);
    for (const [i, v] of [1, 2, 3].entries()) be.writeInt32BE(v, i * 4);
    const s = store(3);
    rvfJson('ingest', s, file('be.npy', npyFile('>i4', [1, 3], be)));
    expect(records(s).get('0')!.vector).toEqual([1, 2, 3]);
    const r = run(['ingest', s, '-', '--first-id', '5', '--json'], {
      input: npyFile('<f4', [3], Float32Array.of(4, 5, 6)),
    });
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 1, input: 'stdin', format: 'npy' });
    expect(records(s).get('5')!.vector).toEqual([4, 5, 6]);
  });

  it('errors name the file and row', () => {
    const data = Float32Array.from(rows.flat());
    expect(rvfFails(2, ['ingest', store(2), file('d.npy', npyFile('<f4', [4, 3], data))]).message).toMatch(
      /d\.npy row 0: the vector has 3 components, the store's dimension is 2/,
    );
    const truncated = npyFile('<f4', [4, 3], data).subarray(0, 128 + 30);
    expect(rvfFails(2, ['ingest', store(3), file('t.npy', truncated)]).message).toMatch(
      /t\.npy: the file ends after 2 of the 4 rows/,
    );
    const nan = Float32Array.from([1, 2, 3, 4, Number.NaN, 6]);
    expect(rvfFails(2, ['ingest', store(3), file('nan.npy', npyFile('<f4', [2, 3], nan))]).message).toMatch(
      /nan\.npy row 1: vector component 1 is the number NaN/,
    );
    expect(
      rvfFails(2, ['ingest', store(3), file('f.npy', npyFile('<f4', [4, 3], data, { fortranOrder: true }))])
        .message,
    ).toMatch(/column-major/);
    expect(
      rvfFails(2, ['ingest', store(3), file('c.npy', npyFile('<c8', [1, 3], new Float32Array(6)))]).message,
    ).toMatch(/dtype '<c8' is not supported/);
    expect(
      rvfFails(1, ['ingest', store(3), file('o.npy', npyFile('<f4', [4, 3], data)), '--id-column', 'id'])
        .message,
    ).toMatch(/a \.npy file has no columns/);
  });
});

describe('Parquet', () => {
  const parquet = join(dir, 'p.parquet');
  parquetWriteFile({
    filename: parquet,
    columnData: [
      { name: 'id', data: [100n, 101n, 102n], type: 'INT64' },
      {
        name: 'embedding',
        data: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      },
      { name: 'title', data: ['a', 'b', null], type: 'STRING' },
      { name: 'year', data: [2001, 2002, 2003], type: 'INT32' },
    ],
  });

  it('reads a list column as the vector and the other columns as metadata', () => {
    const s = store(3);
    expect(rvfJson('ingest', s, parquet, '--vector-column', 'embedding')).toMatchObject({
      accepted: 3,
      format: 'parquet',
    });
    const got = records(s);
    expect(got.get('101')).toEqual({ vector: [0, 1, 0], metadata: { title: 'b', year: 2002 } });
    expect(got.get('102')).toEqual({ vector: [0, 0, 1], metadata: { year: 2003 } });
    const hits = rvfJson(
      'query',
      s,
      '-v',
      '0,0,1',
      '-k',
      '1',
      '-f',
      '{"op":"ge","field":"year","value":2003}',
    );
    expect(hits.results[0].id).toBe(102);
  });

  it('--metadata-columns reads only those columns; stdin is recognised by its magic', () => {
    const s = store(3);
    const r = run(
      ['ingest', s, '-', '--vector-column', 'embedding', '--metadata-columns', 'title', '--json'],
      {
        input: readFileSync(parquet),
      },
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 3, input: 'stdin', format: 'parquet' });
    expect(records(s).get('100')!.metadata).toEqual({ title: 'a' });
  });

  it('errors name the file and the columns it has', () => {
    expect(rvfFails(2, ['ingest', store(3), parquet]).message).toMatch(
      /p\.parquet row 0: no 'vector' field \(its fields: id, embedding, title, year\)/,
    );
    expect(
      rvfFails(2, ['ingest', store(3), parquet, '--vector-column', 'embedding', '--metadata-columns', 'nope'])
        .message,
    ).toMatch(/p\.parquet: no column 'nope' \(its columns: id, embedding, title, year\)/);
    expect(rvfFails(2, ['ingest', store(2), parquet, '--vector-column', 'embedding']).message).toMatch(
      /row 0: the vector has 3 components/,
    );
    expect(rvfFails(2, ['ingest', store(3), file('junk.parquet', 'PAR1 not really')]).message).toMatch(
      /junk\.parquet: not a readable Parquet file/,
    );
  });
});
