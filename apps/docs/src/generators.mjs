/**
 * Every `<!-- generate: name -->` directive the pages may use, by name. Each generator returns
 * Markdown built at build time from the code or data it documents, so the page cannot drift.
 */
import { benchmarkCharts } from './bench-charts.mjs';
import { cliReference } from './cli-reference.mjs';
import { errorTable } from './error-table.mjs';
import { exampleGenerators } from './example-pages.mjs';
import { httpReference } from './http-reference.mjs';
import { segmentTypeTable } from './segment-types.mjs';

export const GENERATORS = {
  'error-table': errorTable,
  'segment-types': segmentTypeTable,
  'cli-reference': cliReference,
  'http-reference': httpReference,
  'benchmark-charts': benchmarkCharts,
  ...exampleGenerators(),
};
