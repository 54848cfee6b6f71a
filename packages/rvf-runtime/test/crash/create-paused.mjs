// Crash-test child that dies at one exact point of RvfStore.create: node create-paused.mjs <path>
// It wraps fs.openSync (the machine's file system opens files inline; syncBuiltinESMExports
// makes the built package's `import { openSync } from 'node:fs'` see the wrapper), and when
// create() opens the private file it builds the store in (`<path>.create-*.tmp`, after taking
// the lock, before linking the file into place) it prints `paused` and blocks until killed.
import { once } from 'node:events';
import fs, { writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [path] = process.argv.slice(2);
const realOpenSync = fs.openSync;
fs.openSync = function openSync(file, ...rest) {
  if (String(file).startsWith(`${path}.create-`)) {
    writeSync(1, 'paused\n');
    // The call is synchronous, so the wait is too: block this thread until the SIGKILL.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  return realOpenSync.call(this, file, ...rest);
};
syncBuiltinESMExports();
const { RvfStore } = await import(process.env.RVF_CRASH_DIST ?? '../../dist/index.js');
writeSync(1, 'ready\n');
await once(process.stdin, 'data');
process.stdin.destroy();
await RvfStore.create(path, { dimension: 8, lock: { staleSameHostMs: 0 } });
throw new Error('create() finished: it never reached its private file');
