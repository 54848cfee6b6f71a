import type { CreateOptions } from '@rvfjs/runtime';
import { isMetric, type Metric, rvfError } from '@rvfjs/types';

/**
 * Bounds of the options a store is created with. The library accepts any positive m and ef
 * and checks the HNSW bounds only when it first builds a graph, after vectors were committed
 * (m above 10 000 then fails in the background); the server checks them all before a file is
 * made. m and ef are bounded tighter than the library's format allows, by what one server
 * should spend: hnswlib keeps 2·m links of 4 bytes per vector at level 0, and ef candidates
 * per insert or query.
 */
export const STORE_OPTION_BOUNDS = {
  dimension: { min: 1, max: 0xffff },
  profile: { min: 0, max: 0xff },
  m: { min: 2, max: 256 },
  efConstruction: { min: 1, max: 10_000 },
  efSearch: { min: 1, max: 10_000 },
} as const;

type BoundedOption = keyof typeof STORE_OPTION_BOUNDS;

export interface CreateRequest {
  dimension: number;
  metric?: string;
  profile?: number;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

/** An integer within the option's bounds, or an InvalidArgument naming the option and the value. */
export function checkBounded(name: BoundedOption, value: unknown): number {
  const { min, max } = STORE_OPTION_BOUNDS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw rvfError(
      'InvalidArgument',
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** Every create option checked, as the library's CreateOptions; nothing is written before this. */
export function checkCreateOptions(request: CreateRequest): CreateOptions {
  const opts: CreateOptions = { dimension: checkBounded('dimension', request.dimension) };
  if (request.metric !== undefined) {
    if (!isMetric(request.metric)) {
      throw rvfError(
        'MetricUnsupported',
        `unknown metric '${String(request.metric)}' (l2, inner_product, cosine)`,
      );
    }
    opts.metric = request.metric as Metric;
  }
  if (request.profile !== undefined) opts.profile = checkBounded('profile', request.profile);
  if (request.m !== undefined) opts.m = checkBounded('m', request.m);
  if (request.efConstruction !== undefined)
    opts.efConstruction = checkBounded('efConstruction', request.efConstruction);
  if (request.efSearch !== undefined) opts.efSearch = checkBounded('efSearch', request.efSearch);
  return opts;
}

/** The server-wide indexThreshold (a handle option, not stored in the file): 0 up to 2^31 − 1. */
export function checkIndexThreshold(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw rvfError(
      'InvalidArgument',
      `indexThreshold must be an integer from 0 to ${0x7fffffff}, got ${String(value)}`,
    );
  }
  return value;
}
