import { availableParallelism } from 'node:os';

/**
 * How many graph builds run on worker threads at once in this process: all cores but the one
 * the event loop needs. On a 2-core machine a second build (a branch child's, say) waits for
 * the first rather than taking the event loop's core, which stalled writes and queries.
 */
export const BUILD_SLOTS = Math.max(1, availableParallelism() - 1);

let running = 0;
const waiting: (() => void)[] = [];

/** Resolves with a release function once a build may start; call it when the build ends. */
export function acquireBuildSlot(): Promise<() => void> {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  if (running < BUILD_SLOTS) {
    running++;
    return Promise.resolve(release);
  }
  // The slot passes straight from a finishing build to the next (running stays the same).
  return new Promise((resolve) => waiting.push(() => resolve(release)));
}
