import { type PublishResult, publish } from '@rvfjs/objectstore';
import type { CommandOutcome } from '../command-outcome.js';
import { namespaceAt } from '../remote-store.js';
import { formatFields } from '../table.js';
import { usageError } from '../usage-error.js';

/** `publish --json`: the version made (or the latest, when nothing changed), as publish() reports it. */
export type PublishDocument = Omit<PublishResult, 'name'> & { namespace: string };

/**
 * Publishes a local store file as the next version of a namespace in object storage:
 * only what was appended since the latest version is uploaded when the file extends it.
 */
export async function publishCommand(
  local: string,
  target: string,
  o: { keepVersions?: number },
): Promise<CommandOutcome> {
  const { store, name, version } = namespaceAt(target);
  if (version !== undefined)
    throw usageError('InvalidArgument', `${target}: publish makes the next version; drop the @${version}`, {
      target,
    });
  const r = await publish(
    store,
    name,
    local,
    o.keepVersions !== undefined ? { keepVersions: o.keepVersions } : {},
  );
  const doc: PublishDocument = {
    namespace: target,
    version: r.version,
    size: r.size,
    uploadedBytes: r.uploadedBytes,
    objects: r.objects,
    changed: r.changed,
    deletedObjects: r.deletedObjects,
  };
  return {
    json: doc,
    human: () =>
      `${r.changed ? 'Published' : 'Unchanged:'} ${local} -> ${target}@${r.version}\n${formatFields([
        ['size', `${r.size} bytes`],
        ['uploaded', `${r.uploadedBytes} bytes in ${r.objects} object(s)`],
        ...(r.deletedObjects > 0 ? [['objects deleted', String(r.deletedObjects)] as const] : []),
      ])}`,
  };
}
