// Crash-test brancher child: node branching.mjs <parentPath> <folder>
// Loads the built package (dist/, or $RVF_CRASH_DIST), opens <parentPath> read-write
// (breaking the lock a killed predecessor left), prints `ready`, waits for a line on stdin,
// then branches c0.rvf, c1.rvf, ... in <folder> from the parent one after the other:
// prints `branching <i>` right before branch() of c<i>.rvf (so the test can aim its kill
// into the call) and `branched <i>` once it has resolved, then closes the child.
// It only stops when killed.
import { once } from 'node:events';
import { writeSync } from 'node:fs';
import { join } from 'node:path';

const [parentPath, dir] = process.argv.slice(2);
const { RvfStore } = await import(process.env.RVF_CRASH_DIST ?? '../../dist/index.js');
const parent = await RvfStore.open(parentPath, { lock: { staleSameHostMs: 0 } });
writeSync(1, 'ready\n');
await once(process.stdin, 'data');
process.stdin.destroy();
for (let i = 0; i < 100_000; i++) {
  writeSync(1, `branching ${i}\n`);
  const child = await parent.branch(join(dir, `c${i}.rvf`), { lock: { staleSameHostMs: 0 } });
  writeSync(1, `branched ${i}\n`);
  await child.close();
}
throw new Error('the brancher ran 100000 branches without being killed');
