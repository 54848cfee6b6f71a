// A copy of a store flushed to disk, so that a timed operation that fsyncs the file (our
// branch() records the child in the parent; a close saves its graph) does not also pay for
// writing out the copy.
import { closeSync, copyFileSync, fsyncSync, openSync } from 'node:fs';

export function copyDurable(from, to) {
  copyFileSync(from, to);
  const fd = openSync(to, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
