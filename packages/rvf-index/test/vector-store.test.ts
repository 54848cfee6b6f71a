import { mulberry32 } from '@rvfjs/test-kit';
import { describe, expect, it } from 'vitest';
import { VectorStore } from '../src/index.js';

describe('VectorStore.fork (copy-on-write)', () => {
  it('shares until either side writes; writes never leak across', () => {
    const a = new VectorStore(2, 4);
    a.append([1, 1]);
    a.append([2, 2]);
    const b = a.fork();
    expect(b.flat).toBe(a.flat); // shared, no copy yet
    b.set(0, [9, 9]); // the fork writes first: it copies
    expect(Array.from(a.view(0))).toEqual([1, 1]);
    expect(Array.from(b.view(0))).toEqual([9, 9]);
    a.set(1, [7, 7]); // the original copies too on its first write
    expect(Array.from(b.view(1))).toEqual([2, 2]);
    expect(Array.from(a.view(1))).toEqual([7, 7]);
    b.append([3, 3]);
    expect(a.count).toBe(2);
    expect(b.count).toBe(3);
  });

  it('writing a view of the shared array back into a fork keeps the values', () => {
    const a = new VectorStore(3, 2);
    a.append([1, 2, 3]);
    const b = a.fork();
    b.set(0, b.view(0));
    expect(Array.from(b.view(0))).toEqual([1, 2, 3]);
    b.set(0, [4, 5, 6]);
    expect(Array.from(a.view(0))).toEqual([1, 2, 3]);
  });

  it('appending past what the twins can see claims the tail in place; a second appender copies', () => {
    const parent = new VectorStore(2, 8);
    parent.append([1, 1]);
    parent.append([2, 2]);
    const child = parent.fork();
    const shared = parent.flat;
    parent.append([3, 3]); // past the fork's count: no copy
    expect(parent.flat).toBe(shared);
    expect(child.count).toBe(2);
    child.append([4, 4]); // the tail is the parent's now: the child copies
    expect(child.flat).not.toBe(shared);
    expect(Array.from(parent.view(2))).toEqual([3, 3]);
    expect(Array.from(child.view(2))).toEqual([4, 4]);
    // A rewrite below the fork's count always copies.
    const grand = parent.fork();
    parent.set(0, [5, 5]);
    expect(Array.from(grand.view(0))).toEqual([1, 1]);
    expect(Array.from(grand.view(2))).toEqual([3, 3]);
  });

  it('any sequence of forks, writes, appends and releases matches independent copies', () => {
    const r = mulberry32(7);
    for (let round = 0; round < 40; round++) {
      const live: { store: VectorStore; model: number[][] }[] = [];
      const first = new VectorStore(2, 1 + Math.floor(r() * 6));
      live.push({ store: first, model: [] });
      for (let op = 0; op < 60; op++) {
        const t = live[Math.floor(r() * live.length)]!;
        const x = r();
        if (x < 0.15 && live.length < 5) {
          live.push({ store: t.store.fork(), model: t.model.map((v) => v.slice()) });
        } else if (x < 0.2 && live.length > 1) {
          t.store.release();
          live.splice(live.indexOf(t), 1);
        } else {
          const n = t.model.length;
          const ord = x < 0.6 || n === 0 ? n : Math.floor(r() * n);
          const v = [Math.floor(r() * 100), Math.floor(r() * 100)];
          t.store.set(ord, v);
          t.model[ord] = v;
        }
        for (const l of live) {
          expect(l.store.count).toBe(l.model.length);
          for (let o = 0; o < l.model.length; o++) expect(Array.from(l.store.view(o))).toEqual(l.model[o]);
        }
      }
    }
  });
});
