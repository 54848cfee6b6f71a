/**
 * The benchmark page plots the committed results: one SVG per chart, drawn at build time from
 * bench/results/*.json, each stating the machine and date of its run, each data point of the
 * file in the picture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CHARTS } from '../src/bench-charts.mjs';
import { provenance } from '../src/bench-provenance.mjs';
import { mainOf, REPO_DIR, read } from './helpers.js';

const { outDir } = inject('site');
const results = (file: string) => join(REPO_DIR, 'bench', 'results', file);

describe('the benchmarks page', () => {
  const page = mainOf(read(join(outDir, 'benchmarks.html')));

  it('covers query latency and recall against hnswlib-node and the reference, cold start, branches, ingest and remote open', () => {
    const ids = CHARTS.map((c: { id: string }) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'query-vs-hnswlib',
        'query-vs-reference',
        'cold-start',
        'branch-cost',
        'ingest-rate',
        'remote-open',
      ]),
    );
  });

  it.each(CHARTS.map((c: { id: string }) => [c.id, c]))(
    '%s: an SVG with every data point, the machine and the date',
    (id, chart) => {
      const c = chart as { id: string; file: string; rows: (j: unknown) => Record<string, unknown>[] };
      expect(page).toContain(`src="/bench/${id}.svg"`);
      const svg = read(join(outDir, 'bench', `${id}.svg`));
      expect(svg.startsWith('<svg')).toBe(true);
      const json = JSON.parse(readFileSync(results(c.file), 'utf8'));
      const prov = provenance(REPO_DIR, results(c.file), json);
      expect(prov.date).toMatch(/^\d{4}-\d{2}-\d{2}/);
      // The subtitle carries the machine and the date (SVG text is XML-escaped).
      const plain = svg.replace(/&amp;/g, '&').replace(/&gt;/g, '>');
      expect(plain).toContain(prov.machine);
      expect(plain).toContain(prov.date);
      expect(plain).toContain(`source: bench/results/${c.file}`);
      // Every row is a mark whose accessible label carries its value.
      const rows = c.rows(json);
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows) expect(svg, `${id}: ${JSON.stringify(row)}`).toContain(`: ${row.value}; `);
    },
  );

  it('draws the numbers the files hold (a spot check against the raw JSON)', () => {
    const cold = JSON.parse(readFileSync(results('cold-start.json'), 'utf8'));
    const s = cold.sizes.find((x: { n: number }) => x.n === 100000);
    const svg = read(join(outDir, 'bench', 'query-vs-hnswlib.svg'));
    expect(svg).toContain(`value: ${Number(s.query.ours.p50.toPrecision(3))}; engine: rvfjs`);
    expect(svg).toContain(`value: ${Number(s.query.raw.p50.toPrecision(3))}; engine: raw hnswlib-node`);
  });
});
