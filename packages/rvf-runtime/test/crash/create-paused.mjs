// Crash-test child that dies at one exact point of RvfStore.create: node create-paused.mjs <path>
// It wraps fs.promises.open (which the built package calls through the `promises` object),
// and when create() opens the private file it builds the store in (`<path>.create-*.tmp`,
// after taking the lock, before linking the file into place) it prints `paused` and waits
// to be killed.
import { once } from 'node:events';
import { promises, writeSync } from 'node:fs';

const [path] = process.argv.slice(2);
const realOpen = promises.open;
promises.open = async function open(file, ...rest) {
  if (String(file).startsWith(`${path}.create-`)) {
    writeSync(1, 'paused\n');
    setInterval(() => undefined, 1000); // keep the process alive until the SIGKILL
    await new Promise(() => undefined);
  }
  return realOpen.call(this, file, ...rest);
};
const { RvfStore } = await import(process.env.RVF_CRASH_DIST ?? '../../dist/index.js');
writeSync(1, 'ready\n');
await once(process.stdin, 'data');
process.stdin.destroy();
await RvfStore.create(path, { dimension: 8, lock: { staleSameHostMs: 0 } });
throw new Error('create() finished: it never reached its private file');
