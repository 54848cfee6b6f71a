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
});
