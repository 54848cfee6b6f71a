import { isNamespaceUrl, objectStore, openNamespace, parseNamespaceUrl, s3Client } from '@rvfjs/objectstore';
import { type OpenOptions, RvfStore } from '@rvfjs/runtime';
import { rvfError } from '@rvfjs/types';

/**
 * Opens what a path names: a local file, a store at an http(s):// URL or an s3://…/x.rvf
 * object (read-only), or a namespace in object storage, s3://bucket[/prefix]/name[@version]
 * (read-only, at its latest version unless one is given). The S3 endpoint, region and keys
 * come from the usual environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY).
 */
export async function openAnyStore(path: string, options: OpenOptions): Promise<RvfStore> {
  if (isNamespaceUrl(path)) {
    if (!options.readOnly) {
      throw rvfError(
        'ReadOnly',
        `${path} is a namespace in object storage: it is read here, not written (rvf ns checkout, change the local file, rvf publish)`,
        { path },
      );
    }
    const { root, name, version } = parseNamespaceUrl(path);
    return openNamespace(objectStore(root), name, version === undefined ? {} : { version });
  }
  if (/^s3:\/\//i.test(path)) return RvfStore.open(path, { ...options, s3: { client: s3Client() } });
  return RvfStore.open(path, options);
}

/** The object store root and the namespace name of an s3://bucket[/prefix]/name address (no @version). */
export function namespaceAt(url: string): {
  store: ReturnType<typeof objectStore>;
  name: string;
  version?: number;
} {
  const { root, name, version } = parseNamespaceUrl(url);
  return { store: objectStore(root), name, ...(version === undefined ? {} : { version }) };
}
