import {
  branch,
  checkout,
  compactNamespace,
  copy,
  deleteNamespace,
  listNamespaces,
  type NamespaceManifest,
  objectStore,
} from '@rvfjs/objectstore';
import type { CommandOutcome } from '../command-outcome.js';
import { namespaceAt } from '../remote-store.js';
import { formatFields, formatTable } from '../table.js';
import { usageError } from '../usage-error.js';

/** What `ns branch` and `ns copy` report (`--json`). */
export interface NamespaceDocument {
  namespace: string;
  versions: number[];
  size: number;
  objects: number;
  lineage: NamespaceManifest['lineage'];
}

const describe = (url: string, m: NamespaceManifest): NamespaceDocument => ({
  namespace: url,
  versions: m.versions.map((v) => v.version),
  size: m.versions.at(-1)!.size,
  objects: m.objects.length,
  lineage: m.lineage,
});

/** Source and destination of a two-namespace command: the same root, no version on the destination. */
function pair(src: string, dst: string) {
  const a = namespaceAt(src);
  const b = namespaceAt(dst);
  if (a.store.url !== b.store.url) {
    throw usageError(
      'InvalidArgument',
      `${src} and ${dst} are under different roots (${a.store.url}, ${b.store.url}): branches and copies share their objects, so they live under one root`,
      { src, dst },
    );
  }
  if (b.version !== undefined)
    throw usageError('InvalidArgument', `${dst}: a destination has no version yet; drop the @${b.version}`, {
      dst,
    });
  return { store: a.store, src: a.name, dst: b.name, version: a.version };
}

const shown = (doc: NamespaceDocument, verb: string, from: string) =>
  `${verb} ${from} -> ${doc.namespace}\n${formatFields([
    ['versions', doc.versions.join(', ')],
    ['size', `${doc.size} bytes`],
    ['objects', String(doc.objects)],
    ['lineage', doc.lineage ? `${doc.lineage.parent}@${doc.lineage.parentVersion}` : 'none'],
  ])}`;

export async function nsBranchCommand(src: string, dst: string): Promise<CommandOutcome> {
  const p = pair(src, dst);
  const m = await branch(p.store, p.src, p.dst, p.version === undefined ? {} : { version: p.version });
  const doc = describe(dst, m);
  return { json: doc, human: () => shown(doc, 'Branched', src) };
}

export async function nsCopyCommand(
  src: string,
  dst: string,
  o: { deep?: boolean },
): Promise<CommandOutcome> {
  const p = pair(src, dst);
  if (p.version !== undefined)
    throw usageError('InvalidArgument', `${src}: a copy takes every version; drop the @${p.version}`, {
      src,
    });
  const m = await copy(p.store, p.src, p.dst, { deep: o.deep === true });
  const doc = describe(dst, m);
  return {
    json: { ...doc, deep: o.deep === true },
    human: () => shown(doc, o.deep ? 'Deep-copied' : 'Copied', src),
  };
}

export async function nsDeleteCommand(target: string): Promise<CommandOutcome> {
  const { store, name, version } = namespaceAt(target);
  if (version !== undefined)
    throw usageError('InvalidArgument', `${target}: delete removes a whole namespace; drop the @${version}`, {
      target,
    });
  const r = await deleteNamespace(store, name);
  const doc = { namespace: target, released: r.released, deletedObjects: r.deletedObjects };
  return {
    json: doc,
    human: () =>
      `Deleted ${target}: ${r.deletedObjects} of its ${r.released} object(s) removed (the rest are shared)`,
  };
}

export async function nsCompactCommand(target: string): Promise<CommandOutcome> {
  const { store, name } = namespaceAt(target);
  const r = await compactNamespace(store, name);
  return {
    json: { namespace: target, ...r },
    human: () =>
      `Compacted ${target} into version ${r.version}: ${r.sizeBefore} -> ${r.sizeAfter} bytes, ${r.deletedObjects} object(s) removed`,
  };
}

export async function nsCheckoutCommand(target: string, local: string): Promise<CommandOutcome> {
  const { store, name, version } = namespaceAt(target);
  const r = await checkout(store, name, local, version === undefined ? {} : { version });
  return {
    json: { namespace: target, path: local, version: r.version, size: r.size },
    human: () => `Checked out ${target}@${r.version} to ${local} (${r.size} bytes)`,
  };
}

export async function nsListCommand(root: string): Promise<CommandOutcome> {
  const store = objectStore(root);
  const names = await listNamespaces(store);
  return {
    json: { root: store.url, namespaces: names },
    human: () =>
      names.length === 0
        ? `no namespaces in ${store.url}`
        : formatTable(
            [{ header: 'namespace' }],
            names.map((n) => [n]),
          ),
  };
}
