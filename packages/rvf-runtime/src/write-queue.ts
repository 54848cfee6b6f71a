/**
 * The order of a store's foreground work: writes, branches, compactions and exports run one
 * at a time, in call order, each starting from the snapshot the previous one left. Background
 * index work instead waits for a turn of the event loop on which nothing is running (whenIdle).
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Foreground operations in flight (queued ones, and an open). */
  private busy = 0;

  /** Runs `fn` after everything queued before it, whether that succeeded or not. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const tracked = () => this.foreground(fn);
    const run = this.tail.then(tracked, tracked);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Counts `fn` as foreground work without queueing it (opening a store). */
  async foreground<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
    }
  }

  /**
   * Holds the queue until the returned function is called (an export reading one epoch):
   * resolves once everything queued before has finished.
   */
  async hold(): Promise<() => void> {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await new Promise<void>((entered) => {
      void this.run(async () => {
        entered();
        await gate;
      });
    });
    return release;
  }

  /** Resolves once everything queued so far has finished (failures included). */
  drained(): Promise<unknown> {
    return this.tail;
  }

  /**
   * A later turn of the event loop on which no foreground work is running (or `stop()` says
   * to give up waiting): background index work waits here, so foreground work is not slowed.
   */
  async whenIdle(stop: () => boolean): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.busy === 0 || stop()) return;
      await this.tail;
    }
  }
}
