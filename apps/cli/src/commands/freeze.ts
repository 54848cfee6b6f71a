import type { CommandOutcome } from '../command-outcome.js';
import type { ProgressChoice } from '../progress.js';
import { withStore } from '../store-session.js';

/** `freeze --json`. */
export interface FreezeDocument {
  epoch: number;
  frozen: true;
}

export async function freezeCommand(
  path: string,
  o: { progress?: ProgressChoice } = {},
): Promise<CommandOutcome> {
  const epoch = await withStore(path, { readOnly: false, progress: o.progress }, (s) => s.freeze());
  const doc: FreezeDocument = { epoch, frozen: true };
  return {
    json: doc,
    human: () =>
      `Froze ${path} at epoch ${epoch}: it is now a read-only snapshot (branch from it to keep writing)`,
  };
}
