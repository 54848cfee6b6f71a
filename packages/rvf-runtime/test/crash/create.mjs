// Crash-test creator child: node create.mjs <folder>
// Loads the built package (dist/, or $RVF_CRASH_DIST), prints `ready`, waits for a line on
// stdin, then creates c0.rvf, c1.rvf, ... in <folder> one after the
// other (dimension 8, l2), printing `created <i>` once create() of c<i>.rvf has resolved,
// then closing it. It only stops when killed.
import { once } from 'node:events';
import { writeSync } from 'node:fs';
import { join } from 'node:path';

const [dir] = process.argv.slice(2);
const { RvfStore } = await import(process.env.RVF_CRASH_DIST ?? '../../dist/index.js');
writeSync(1, 'ready\n');
await once(process.stdin, 'data');
process.stdin.destroy();
for (let i = 0; i < 100_000; i++) {
  const store = await RvfStore.create(join(dir, `c${i}.rvf`), {
    dimension: 8,
    metric: 'l2',
    lock: { staleSameHostMs: 0 },
  });
  writeSync(1, `created ${i}\n`);
  await store.close();
}
throw new Error('the creator ran 100000 creates without being killed');
