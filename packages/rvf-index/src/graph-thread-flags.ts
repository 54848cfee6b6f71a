/**
 * When a graph worker may be stopped. hnswlib-node aborts the whole process (a fatal
 * napi_throw) when its thread is terminated while an add-on call reads its JavaScript
 * arguments, so a worker is only ever stopped between two native calls: the event loop asks
 * (STOP), and the worker says when it is inside a request (BUSY) and checks STOP between
 * inserts. Both sides write their own flag before reading the other's, so one of them always
 * sees the other (sequentially consistent atomics).
 *
 * process.exit() terminates every worker without asking. An 'exit' listener asks each live
 * worker to stop and waits, briefly, until none is inside a request; measured before this,
 * one process.exit() in eight during a build aborted with SIGABRT.
 */

const STOP = 0;
const BUSY = 1;

/** The flags one worker and its event-loop side share. */
export type GraphThreadFlags = Int32Array;

export function newGraphThreadFlags(): GraphThreadFlags {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** Event-loop side: from now on the worker leaves at its next check. */
export function askToStop(flags: GraphThreadFlags): void {
  Atomics.store(flags, STOP, 1);
}

/** Worker side: true once the event loop has asked it to stop. */
export function stopAsked(flags: GraphThreadFlags): boolean {
  return Atomics.load(flags, STOP) !== 0;
}

/**
 * Worker side: runs one request marked busy. Returns false, without running it, when a stop
 * was asked first.
 */
export function runBusy(flags: GraphThreadFlags, work: () => void): boolean {
  Atomics.store(flags, BUSY, 1);
  try {
    if (stopAsked(flags)) return false;
    work();
    return true;
  } finally {
    Atomics.store(flags, BUSY, 0);
    Atomics.notify(flags, BUSY);
  }
}

/** Longest an exiting process waits for a worker to leave a request (a 1M-vector save takes seconds). */
const EXIT_WAIT_MS = 10_000;

const live = new Set<GraphThreadFlags>();
let listening = false;

/** Registers a started worker's flags with the exit guard until `ended` settles. */
export function guardOnExit(flags: GraphThreadFlags, ended: Promise<void>): void {
  live.add(flags);
  void ended.then(() => live.delete(flags));
  if (!listening) {
    listening = true;
    process.on('exit', parkAll);
  }
}

/** Asks every live worker to stop, then waits until none is inside a request. */
function parkAll(): void {
  for (const flags of live) askToStop(flags);
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (const flags of live) {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(flags, BUSY, 1, left) !== 'ok') break;
    }
  }
}
