import { randomBytes } from 'node:crypto';
import { rvfError } from '@rvfjs/types';
import type { ObjectStore } from './bucket.js';

/**
 * Where everything lives under a root (s3://bucket/prefix/):
 *
 *   namespaces/<name>/manifest.json   the namespace: its versions, each a run of objects
 *   objects/<id>                      immutable bytes, a piece of some version's .rvf file
 *   refs/<id>/<name>                  a reference marker: namespace <name> uses object <id>
 *   locks/<name>                      held while an operation changes namespace <name>
 *
 * An object's refcount is the number of its markers; it is deleted when that reaches zero.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a namespace name: 1–128 of A-Z a-z 0-9 . _ -, not starting with . _ -, not ending in .rvf. */
export function checkName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.toLowerCase().endsWith('.rvf')) {
    throw rvfError(
      'InvalidArgument',
      `invalid namespace name ${JSON.stringify(String(name))}: use 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit and not ending in .rvf`,
      { name },
    );
  }
  return name;
}

export const manifestKey = (store: ObjectStore, name: string) =>
  `${store.prefix}namespaces/${checkName(name)}/manifest.json`;
export const namespacesPrefix = (store: ObjectStore) => `${store.prefix}namespaces/`;
export const objectKey = (store: ObjectStore, id: string) => `${store.prefix}objects/${id}`;
export const objectsPrefix = (store: ObjectStore) => `${store.prefix}objects/`;
export const refKey = (store: ObjectStore, id: string, name: string) => `${store.prefix}refs/${id}/${name}`;
export const refsPrefix = (store: ObjectStore, id?: string) =>
  `${store.prefix}refs/${id === undefined ? '' : `${id}/`}`;
export const lockKey = (store: ObjectStore, name: string) => `${store.prefix}locks/${checkName(name)}`;

/** A fresh object id: 128 random bits, so two writers never pick the same key. */
export const newObjectId = () => randomBytes(16).toString('hex');

/** A namespace's address: s3://bucket/prefix/name, optionally @version. */
export interface NamespaceAddress {
  /** s3://bucket/prefix: the root its objects share with its siblings. */
  root: string;
  name: string;
  version?: number;
}

/**
 * Splits s3://bucket/prefix/name[@version]: the last path segment is the namespace, the rest
 * its root. (A key ending in .rvf is an object, not a namespace: see isNamespaceUrl.)
 */
export function parseNamespaceUrl(url: string): NamespaceAddress {
  const m = /^(s3:\/\/[^/]+(?:\/.+?)?)\/([^/@]+)(?:@(\d+))?$/i.exec(url);
  if (!m) {
    throw rvfError(
      'InvalidArgument',
      `${url} is not a namespace address (s3://bucket[/prefix]/name[@version])`,
      {
        url,
      },
    );
  }
  checkName(m[2]!);
  return { root: m[1]!, name: m[2]!, ...(m[3] !== undefined ? { version: Number(m[3]) } : {}) };
}

/** True for s3:// addresses of namespaces; s3://…/x.rvf names a plain object instead. */
export function isNamespaceUrl(url: string): boolean {
  return /^s3:\/\/[^/]+\/./i.test(url) && !/\.rvf$/i.test(url);
}
