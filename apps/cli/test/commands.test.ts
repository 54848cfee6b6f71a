import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, makeStore, run, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('commands');

const songs = [
  { id: 1, vector: [1, 0, 0], metadata: { genre: 'jazz', price: 12 } },
  { id: 2, vector: [0.9, 0.1, 0], metadata: { genre: 'rock', price: 8 } },
  { id: 3, vector: [0.7, 0.7, 0], metadata: { genre: 'jazz', price: 30 } },
  { id: 4, vector: [0, 1, 0], metadata: { genre: 'pop', price: 5 } },
];

describe('create and status', () => {
  it('create prints the store as a table, or its status document with --json', () => {
    const human = run(['create', join(dir, 'c1.rvf'), '--dim', '3', '--metric', 'cosine']);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^Created .*c1\.rvf\n/);
    expect(human.stdout).toMatch(/dimension: +3 \(cosine\)/);
    expect(human.stdout).toMatch(/writable: +yes/);

    const doc = rvfJson('create', join(dir, 'c2.rvf'), '--dim', '4', '--m', '8', '--ef-construction', '50');
    expect(doc).toMatchObject({
      path: join(dir, 'c2.rvf'),
      dimension: 4,
      metric: 'l2',
      totalVectors: 0,
      currentEpoch: 0,
      readOnly: false,
      frozen: false,
      parentId: null,
      lineageDepth: 0,
      fieldNames: [],
      cow: null,
      membership: null,
    });
    expect(doc.fileId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('status reports a writable store as writable, and a frozen one as read-only', () => {
    const path = join(dir, 'status.rvf');
    makeStore(path, 3, songs);
    const before = rvfJson('status', path);
    expect(before).toMatchObject({ readOnly: false, frozen: false, totalVectors: 4, ownVectors: 4 });
    expect(before.fieldNames.map((f: { name: string }) => f.name).sort()).toEqual(['genre', 'price']);
    expect(Object.keys(before).sort()).toEqual(
      [
        'path',
        'fileId',
        'parentId',
        'lineageDepth',
        'dimension',
        'metric',
        'profileId',
        'totalVectors',
        'ownVectors',
        'totalSegments',
        'fileSize',
        'currentEpoch',
        'deadSpaceRatio',
        'readOnly',
        'frozen',
        'index',
        'fieldNames',
        'cow',
        'membership',
      ].sort(),
    );
    const human = run(['status', path]);
    expect(human.stdout).toMatch(/vectors: +4 visible, 4 stored in this file/);
    expect(human.stdout).toMatch(/fields: +genre, price/);

    expect(rvfJson('freeze', path)).toEqual({ epoch: before.currentEpoch, frozen: true });
    expect(rvfJson('status', path)).toMatchObject({ readOnly: true, frozen: true });
    expect(run(['status', path]).stdout).toMatch(/writable: +no \(frozen snapshot\)/);
  });
});

describe('query and delete', () => {
  const path = join(dir, 'q.rvf');
  makeStore(path, 3, songs);

  it('query prints an aligned table by default and { results } with --json', () => {
    const r = run([
      'query',
      path,
      '-v',
      '[1,0,0]',
      '-k',
      '2',
      '-f',
      '{"op":"eq","field":"genre","value":"jazz"}',
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+id\s+distance\s+metadata$/);
    expect(lines[1]).toMatch(/^1\s+1\s+0\s+genre="jazz" price=12$/);
    expect(lines[2]).toMatch(/^2\s+3\s+[\d.]+\s+genre="jazz" price=30$/);
    // Columns line up: the distance column ends at the same place on every row.
    const end = (l: string) => l.indexOf('distance') + 'distance'.length;
    expect(lines[1]!.slice(0, end(lines[0]!)).trimEnd().length).toBe(end(lines[0]!));

    const doc = rvfJson('query', path, '-v', '1,0,0', '-k', '3');
    expect(doc.results.map((h: { id: number }) => h.id)).toEqual([1, 2, 3]);
    expect(doc.results[0]).toEqual({ id: 1, distance: 0, metadata: { genre: 'jazz', price: 12 } });
  });

  it('query with --ef and --plan exact gives the same answer', () => {
    const exact = rvfJson('query', path, '-v', '0,1,0', '-k', '2', '--plan', 'exact', '--ef', '20');
    expect(exact.results.map((h: { id: number }) => h.id)).toEqual([4, 3]);
  });

  it('an empty answer reads "no results"', () => {
    const r = run(['query', path, '-v', '1,0,0', '-f', '{"op":"gt","field":"price","value":1000}']);
    expect(r.stdout).toBe('no results\n');
  });

  it('delete by ids and by filter', () => {
    const p = join(dir, 'del.rvf');
    makeStore(p, 3, songs);
    expect(run(['delete', p, '--ids', '2']).stdout).toBe('Deleted 1 vector (epoch 2)\n');
    expect(rvfJson('delete', p, '-f', '{"op":"eq","field":"genre","value":"jazz"}')).toEqual({
      deleted: 2,
      epoch: 3,
    });
    expect(rvfJson('status', p).totalVectors).toBe(1);
  });
});

describe('compact', () => {
  it('reports the vectors it removed as vectorsRemoved, with measured file sizes', () => {
    const path = join(dir, 'compact.rvf');
    const many = Array.from({ length: 200 }, (_, i) => ({ id: i, vector: [i, i % 7, 1] }));
    makeStore(path, 3, many);
    rvfJson('delete', path, '--ids', Array.from({ length: 50 }, (_, i) => String(i * 2)).join(','));
    const before = rvfJson('status', path).fileSize;
    const doc = rvfJson('compact', path);
    expect(Object.keys(doc).sort()).toEqual(
      ['bytesReclaimed', 'epoch', 'fileSizeAfter', 'fileSizeBefore', 'vectorsRemoved'].sort(),
    );
    expect(doc.vectorsRemoved).toBe(50);
    expect(doc.fileSizeBefore).toBe(before);
    expect(doc.fileSizeAfter).toBe(rvfJson('status', path).fileSize);
    expect(doc.bytesReclaimed).toBe(doc.fileSizeBefore - doc.fileSizeAfter);
    expect(doc.bytesReclaimed).toBeGreaterThan(0);
    // Compacting again has nothing to remove.
    expect(rvfJson('compact', path).vectorsRemoved).toBe(0);
    expect(run(['compact', path]).stdout).toMatch(/^Compacted .*: removed 0 deleted vectors; /);
  });

  it('refuses a store with branch children unless --force', () => {
    const path = join(dir, 'compact-parent.rvf');
    makeStore(path, 3, songs);
    rvfJson('branch', path, join(dir, 'compact-child.rvf'));
    const r = run(['compact', path]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/LineageBroken/);
    expect(rvfJson('compact', path, '--force').vectorsRemoved).toBe(0);
  });
});

describe('segments, branch, export', () => {
  const path = join(dir, 'sbe.rvf');
  makeStore(path, 3, songs);

  it('segments lists the manifest directory', () => {
    const doc = rvfJson('segments', path);
    expect(doc.segments.length).toBeGreaterThan(0);
    expect(doc.segments[0]).toEqual({
      id: expect.any(Number),
      type: expect.any(String),
      offset: expect.any(Number),
      payloadLength: expect.any(Number),
    });
    expect(doc.segments.map((s: { type: string }) => s.type)).toContain('vec');
    const human = run(['segments', path]).stdout.split('\n');
    expect(human[0]).toMatch(/^id\s+type\s+offset\s+length$/);
    expect(human.some((l) => /^\s*\d+\s+vec\s+\d+\s+\d+$/.test(l))).toBe(true);
  });

  it('branch makes a child that sees the parent and keeps its own edits', () => {
    const child = join(dir, 'sbe-child.rvf');
    const doc = rvfJson('branch', path, child);
    expect(doc).toMatchObject({ path, child, lineageDepth: 1 });
    expect(doc.parentId).toBe(rvfJson('status', path).fileId);
    expect(rvfJson('status', child)).toMatchObject({ totalVectors: 4, ownVectors: 0, lineageDepth: 1 });
    rvfJson('delete', child, '--ids', '1');
    expect(rvfJson('status', child).totalVectors).toBe(3);
    expect(rvfJson('status', path).totalVectors).toBe(4);
    expect(run(['branch', path, join(dir, 'sbe-child2.rvf')]).stdout).toMatch(
      /^Branched .* -> .*sbe-child2\.rvf\n/,
    );
  });

  it('export writes NDJSON to a file, or to stdout with the summary on stderr, pipeable into ingest', () => {
    const out = join(dir, 'export.ndjson');
    expect(rvfJson('export', path, out)).toEqual({ exported: 4, output: out });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).id).sort()).toEqual([1, 2, 3, 4]);

    const piped = run(['export', path]);
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('Exported 4 records\n');
    expect(piped.stdout.trimEnd().split('\n').length).toBe(4);
    const json = run(['export', path, '--json']);
    expect(JSON.parse(json.stderr)).toEqual({ exported: 4, output: null });

    const copy = join(dir, 'copy.rvf');
    rvfJson('create', copy, '--dim', '3');
    const ingest = run(['ingest', copy, '-', '--json'], { input: piped.stdout });
    expect(JSON.parse(ingest.stdout)).toMatchObject({ accepted: 4, format: 'ndjson', input: 'stdin' });
    expect(rvfJson('query', copy, '-v', '1,0,0', '-k', '1').results[0].metadata).toEqual({
      genre: 'jazz',
      price: 12,
    });
  });
});

