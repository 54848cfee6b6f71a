import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr for the HNSW graph a command builds (stdout stays the command's
 * JSON). Shown only on a terminal unless `force`; returns the callback to hand the store as
 * `onIndexProgress`, and `stop` for when the store has closed.
 */
export function graphProgressBar(force = false): {
  onIndexProgress: ((done: number, total: number) => void) | undefined;
  stop: () => void;
} {
  if (!force && !process.stderr.isTTY) return { onIndexProgress: undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'HNSW graph [{bar}] {percentage}% | {value}/{total} vectors',
      // Without a terminal (forced), print a line now and then instead of redrawing.
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onIndexProgress(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
