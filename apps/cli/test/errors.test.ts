import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeStore, run, rvfFails, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('errors');
const store = join(dir, 's.rvf');
makeStore(store, 3, [
  { id: 1, vector: [1, 0, 0], metadata: { genre: 'jazz', price: 12 } },
  { id: 2, vector: [0, 1, 0], metadata: { genre: 'rock', price: 8 } },
]);

describe('usage errors: exit 1, with a code', () => {
  it('-k abc is refused by the option parser, not handed to the store as NaN', () => {
    const e = rvfFails(1, ['query', store, '-v', '1,0,0', '-k', 'abc']);
    expect(e).toMatchObject({ name: 'InvalidArgument', hex: '0x4000', code: 0x4000 });
    expect(e.message).toMatch(/option '-k <n>' argument 'abc' is invalid/);
    expect(e.message).not.toMatch(/NaN|KTooLarge/);
    const human = run(['query', store, '-v', '1,0,0', '-k', '0']);
    expect(human.status).toBe(1);
    expect(human.stderr).toMatch(
      /^rvf: RVF error 0x4000 InvalidArgument: option '-k <n>' argument '0' is invalid/,
    );
  });

  it.each([
    [['create', join(dir, 'x.rvf'), '--dim', 'three'], /--dim <n>' argument 'three'/],
    [['create', join(dir, 'x.rvf'), '--dim', '3', '--metric', 'manhattan'], /manhattan.* is invalid/],
    [['ingest', store, '-', '--batch', '1.5'], /--batch <n>' argument '1.5'/],
    [['ingest', store, '-', '--first-id', '-1'], /--first-id <n>' argument '-1'/],
    [['ingest', store, '-', '--format', 'xml'], /xml.* is invalid/],
    [['query', store, '-v', '1,0,0', '--ef', '1e3'], /--ef <n>' argument '1e3'/],
    [['demo', '--count', '-5'], /--count <n>' argument '-5'/],
    [['query', store, '-v', '1,0,0', '--bogus'], /unknown option '--bogus'/],
    [['query', store], /required option '-v, --vector <vector>' not specified/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('rvf %j', (args, message) => {
    expect(rvfFails(1, args).message).toMatch(message);
  });

  it('no command prints the help on stderr and exits 1', () => {
    const r = run([]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: rvf \[options\] \[command\]/);
    expect(r.stderr).not.toMatch(/RVF error/);
  });

  it('a --filter that is not JSON, or not a filter, is FilterParseError naming the place', () => {
    expect(rvfFails(1, ['query', store, '-v', '1,0,0', '-f', '{"op":"eq"'])).toMatchObject({
      name: 'FilterParseError',
      hex: '0x0203',
      message: expect.stringMatching(/^--filter: not valid JSON/),
    });
    const e = rvfFails(1, ['query', store, '-v', '1,0,0', '-f', '{"op":"and","children":[{"op":"eqq"}]}']);
    expect(e.name).toBe('FilterParseError');
    expect(e.message).toMatch(/^--filter\.children\[0\]: unknown op 'eqq'/);
    expect(rvfFails(1, ['delete', store, '-f', '[]']).name).toBe('FilterParseError');
  });

  it('a bad --vector or --ids, and contradicting options', () => {
    expect(rvfFails(1, ['query', store, '-v', '[1,"a",0]']).message).toMatch(/--vector: component 1/);
    expect(rvfFails(1, ['query', store, '-v', '1,,0']).message).toMatch(/--vector: component 1/);
    expect(rvfFails(1, ['delete', store, '--ids', '1,x'])).toMatchObject({ name: 'InvalidId' });
    expect(rvfFails(1, ['delete', store]).message).toMatch(/exactly one of --ids or --filter/);
    expect(rvfFails(1, ['delete', store, '--ids', '1', '-f', '{}']).message).toMatch(/exactly one/);
    expect(rvfFails(1, ['ingest', store, '-', '--id-column', 'a', '--first-id', '1']).message).toMatch(
      /not both/,
    );
  });

  it('without --json the error is one line on stderr', () => {
    const r = run(['query', store, '-v', '1,0,0', '-f', 'nope']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^rvf: RVF error 0x0203 FilterParseError: --filter: not valid JSON .*\n$/);
  });
});

describe('store and data errors: exit 2, with a code naming the input', () => {
  it('a missing store is ManifestNotFound', () => {
    for (const cmd of [
      ['status'],
      ['query', '-v', '1'],
      ['inspect'],
      ['verify'],
      ['export'],
      ['delete', '--ids', '1'],
    ]) {
      const [name, ...rest] = cmd;
      const e = rvfFails(2, [name!, join(dir, 'missing.rvf'), ...rest]);
      expect(e.name, cmd.join(' ')).toBe('ManifestNotFound');
      expect(e.message).toMatch(/missing\.rvf does not exist/);
    }
  });

  it('a missing input file is IoFailed naming it', () => {
    const e = rvfFails(2, ['ingest', store, join(dir, 'nope.ndjson')]);
    expect(e).toMatchObject({ name: 'IoFailed', hex: '0x4006' });
    expect(e.message).toMatch(/input file .*nope\.ndjson does not exist/);
    expect(rvfFails(2, ['ingest', store, dir]).message).toMatch(/is a directory/);
  });

  it('creating over an existing file is PathExists; a store of another dimension is DimensionMismatch', () => {
    expect(rvfFails(2, ['create', store, '--dim', '3']).name).toBe('PathExists');
    expect(rvfFails(2, ['query', store, '-v', '1,0']).name).toBe('DimensionMismatch');
  });

  it('a filter on an unknown field is an error, unless --lenient-filter', () => {
    const e = rvfFails(2, [
      'query',
      store,
      '-v',
      '1,0,0',
      '-f',
      '{"op":"eq","field":"genra","value":"jazz"}',
    ]);
    expect(e.name).toBe('FilterParseError');
    expect(e.message).toMatch(/no field 'genra' \(its fields: 'genre', 'price'\)/);
    const nested = rvfFails(2, [
      'query',
      store,
      '-v',
      '1,0,0',
      '-f',
      '{"op":"or","children":[{"op":"eq","field":"genre","value":"jazz"},{"op":"not","child":{"op":"lt","field":"cost","value":3}}]}',
    ]);
    expect(nested.message).toMatch(/^--filter\.children\[1\]\.child: the store has no field 'cost'/);
    expect(
      rvfJson(
        'query',
        store,
        '-v',
        '1,0,0',
        '-f',
        '{"op":"eq","field":"genra","value":"jazz"}',
        '--lenient-filter',
      ),
    ).toEqual({ results: [] });
    // delete checks the same way, and deletes nothing when refused.
    expect(rvfFails(2, ['delete', store, '-f', '{"op":"eq","field":"genra","value":"jazz"}']).name).toBe(
      'FilterParseError',
    );
    expect(rvfJson('status', store).totalVectors).toBe(2);
  });

  it('a filter comparing a field with a value of the other type is an error, unless --lenient-filter', () => {
    const e = rvfFails(2, ['query', store, '-v', '1,0,0', '-f', '{"op":"lt","field":"price","value":"50"}']);
    expect(e.message).toMatch(/field 'price' holds numbers, the filter compares it with the string "50"/);
    const inList = rvfFails(2, [
      'query',
      store,
      '-v',
      '1,0,0',
      '-f',
      '{"op":"in","field":"genre","values":["jazz",5]}',
    ]);
    expect(inList.message).toMatch(/field 'genre' holds strings, the filter compares it with the number 5/);
    // valueType converts the operand, as the library does: "50" as f64 is a number.
    const typed = rvfJson(
      'query',
      store,
      '-v',
      '1,0,0',
      '-f',
      '{"op":"lt","field":"price","value":"50","valueType":"f64"}',
    );
    expect(typed.results.length).toBe(2);
    expect(
      rvfJson(
        'query',
        store,
        '-v',
        '1,0,0',
        '-f',
        '{"op":"lt","field":"price","value":"50"}',
        '--lenient-filter',
      ),
    ).toEqual({ results: [] });
  });

  it('filters that match the store run as before', () => {
    const r = rvfJson(
      'query',
      store,
      '-v',
      '1,0,0',
      '-f',
      '{"op":"range","field":"price","low":10,"high":20}',
    );
    expect(r.results.map((h: { id: number }) => h.id)).toEqual([1]);
  });

  it('a bad record names the file and line; earlier batches stay committed and are counted', () => {
    const p = join(dir, 'partial.rvf');
    rvfJson('create', p, '--dim', '2');
    const input = join(dir, 'partial.ndjson');
    const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify({ id: i, vector: [i, 1] }));
    lines.splice(5, 0, '', JSON.stringify({ id: 99, vector: [1, 2, 3] })); // blank line 6, bad line 7
    writeFileSync(input, lines.join('\n'));
    const e = rvfFails(2, ['ingest', p, input, '--batch', '2']);
    expect(e.name).toBe('DimensionMismatch');
    expect(e.message).toMatch(
      /partial\.ndjson line 7: the vector has 3 components, the store's dimension is 2/,
    );
    expect(e.message).toMatch(/4 records before it were committed \(epoch 2\)/);
    expect(e.details).toMatchObject({ committedRecords: 4, epoch: 2 });
    expect(rvfJson('status', p).totalVectors).toBe(4);
  });

  it('a record the batch cannot take fails the whole batch before anything of it commits', () => {
    const p = join(dir, 'atomic.rvf');
    rvfJson('create', p, '--dim', '2');
    const lines = [
      JSON.stringify({ id: 1, vector: [1, 1] }),
      JSON.stringify({ id: 2, vector: [1, 1], metadata: { nested: { no: 1 } } }),
    ];
    const e = rvfFails(2, ['ingest', p, '-'], { input: lines.join('\n') });
    expect(e.name).toBe('InvalidMetadata');
    expect(e.message).toMatch(/^stdin line 2: metadata field 'nested' is an object/);
    expect(e.details).toMatchObject({ committedRecords: 0 });
    expect(rvfJson('status', p).totalVectors).toBe(0);
  });

  it.each([
    ['{"id":1,"vector":[1,0]}\nnot json', /line 2: not valid JSON/, 'InvalidRecord'],
    ['{"id":1,"vector":[1,0]}\n[1,2]', /line 2: expected a JSON object, got an array/, 'InvalidRecord'],
    ['{"id":-1,"vector":[1,0]}', /line 1: id the number -1 is not a u64/, 'InvalidId'],
    ['{"id":"18446744073709551616","vector":[1,0]}', /line 1: id the string .* is not a u64/, 'InvalidId'],
    ['{"vector":[1,0]}', /line 1: no 'id' field \(its fields: vector\)/, 'InvalidRecord'],
    ['{"id":1}', /line 1: no 'vector' field/, 'InvalidRecord'],
    ['{"id":1,"vector":[1,"x"]}', /line 1: vector component 1 is the string "x"/, 'DimensionMismatch'],
    [
      '{"id":1,"vector":[1,1e39]}',
      /line 1: vector component 1 is the number 1e\+39, not a finite float32/,
      'DimensionMismatch',
    ],
    [
      '{"id":1,"vector":[1,0],"metadata":{"ok":true}}',
      /line 1: metadata field 'ok' is the boolean true/,
      'InvalidMetadata',
    ],
  ])('NDJSON %j', (input, message, name) => {
    const p = join(dir, `nd-${Math.random().toString(36).slice(2)}.rvf`);
    rvfJson('create', p, '--dim', '2');
    const e = rvfFails(2, ['ingest', p, '-', '--format', 'ndjson'], { input });
    expect(e.name).toBe(name);
    expect(e.message).toMatch(/^stdin /);
    expect(e.message).toMatch(message);
  });

  it('a store held by another writer is LockHeld', async () => {
    // An ingest reading stdin holds the writer lock until its input ends.
    const holder = spawn(process.execPath, [CLI, 'ingest', store, '-', '--format', 'ndjson'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    holder.stdin.write(`${JSON.stringify({ id: 50, vector: [1, 1, 1] })}\n`);
    const deadline = Date.now() + 20_000;
    while (!existsSync(`${store}.lock`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const e = rvfFails(2, ['delete', store, '--ids', '1']);
    holder.stdin.end();
    await once(holder, 'exit');
    expect(e.name).toBe('LockHeld');
    expect(holder.exitCode).toBe(0);
    expect(rvfJson('status', store).totalVectors).toBe(3);
  });
});
