/**
 * Segment type codes. The reference's codes come first; rvfjs's own extension segments
 * live in 0x40..0x4F, a range the reference neither defines nor interprets: it lists them
 * in the manifest directory, ignores them on load and copies them verbatim on compaction.
 */
export const SegmentType = {
  Invalid: 0x00,
  Vec: 0x01,
  Index: 0x02,
  Overlay: 0x03,
  Journal: 0x04,
  Manifest: 0x05,
  Quant: 0x06,
  Meta: 0x07,
  Hot: 0x08,
  Sketch: 0x09,
  Witness: 0x0a,
  Profile: 0x0b,
  Crypto: 0x0c,
  MetaIdx: 0x0d,
  Kernel: 0x0e,
  Ebpf: 0x0f,
  Wasm: 0x10,
  Dashboard: 0x11,
  CowMap: 0x20,
  Refcount: 0x21,
  Membership: 0x22,
  Delta: 0x23,
  TransferPrior: 0x30,
  PolicyKernel: 0x31,
  CostCurve: 0x32,
  FederatedManifest: 0x33,
  DiffPrivacyProof: 0x34,
  RedactionLog: 0x35,
  AggregateWeights: 0x36,
  // rvfjs extensions (see extensions.ts for what each carries)
  RvfjsMetadata: 0x40,
  RvfjsFieldNames: 0x41,
  RvfjsHnswGraph: 0x42,
  RvfjsState: 0x43,
  RvfjsSignature: 0x44,
  RvfjsBranchPin: 0x45,
} as const;

/** The constant name of a segment type (`Vec`, `Manifest`, ...). */
export type SegmentTypeName = keyof typeof SegmentType;
/** The byte of a segment type the format defines. */
export type SegmentTypeCode = (typeof SegmentType)[SegmentTypeName];

/** Names as the reference binding's `segments()` prints them (`vec`, `cow_map`, ...). */
const bindingNames: Record<number, string> = {
  1: 'vec',
  2: 'index',
  3: 'overlay',
  4: 'journal',
  5: 'manifest',
  6: 'quant',
  7: 'meta',
  8: 'hot',
  9: 'sketch',
  10: 'witness',
  11: 'profile',
  12: 'crypto',
  13: 'meta_idx',
  14: 'kernel',
  15: 'ebpf',
  16: 'wasm',
  17: 'dashboard',
  32: 'cow_map',
  33: 'refcount',
  34: 'membership',
  35: 'delta',
  48: 'transfer_prior',
  49: 'policy_kernel',
  50: 'cost_curve',
  51: 'federated_manifest',
  52: 'diff_privacy_proof',
  53: 'redaction_log',
  54: 'aggregate_weights',
  64: 'rvfjs_metadata',
  65: 'rvfjs_field_names',
  66: 'rvfjs_hnsw_graph',
  67: 'rvfjs_state',
  68: 'rvfjs_signature',
  69: 'rvfjs_branch_pin',
};

/** `vec`, `manifest`, ... or `unknown(0xNN)` for a code nobody defines. */
export function segmentTypeName(code: number): string {
  return bindingNames[code] ?? `unknown(0x${code.toString(16).padStart(2, '0')})`;
}

/** True for the codes this package names (the reference's and rvfjs's own). */
export function isKnownSegmentType(code: number): boolean {
  return code in bindingNames;
}

/** rvfjs extension codes; the reference treats all of them as unknown-and-preserved. */
export function isRvfjsExtension(code: number): boolean {
  return code >= 0x40 && code <= 0x4f;
}
