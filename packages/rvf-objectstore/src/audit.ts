import { listKeys, type ObjectStore } from './bucket.js';
import { objectsPrefix, refsPrefix } from './layout.js';
import { listNamespaces } from './list.js';
import { readManifest } from './manifest.js';

/** What audit() found in a bucket: namespaces, objects, and any reference that does not add up. */
export interface AuditReport {
  namespaces: string[];
  /** Every object id stored. */
  objects: string[];
  /** Object ids some live manifest references. */
  referenced: string[];
  /** References to objects that are not stored, or that have no marker of that namespace: must never happen. */
  dangling: { namespace: string; object: string; missing: 'object' | 'marker' }[];
  /** Stored objects no manifest references (what a crash between steps leaves; safe to delete). */
  leakedObjects: string[];
  /** Markers of a namespace whose manifest does not reference that object. */
  leakedMarkers: { namespace: string; object: string }[];
}

/**
 * Compares what the manifests reference with what is stored: the object set, and every
 * reference marker. Meant for tests and for checks while nothing else writes (a publish
 * under way shows as leaks until its manifest lands).
 */
export async function audit(store: ObjectStore): Promise<AuditReport> {
  const namespaces = await listNamespaces(store);
  const objects = (await listKeys(store, objectsPrefix(store))).map((k) =>
    k.slice(objectsPrefix(store).length),
  );
  const refsRoot = refsPrefix(store);
  const markers = new Set((await listKeys(store, refsRoot)).map((k) => k.slice(refsRoot.length)));
  const stored = new Set(objects);
  const referenced = new Set<string>();
  const expectedMarkers = new Set<string>();
  const dangling: AuditReport['dangling'] = [];
  for (const ns of namespaces) {
    const m = await readManifest(store, ns);
    if (!m) continue;
    for (const o of m.manifest.objects) {
      referenced.add(o.id);
      expectedMarkers.add(`${o.id}/${ns}`);
      if (!stored.has(o.id)) dangling.push({ namespace: ns, object: o.id, missing: 'object' });
      if (!markers.has(`${o.id}/${ns}`)) dangling.push({ namespace: ns, object: o.id, missing: 'marker' });
    }
  }
  const leakedMarkers = [...markers]
    .filter((k) => !expectedMarkers.has(k))
    .map((k) => {
      const [object, namespace] = k.split('/') as [string, string];
      return { namespace, object };
    });
  return {
    namespaces,
    objects: objects.sort(),
    referenced: [...referenced].sort(),
    dangling,
    leakedObjects: objects.filter((id) => !referenced.has(id)),
    leakedMarkers,
  };
}
