import type { CommandOutcome } from '../command-outcome.js';
import { parseFilterArgument } from '../filter-argument.js';
import { checkFilterAgainstStore } from '../filter-check.js';
import { parseIds } from '../id-list.js';
import type { ProgressChoice } from '../progress.js';
import { withStore } from '../store-session.js';
import { formatCount } from '../table.js';
import { usageError } from '../usage-error.js';

export interface DeleteOptions {
  ids?: string;
  filter?: string;
  lenientFilter?: boolean;
  progress?: ProgressChoice;
}

/** `delete --json`. */
export interface DeleteDocument {
  deleted: number;
  epoch: number;
}

export async function deleteCommand(path: string, o: DeleteOptions): Promise<CommandOutcome> {
  if ((o.ids === undefined) === (o.filter === undefined)) {
    throw usageError('InvalidArgument', 'give exactly one of --ids or --filter');
  }
  const ids = o.ids !== undefined ? parseIds(o.ids) : undefined;
  const filter = o.filter !== undefined ? parseFilterArgument(o.filter) : undefined;
  const doc: DeleteDocument = await withStore(
    path,
    { readOnly: false, progress: o.progress },
    async (store) => {
      if (ids) return store.delete(ids);
      if (!o.lenientFilter) await checkFilterAgainstStore(store, filter!);
      return store.deleteByFilter(filter!);
    },
  );
  return {
    json: doc,
    human: () =>
      `Deleted ${formatCount(doc.deleted)} vector${doc.deleted === 1 ? '' : 's'} (epoch ${doc.epoch})`,
  };
}
