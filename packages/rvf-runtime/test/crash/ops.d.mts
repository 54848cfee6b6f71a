export type OpKind = 'ingest' | 'delete' | 'compact';
export type Meta = { n: number; tag: 'a' | 'b'; w: number };
export type Op =
  | { kind: 'ingest'; ids: number[]; vectors: number[][]; metadata: (Meta | null)[] | undefined }
  | { kind: 'delete'; ids: number[] }
  | { kind: 'compact' };

export const DIMENSION: number;
export const ID_SPACE: number;
export const BIG_ID_BASE: number;
export const BIG_ID_SPACE: number;
export function hash(...xs: number[]): number;
export function opKind(n: number): OpKind;
export function reopensAfter(n: number): boolean;
export function vectorFor(seed: number, n: number, id: number): number[];
export function opAt(seed: number, n: number): Op;
export class Model {
  constructor(seed: number);
  readonly seed: number;
  epoch: number;
  live: Map<number, { vector: number[]; metadata?: Meta }>;
  advanceTo(epoch: number): void;
  apply(op: Op): void;
}
