/**
 * A bounded max-heap keeping the k best (smallest distance, then smallest ordinal) results seen so
 * far. The root is the worst kept result, so rejecting a candidate costs one comparison and a
 * scan over n vectors is O(n log k) with no sort of n and no per-candidate allocation.
 */
export interface Neighbour {
  ordinal: number;
  distance: number;
}

/** Nearest first, equal distances by ordinal: the order every engine returns. */
function byDistanceThenOrdinal(a: Neighbour, b: Neighbour): number {
  return a.distance - b.distance || a.ordinal - b.ordinal;
}

/**
 * `out` in that order, for a list that usually is already (a graph walk's, whose heap ranks
 * by distance alone, or by distances rounded another way than those reported): checked in one
 * pass, sorted only when it is not.
 */
export function inRankOrder(out: Neighbour[]): Neighbour[] {
  for (let i = 1; i < out.length; i++) {
    if (byDistanceThenOrdinal(out[i - 1]!, out[i]!) > 0) return out.sort(byDistanceThenOrdinal);
  }
  return out;
}

/** A bounded max-heap of the k nearest results seen so far (see the file comment). */
export class TopK {
  readonly k: number;
  private readonly dist: Float64Array;
  private readonly ord: Uint32Array;
  private n = 0;

  constructor(k: number) {
    this.k = Math.max(0, Math.floor(k));
    this.dist = new Float64Array(this.k);
    this.ord = new Uint32Array(this.k);
  }

  /** Results kept so far (at most k). */
  get size(): number {
    return this.n;
  }

  /** True once k results are kept: a candidate must then beat the worst of them. */
  get full(): boolean {
    return this.n >= this.k;
  }

  /** Would (distance, ordinal) be kept? Lets callers skip expensive work for hopeless candidates. */
  admits(distance: number, ordinal: number): boolean {
    if (this.n < this.k) return this.k > 0;
    const d = Number.isNaN(distance) ? Number.POSITIVE_INFINITY : distance;
    const rd = this.dist[0]!;
    return d < rd || (d === rd && ordinal < this.ord[0]!);
  }

  /**
   * Offers a result. NaN distances (only possible from NaN/Inf input vectors) are ranked as +Infinity
   * so they sort last instead of poisoning every comparison.
   */
  push(ordinal: number, distance: number): void {
    const d = Number.isNaN(distance) ? Number.POSITIVE_INFINITY : distance;
    if (this.n < this.k) {
      this.siftUp(this.n++, d, ordinal);
    } else if (this.k > 0) {
      const rd = this.dist[0]!;
      if (d < rd || (d === rd && ordinal < this.ord[0]!)) this.siftDown(0, d, ordinal);
    }
  }

  /** As push, but ignores an ordinal already kept (for caller-supplied candidate lists with repeats). */
  pushUnique(ordinal: number, distance: number): void {
    if (!this.admits(distance, ordinal)) return;
    for (let i = 0; i < this.n; i++) if (this.ord[i] === ordinal) return;
    this.push(ordinal, distance);
  }

  /** Kept results, ascending by distance then ordinal. Empties the heap. */
  drain(): Neighbour[] {
    const out = new Array<Neighbour>(this.n);
    while (this.n > 0) {
      const last = --this.n;
      out[last] = { ordinal: this.ord[0]!, distance: this.dist[0]! };
      if (last > 0) this.siftDown(0, this.dist[last]!, this.ord[last]!, last);
    }
    return out;
  }

  // "a is worse than b" — the heap order.
  private static worse(da: number, oa: number, db: number, ob: number): boolean {
    return da > db || (da === db && oa > ob);
  }

  private siftUp(i: number, d: number, o: number): void {
    const dist = this.dist;
    const ord = this.ord;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!TopK.worse(d, o, dist[p]!, ord[p]!)) break;
      dist[i] = dist[p]!;
      ord[i] = ord[p]!;
      i = p;
    }
    dist[i] = d;
    ord[i] = o;
  }

  private siftDown(i: number, d: number, o: number, n = this.n): void {
    const dist = this.dist;
    const ord = this.ord;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      const r = l + 1;
      if (r < n && TopK.worse(dist[r]!, ord[r]!, dist[l]!, ord[l]!)) c = r;
      if (!TopK.worse(dist[c]!, ord[c]!, d, o)) break;
      dist[i] = dist[c]!;
      ord[i] = ord[c]!;
      i = c;
    }
    dist[i] = d;
    ord[i] = o;
  }
}
