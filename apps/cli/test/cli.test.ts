import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rvf-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rvf = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' }));

describe('rvf command', () => {
  it('create → ingest → filtered query → branch → export → verify → inspect', () => {
    const path = join(dir, 'a.rvf');
    expect(rvf('create', path, '--dim', '2', '--metric', 'l2')).toMatchObject({
      dimension: 2,
      currentEpoch: 0,
    });
    const nd = join(dir, 'in.ndjson');
    writeFileSync(
      nd,
      Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ id: i, vector: [i, 0], metadata: { even: i % 2 === 0 ? 'y' : 'n' } }),
      ).join('\n'),
    );
    expect(rvf('ingest', path, nd, '--batch', '20')).toEqual({ accepted: 50, epoch: 3 });
    const hits = rvf(
      'query',
      path,
      '-v',
      '[10.2, 0]',
      '-k',
      '3',
      '-f',
      '{"op":"eq","field":"even","value":"n"}',
    );
    expect(hits.map((h: { id: number }) => h.id)).toEqual([11, 9, 13]);
    expect(rvf('delete', path, '--ids', '11,9')).toEqual({ deleted: 2, epoch: 4 });
    const child = join(dir, 'a-child.rvf');
    expect(rvf('branch', path, child)).toMatchObject({ lineageDepth: 1 });
    expect(rvf('status', child)).toMatchObject({ totalVectors: 48, ownVectors: 0, lineageDepth: 1 });
    const out = join(dir, 'out.ndjson');
    expect(rvf('export', child, out)).toEqual({ exported: 48 });
    expect(rvf('verify', path)).toMatchObject({ valid: true, entries: 4 });
    const ins = rvf('inspect', path);
    expect(ins.rows.filter((r: { type?: string }) => r.type === 'vec').length).toBe(3);
    expect(ins.rows.every((r: { hash?: string }) => r.hash !== 'mismatch')).toBe(true);
  });

  it('reports RvfErrors on stderr with exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'query', join(dir, 'missing.rvf'), '-v', '[1]'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ManifestNotFound: .*does not exist/);
    const bad = spawnSync(process.execPath, [CLI, 'create', join(dir, 'z.rvf'), '--dim', '0'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/InvalidArgument/);
  });

  it('the demo runs the whole story and checks itself', async () => {
    const lines: string[] = [];
    const demoDir = mkdtempSync(join(dir, 'demo-'));
    const r = await runDemo({ dir: demoDir, count: 2000, dimension: 16, log: (l) => lines.push(l) });
    expect(r.hits.length).toBe(5);
    expect(r.hits.every((h) => h.metadata?.category === 'books' && (h.metadata.price as number) < 50)).toBe(
      true,
    );
    expect(lines.join('\n')).toMatch(/parent results identical, branch results identical/);
  });
});

describe('rvf export to stdout', () => {
  it('prints only NDJSON on stdout, pipeable into rvf ingest', () => {
    const src = join(dir, 'pipe-src.rvf');
    const dst = join(dir, 'pipe-dst.rvf');
    rvf('create', src, '--dim', '2');
    const nd = join(dir, 'pipe.ndjson');
    writeFileSync(
      nd,
      [0, 1, 2].map((i) => JSON.stringify({ id: i, vector: [i, i], metadata: { k: 'v' } })).join('\n'),
    );
    rvf('ingest', src, nd);
    const r = spawnSync(process.execPath, [CLI, 'export', src], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/exported 3 records/);
    rvf('create', dst, '--dim', '2');
    const ing = spawnSync(process.execPath, [CLI, 'ingest', dst, '-'], { input: r.stdout, encoding: 'utf8' });
    expect(JSON.parse(ing.stdout)).toEqual({ accepted: 3, epoch: 1 });
  });

  it('ingest saves the HNSW graph at close with a progress bar, or defers it with --defer-index', () => {
    const nd = join(dir, 'many.ndjson');
    writeFileSync(
      nd,
      Array.from({ length: 1500 }, (_, i) =>
        JSON.stringify({ id: i, vector: [Math.sin(i), Math.cos(i * 1.3), (i % 17) / 17] }),
      ).join('\n'),
    );
    const graphs = (path: string) =>
      (rvf('segments', path) as { type?: string; segType?: string }[]).filter(
        (x) => (x.type ?? x.segType) === 'rvfjs_hnsw_graph',
      ).length;
    const shown = join(dir, 'shown.rvf');
    rvf('create', shown, '--dim', '3');
    const run = spawnSync(process.execPath, [CLI, 'ingest', shown, nd, '--progress'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ accepted: 1500 });
    expect(run.stderr).toMatch(/HNSW graph .*1500\/1500 vectors/);
    expect(graphs(shown)).toBe(1);

    const deferred = join(dir, 'deferred.rvf');
    rvf('create', deferred, '--dim', '3');
    expect(rvf('ingest', deferred, nd, '--defer-index')).toMatchObject({ accepted: 1500 });
    expect(graphs(deferred)).toBe(0);
  });
});
