export { type AuditReport, audit } from './audit.js';
export { type BranchOptions, branch } from './branch.js';
export {
  type ConditionalResult,
  type ObjectStore,
  objectStore,
  putConditional,
  type S3ConnectOptions,
  s3Client,
} from './bucket.js';
export { checkout } from './checkout.js';
export { compactNamespace, type NamespaceCompactResult } from './compact.js';
export { type CopyOptions, copy } from './copy.js';
export { type DeleteNamespaceResult, deleteNamespace } from './delete.js';
export { exportNamespace } from './export.js';
export { checkName, isNamespaceUrl, type NamespaceAddress, parseNamespaceUrl } from './layout.js';
export { describeNamespace, listNamespaces } from './list.js';
export type { LockOptions } from './lock.js';
export {
  type Lineage,
  type NamespaceManifest,
  type ObjectRef,
  type ReadManifest,
  readManifest,
  type Version,
  writeManifest,
} from './manifest.js';
export {
  type NamespaceReadOptions,
  namespaceFileSystem,
  namespacePath,
  openNamespace,
} from './namespace-file-system.js';
export { type PublishOptions, type PublishResult, publish } from './publish.js';