describe('output into a pipe that closes early', () => {
  it('export and query stop quietly with exit code 0, as Unix filters do', () => {
    const path = join(dir, 'pipe.rvf');
    makeStore(
      path,
      2,
      Array.from({ length: 20_000 }, (_, i) => ({ id: i, vector: [i, 1] })),
    );
    for (const args of ['export', 'query -v 1,1 -k 20000 --json']) {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `set -o pipefail; "${process.execPath}" "${CLI}" ${args.replace(/^(\w+)/, `$1 "${path}"`)} | head -c 100`,
        ],
        {
          encoding: 'utf8',
        },
      );
      expect(r.status, `${args}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length).toBe(100);
      expect(r.stderr).toBe('');
    }
  });
});

describe('demo', () => {
  const demoTemps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('rvf-demo-'));

  it('runs in a temporary folder by default and removes it', () => {
    const before = new Set(demoTemps());
    const r = run(['demo', '--count', '1500', '--dim', '8']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/parent results identical, branch results identical/);
    expect(r.stdout).toMatch(/temporary folder .* removed/);
    const dirLine = /rvfjs demo in (\S+)/.exec(r.stdout)![1]!;
    expect(existsSync(dirLine)).toBe(false);
    expect(demoTemps().filter((n) => !before.has(n))).toEqual([]);
  });

  it('creates a folder that does not exist, keeps its files there, and refuses to run over them', () => {
    const target = join(dir, 'no', 'such', 'folder');
    const doc = rvfJson('demo', target, '--count', '1200', '--dim', '4');
    expect(doc).toMatchObject({ dir: target, kept: true });
    expect(doc.hits.length).toBe(5);
    expect(doc.hits.every((h: { metadata: { category: string } }) => h.metadata.category === 'books')).toBe(
      true,
    );
    expect(readdirSync(target).sort()).toEqual(['catalog-experiment.rvf', 'catalog.rvf']);
    const again = run(['demo', target, '--count', '10']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/PathExists: .*catalog\.rvf already exists/);
  });
});

describe('help and version', () => {
  it('exit 0 and name every command', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const c of [
      'create',
      'ingest',
      'query',
      'delete',
      'compact',
      'freeze',
      'status',
      'segments',
      'inspect',
      'verify',
      'branch',
      'export',
      'demo',
    ]) {
      expect(help.stdout).toContain(c);
    }
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const ingestHelp = run(['ingest', '--help']).stdout;
    for (const o of [
      '--format',
      '--id-column',
      '--vector-columns',
      '--metadata-columns',
      '--json',
      '--progress',
    ]) {
      expect(ingestHelp).toContain(o);
    }
  });
});
