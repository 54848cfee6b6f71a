import { describe, expect, it } from 'vitest';
import { acquireBuildSlot, BUILD_SLOTS } from '../src/build-slots.js';

describe('build slots', () => {
  it('lets BUILD_SLOTS builds run at once and hands a slot on, in order, as each ends', async () => {
    const held = await Promise.all(Array.from({ length: BUILD_SLOTS }, () => acquireBuildSlot()));
    const order: number[] = [];
    const later = [1, 2].map((i) =>
      acquireBuildSlot().then((release) => {
        order.push(i);
        return release;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]); // every slot is taken
    held[0]!();
    held[0]!(); // releasing twice frees one slot, not two
    const first = await later[0]!;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1]);
    first();
    const second = await later[1]!;
    expect(order).toEqual([1, 2]);
    second();
    for (const r of held.slice(1)) r();
    // All free again: as many as there are slots start at once.
    const again = await Promise.all(Array.from({ length: BUILD_SLOTS }, () => acquireBuildSlot()));
    for (const r of again) r();
  });
});
