/** Distance metrics and their manifest byte (spec §7, byte 19). */
export const MetricCode = { l2: 0, inner_product: 1, cosine: 2 } as const;
/** A distance metric: `l2` (squared Euclidean), `inner_product` or `cosine`. */
export type Metric = keyof typeof MetricCode;
/** Every metric, in code order. */
export const METRICS: readonly Metric[] = ['l2', 'inner_product', 'cosine'];

/** The reference loads any unknown metric byte as L2. */
export function metricFromCode(code: number): Metric {
  return code === 1 ? 'inner_product' : code === 2 ? 'cosine' : 'l2';
}

/** True when `value` is the name of a metric. */
export function isMetric(value: unknown): value is Metric {
  return value === 'l2' || value === 'inner_product' || value === 'cosine';
}
