import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, run, rvfJson, tempDir } from './run-cli.js';

const dir = tempDir('progress');
const input = join(dir, 'many.ndjson');
// Enough vectors for the store to build an HNSW graph at close (its threshold is 1,024).
writeFileSync(
  input,
  Array.from({ length: 3000 }, (_, i) =>
    JSON.stringify({
      id: i,
      vector: [Math.sin(i), Math.cos(i * 1.3), (i % 17) / 17],
      metadata: { even: i % 2 },
    }),
  ).join('\n'),
);

function storeWithData(name: string): string {
  const path = join(dir, name);
  rvfJson('create', path, '--dim', '3');
  rvfJson('ingest', path, input);
  return path;
}

/** A bar line: label, percentage, bar, count, rate and ETA. */
const bar = (label: string, unit: string) =>
  new RegExp(
    `${label} +\\d+% \\[[\u2588\u2591]+\\] [\\d,.]+(/[\\d,.]+)?( [KMG]?i?B)?${unit ? ` ${unit}` : ''}.* +[\\d,.]+( [KMG]?i?B)?/s +ETA \\d+:\\d\\d`,
  );

describe('progress bars', () => {
  it('are silent when stderr is not a terminal', () => {
    const path = join(dir, 'quiet.rvf');
    rvfJson('create', path, '--dim', '3');
    for (const args of [
      ['ingest', path, input],
      ['export', path, join(dir, 'quiet.ndjson')],
      ['verify', path],
      ['inspect', path],
      ['delete', path, '--ids', '1,2,3'],
      ['compact', path],
    ]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });

  it('--progress shows ingest and the HNSW graph with rate and ETA, result last on stdout', () => {
    const path = join(dir, 'ingest.rvf');
    rvfJson('create', path, '--dim', '3');
    const r = run(['ingest', path, input, '--progress']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(bar('Ingesting', 'records'));
    expect(r.stderr).toMatch(/Ingesting 100% .* 3,000 records/);
    expect(r.stderr).toMatch(bar('HNSW graph', 'vectors'));
    expect(r.stderr).toMatch(/HNSW graph 100% .* 3,000\/3,000 vectors/);
    expect(r.stdout).toMatch(/^Ingested 3,000 records from .*many\.ndjson \(ndjson\) in 1 batch/);
    // The graph was saved at close.
    const types = rvfJson('segments', path).segments.map((s: { type: string }) => s.type);
    expect(types).toContain('rvfjs_hnsw_graph');
  });

  it('ingest from stdin (no known size) counts records and rate without a bar', () => {
    const path = join(dir, 'stdin.rvf');
    rvfJson('create', path, '--dim', '3');
    const r = spawnSync(process.execPath, [CLI, 'ingest', path, '-', '--progress', '--defer-index'], {
      input: readFileSync(input, 'utf8'),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/Ingesting 3,000 records +[\d,]+\/s +\d+:\d\d/);
    // --defer-index leaves the graph to a later writer: no graph bar.
    expect(r.stderr).not.toMatch(/HNSW graph/);
  });

  it('--progress shows export, verify, inspect and compact', () => {
    const path = storeWithData('others.rvf');
    expect(run(['export', path, join(dir, 'others.ndjson'), '--progress']).stderr).toMatch(
      /Exporting 100% \[[\u2588]+\] 3,000\/3,000 vectors +[\d,]+\/s +ETA \d+:\d\d/,
    );
    expect(run(['verify', path, '--progress']).stderr).toMatch(
      /Verifying 100% \[[\u2588]+\] [\d.]+ [KM]iB\/[\d.]+ [KM]iB +[\d.]+ [KMG]?i?B\/s +ETA \d+:\d\d/,
    );
    expect(run(['inspect', path, '--progress']).stderr).toMatch(/Inspecting 100% \[[\u2588]+\] /);
    rvfJson('delete', path, '-f', '{"op":"eq","field":"even","value":1}');
    const compact = run(['compact', path, '--progress']);
    // Bytes of the new file, with a rate and an ETA, up to all of it.
    expect(compact.stderr).toMatch(
      /Compacting 100% \[[\u2588]+\] [\d.]+ [KM]?i?B\/[\d.]+ [KM]?i?B +[\d.]+ [KMG]?i?B\/s +ETA \d+:\d\d/,
    );
    expect(compact.stdout).toMatch(/removed 1,500 deleted vectors/);
  });

  it('--no-progress wins over a terminal, and a terminal shows bars by default', () => {
    // `script` runs the command on a pseudo-terminal, as a person's shell would.
    const path = join(dir, 'tty.rvf');
    rvfJson('create', path, '--dim', '3');
    const onTty = (args: string) =>
      spawnSync('script', ['-qec', `${process.execPath} ${CLI} ${args}`, '/dev/null'], { encoding: 'utf8' });
    const shown = onTty(`ingest ${path} ${input}`);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/Ingesting +\d+% \[/);
    expect(shown.stdout).toMatch(/Ingested 3,000 records/);
    const hidden = onTty(`export ${path} ${join(dir, 'tty.ndjson')} --no-progress`);
    expect(hidden.status).toBe(0);
    expect(hidden.stdout).not.toMatch(/Exporting/);
    expect(hidden.stdout).toMatch(/Exported 3,000 records/);
  });
});
