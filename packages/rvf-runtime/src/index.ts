export type { StoreFileHandle, StoreFileSystem } from './file-system.js';
export type { Filter, FilterInput } from './filter.js';
export { F, matches, parseFilter } from './filter.js';
export type { IdInput, IdKey } from './ids.js';
export type { DamagedSegment } from './loader.js';
export { nodeFileSystem } from './local-file-system.js';
export type { LockOptions } from './lock.js';
export type { FlatMetaEntry, MetadataInput, MetaObject, MetaScalar } from './metadata.js';
export type { ExportRecord } from './ndjson.js';
export type { EngineStatus, IndexProgress, QueryEngineName } from './query-engine.js';
export {
  type HttpStoreOptions,
  httpFileSystem,
  type OpenedSource,
  type S3StoreOptions,
  s3FileSystem,
  sourceFileSystem,
} from './remote-file-system.js';
export type { SignatureFailure, SignatureReport } from './signing.js';
export type {
  BranchOptions,
  CompactResult,
  CowStats,
  CreateOptions,
  DeleteResult,
  IngestOptions,
  IngestResult,
  MembershipInfo,
  OpenOptions,
  QueryOptions,
  QueryResult,
  SegmentInfo,
  StoreStatus,
} from './store.js';
export { RvfStore } from './store.js';
export type { VectorInput, VectorsInput } from './vectors-input.js';
export type { WitnessLinkReport, WitnessReport } from './witness.js';
