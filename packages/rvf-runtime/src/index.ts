export { RvfStore } from './store.js';
export type {
  CompactResult,
  CreateOptions,
  DeleteResult,
  IngestOptions,
  IngestResult,
  OpenOptions,
  QueryOptions,
  QueryResult,
  SegmentInfo,
  StoreStatus,
} from './store.js';
export { F, parseFilter, matches } from './filter.js';
export type { Filter, FilterInput } from './filter.js';
export type { FlatMetaEntry, MetadataInput, MetaObject, MetaScalar } from './metadata.js';
export type { IdInput, IdKey } from './ids.js';
export type { VectorInput, VectorsInput } from './vectors-input.js';
export type { WitnessReport } from './witness.js';
export type { LockOptions } from './lock.js';
export type { ExportRecord } from './ndjson.js';
export type { BranchOptions, CowStats, MembershipInfo } from './store.js';
