import { randomBytes } from 'node:crypto';
import { rvfError } from '@rvfjs/types';
import { getObject, type ObjectStore, putConditional } from './bucket.js';
import { manifestKey } from './layout.js';

export const MANIFEST_FORMAT = 'rvfjs-namespace';
export const MANIFEST_FORMAT_VERSION = 1;

/** One immutable object: a run of bytes of a version's file. */
export interface ObjectRef {
  id: string;
  size: number;
  /** SHA-256 of the object's bytes (hex): how a publish tells whether a local file still extends it. */
  sha256: string;
}

/**
 * A published version: the file is objects[first..end) of the manifest, concatenated. Objects
 * are only ever appended to the list, so every version is such a run, and a version that
 * extends the one before shares all of its objects.
 */
export interface Version {
  version: number;
  size: number;
  first: number;
  end: number;
  publishedAt: string;
}

/** Where a branch came from (copies record none). */
export interface Lineage {
  parent: string;
  parentVersion: number;
  branchedAt: string;
}

/**
 * The manifest object of a namespace: every object it references and every version it keeps
 * (each an ordered run of those objects whose bytes, concatenated, are the .rvf file).
 */
export interface NamespaceManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  name: string;
  /** Bumped by every write of the manifest. */
  generation: number;
  /** Random per write: a writer told "unknown" reads the manifest back and looks for its own. */
  writeId: string;
  lineage: Lineage | null;
  objects: ObjectRef[];
  /** Oldest first; at least one. */
  versions: Version[];
}

/** A manifest as read, with the ETag a conditional write must match. */
export interface ReadManifest {
  manifest: NamespaceManifest;
  etag: string;
}

const bad = (name: string, why: string) =>
  rvfError('InvalidManifest', `namespace '${name}': manifest ${why}`, { namespace: name });

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** Parses and checks a manifest's JSON: every run within the object list, sizes adding up. */
export function decodeManifest(name: string, bytes: Uint8Array): NamespaceManifest {
  let m: NamespaceManifest;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw rvfError('InvalidManifest', `namespace '${name}': manifest is not JSON`, { namespace: name }, e);
  }
  if (m?.format !== MANIFEST_FORMAT) throw bad(name, `format is ${JSON.stringify(m?.format)}`);
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION)
    throw bad(
      name,
      `formatVersion ${String(m.formatVersion)} is not supported (${MANIFEST_FORMAT_VERSION} is)`,
    );
  if (!Array.isArray(m.objects) || !Array.isArray(m.versions) || m.versions.length === 0)
    throw bad(name, 'has no objects or versions list');
  for (const o of m.objects) {
    if (
      typeof o?.id !== 'string' ||
      !/^[0-9a-f]{32}$/.test(o.id) ||
      !isCount(o.size) ||
      typeof o.sha256 !== 'string'
    )
      throw bad(name, `names a malformed object ${JSON.stringify(o)}`);
  }
  let last = 0;
  for (const v of m.versions) {
    if (
      !isCount(v?.version) ||
      v.version <= last ||
      !isCount(v.first) ||
      !isCount(v.end) ||
      v.end > m.objects.length
    )
      throw bad(name, `has a malformed version ${JSON.stringify(v)}`);
    const size = m.objects.slice(v.first, v.end).reduce((s, o) => s + o.size, 0);
    if (size !== v.size)
      throw bad(name, `version ${v.version} is ${v.size} bytes but its objects hold ${size}`);
    last = v.version;
  }
  return m;
}

const encode = (m: NamespaceManifest) => new TextEncoder().encode(`${JSON.stringify(m, null, 1)}\n`);

/** The namespace's manifest, or undefined when there is no such namespace. */
export async function readManifest(store: ObjectStore, name: string): Promise<ReadManifest | undefined> {
  const got = await getObject(store, manifestKey(store, name));
  return got ? { manifest: decodeManifest(name, got.bytes), etag: got.etag } : undefined;
}

/** Like readManifest, but a missing namespace is ManifestNotFound naming it. */
export async function requireManifest(store: ObjectStore, name: string): Promise<ReadManifest> {
  const got = await readManifest(store, name);
  if (!got)
    throw rvfError('ManifestNotFound', `namespace '${name}' does not exist in ${store.url}`, {
      namespace: name,
    });
  return got;
}

/** The latest version, or the one asked for (ManifestNotFound when it is not kept). */
export function versionOf(m: NamespaceManifest, version?: number): Version {
  if (version === undefined) return m.versions.at(-1)!;
  const v = m.versions.find((x) => x.version === version);
  if (!v) {
    const kept = m.versions.map((x) => x.version);
    throw rvfError(
      'ManifestNotFound',
      `namespace '${m.name}' has no version ${version} (kept: ${kept[0]}–${kept.at(-1)})`,
      { namespace: m.name, version },
    );
  }
  return v;
}

/**
 * Writes `next` as the namespace's manifest, atomically: created only where none exists
 * (`previous` undefined), else replaced only if it is still the manifest read as `previous`.
 * Returns the new ETag-less outcome: true when this write is the one in place. A server that
 * cannot say (RGW 16 gives some losers of a race 500) is answered by reading the manifest
 * back and looking for this write's writeId. Losing is an UpdateConflict (PathExists for a
 * create), never a silent overwrite.
 */
export async function writeManifest(
  store: ObjectStore,
  next: Omit<NamespaceManifest, 'generation' | 'writeId' | 'format' | 'formatVersion'>,
  previous: ReadManifest | undefined,
): Promise<NamespaceManifest> {
  const manifest: NamespaceManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    name: next.name,
    generation: (previous?.manifest.generation ?? 0) + 1,
    writeId: randomBytes(12).toString('hex'),
    lineage: next.lineage,
    objects: next.objects,
    versions: next.versions,
  };
  const key = manifestKey(store, next.name);
  let outcome = await putConditional(
    store,
    key,
    encode(manifest),
    previous ? { ifMatch: previous.etag } : { ifNoneMatch: '*' },
  );
  if (outcome === 'unknown') {
    const now = await readManifest(store, next.name);
    outcome = now?.manifest.writeId === manifest.writeId ? 'won' : 'lost';
  }
  if (outcome === 'lost') {
    if (!previous)
      throw rvfError('PathExists', `namespace '${next.name}' already exists in ${store.url}`, {
        namespace: next.name,
      });
    throw rvfError(
      'UpdateConflict',
      `namespace '${next.name}': the manifest changed since generation ${previous.manifest.generation} was read (another writer won)`,
      { namespace: next.name },
    );
  }
  return manifest;
}
