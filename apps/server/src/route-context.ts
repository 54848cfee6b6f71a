import type { RvfStore } from '@rvfjs/runtime';
import type { Limits } from './limits.js';
import type { ServerMetrics } from './metrics.js';
import type { StoreRegistry } from './registry.js';

/** What the route modules share: the stores, the limits, the metrics. */
export interface RouteContext {
  registry: StoreRegistry;
  limits: Limits;
  metrics: ServerMetrics;
  /** Handle options every store is created with (the server's indexThreshold). */
  handleOptions: { indexThreshold?: number };
}

/** Everything GET /stores/:name reports. */
export function describeStore(registry: StoreRegistry, name: string, store: RvfStore) {
  return {
    name,
    ...store.status(),
    fileId: store.fileId,
    parentId: store.parentId,
    /** The parent store's name when it lives in this data directory. */
    parent: store.parentPath ? (registry.nameOf(store.parentPath) ?? null) : null,
    lineageDepth: store.lineageDepth,
    fieldNames: store.fieldNames(),
    cowStats: store.cowStats() ?? null,
    membershipFilter: store.membershipFilter() ?? null,
  };
}
