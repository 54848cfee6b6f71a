export type OpKind = 'ingest' | 'delete' | 'compact';
export type Meta = { n: number; tag: 'a' | 'b'; w: number; c?: number };
export type Op =
  | { kind: 'ingest'; ids: number[]; vectors: number[][]; metadata: (Meta | null)[] | undefined }
  | { kind: 'delete'; ids: number[] }
  | { kind: 'compact' };

export const DIMENSION: number;
export const ID_SPACE: number;
export const BIG_ID_BASE: number;
export const BIG_ID_SPACE: number;
export const BRANCH_BIG_ID_BASE: number;
export interface Workload {
  idSpace: number;
  bigIdBase: number;
  bigIdSpace: number;
  bigEvery: number;
  ingest: [number, number];
  remove: [number, number];
  extraField?: string;
}
export const WORKLOADS: { root: Workload; parent: Workload; branch: Workload };
export function hash(...xs: number[]): number;
export function opKind(n: number): OpKind;
export function reopensAfter(n: number): boolean;
export function vectorFor(seed: number, n: number, id: number): number[];
export function opAt(seed: number, n: number, workload?: Workload): Op;
export type Entry = { vector: number[]; metadata?: Meta };
export class Model {
  constructor(seed: number, options?: { workload?: Workload; base?: Iterable<[number, Entry]> });
  readonly seed: number;
  readonly workload: Workload;
  epoch: number;
  live: Map<number, Entry>;
  advanceTo(epoch: number): void;
  apply(op: Op): void;
}
