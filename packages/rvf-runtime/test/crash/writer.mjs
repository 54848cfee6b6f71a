// Crash-test writer child: node writer.mjs <store path> <seed> [<workload>]
// Loads the built package (dist/, or $RVF_CRASH_DIST), prints `ready` and waits for a line on
// stdin (the test starts it early, so Node's startup overlaps the check of the previous
// crash). Then it opens the store read-write, breaking the lock a killed writer left behind,
// and runs the endless deterministic workload of ops.mjs (WORKLOADS[<workload>], default
// `root`; a branch child is opened like any store). It prints (synchronously, so a
// line is out before the next write starts):
//   open <epoch> <file size>     after an open, with its torn-tail fencing, is done
//   committed <epoch> <file end> after each operation
//   closed <epoch>               after a clean close (see reopensAfter), then it reopens
// It only stops when killed; any error exits non-zero with the message on stderr.
import { once } from 'node:events';
import { statSync, writeSync } from 'node:fs';
import { opAt, reopensAfter, WORKLOADS } from './ops.mjs';

const [path, seedArg, workloadName = 'root'] = process.argv.slice(2);
const seed = Number(seedArg);
const workload = WORKLOADS[workloadName];
if (!workload) throw new Error(`unknown workload '${workloadName}'`);
const say = (line) => writeSync(1, `${line}\n`);
// A low index threshold, so the writer keeps an HNSW graph and close() persists it.
const options = { lock: { staleSameHostMs: 0 }, indexThreshold: 128 };

const { RvfStore } = await import(process.env.RVF_CRASH_DIST ?? '../../dist/index.js');
say('ready');
await once(process.stdin, 'data');
process.stdin.destroy();
let store = await RvfStore.open(path, options);
say(`open ${store.epoch} ${statSync(path).size}`);
for (let ops = 0; ops < 100_000; ops++) {
  const n = store.epoch + 1;
  const op = opAt(seed, n, workload);
  let epoch;
  if (op.kind === 'ingest') ({ epoch } = await store.ingestBatch(op.vectors, op.ids, op.metadata));
  else if (op.kind === 'delete') ({ epoch } = await store.delete(op.ids));
  else ({ epoch } = await store.compact());
  if (epoch !== n) throw new Error(`operation ${n} (${op.kind}) committed epoch ${epoch}`);
  say(`committed ${epoch} ${store.status().fileSize}`);
  if (reopensAfter(n)) {
    await store.close();
    say(`closed ${n}`);
    store = await RvfStore.open(path, options);
    say(`open ${store.epoch} ${statSync(path).size}`);
  }
}
throw new Error('the writer ran 100000 operations without being killed');
