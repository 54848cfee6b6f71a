import { createHash, timingSafeEqual } from 'node:crypto';
import { rvfError } from '@rvfjs/types';

/** What a key may do: `read-write` everything, `read-only` every route that changes nothing. */
export type Role = 'read-write' | 'read-only';

export interface ApiKey {
  key: string;
  role: Role;
}

/** Shorter keys are refused: a key is a secret, not a password a person types. */
export const MIN_KEY_LENGTH = 16;
const KEY = /^[\x21-\x7e]+$/;

export interface Identity {
  role: Role;
  /** A stable, non-secret name for the key (a prefix of its digest), for logs and rate limits. */
  keyId: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The keys a server accepts. Only their SHA-256 digests are kept, and a presented key is
 * compared by digest, with timingSafeEqual, against every key (no early exit): the time taken
 * depends on neither the key's length nor how much of it matches, nor on which key matched.
 */
export class KeyRing {
  private readonly entries: { digest: Buffer; identity: Identity }[];

  constructor(keys: readonly ApiKey[]) {
    const seen = new Map<string, Role>();
    this.entries = keys.map(({ key, role }, i) => {
      checkKey(key, `key ${i + 1}`);
      if (role !== 'read-write' && role !== 'read-only')
        throw rvfError(
          'InvalidArgument',
          `key ${i + 1}: role must be read-write or read-only, got '${role}'`,
        );
      const previous = seen.get(key);
      if (previous !== undefined && previous !== role)
        throw rvfError('InvalidArgument', `key ${i + 1} is given twice, as ${previous} and as ${role}`);
      seen.set(key, role);
      const d = digest(key);
      return { digest: d, identity: { role, keyId: d.subarray(0, 6).toString('hex') } };
    });
  }

  /** True when no key is configured: the server is open. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** The identity of a presented key, or undefined for an unknown one. */
  identify(presented: string): Identity | undefined {
    const d = digest(presented);
    let found: Identity | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, d)) found ??= entry.identity;
    }
    return found;
  }
}

export function checkKey(key: unknown, where: string): void {
  if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH || !KEY.test(key)) {
    throw rvfError(
      'InvalidArgument',
      `${where}: an API key is at least ${MIN_KEY_LENGTH} printable ASCII characters without spaces (try \`openssl rand -hex 32\`)`,
    );
  }
}

/**
 * A keys file: one key per line as `<role> <key>`, role `read-write` or `read-only`; blank
 * lines and lines starting with `#` are ignored. Errors name the line but never echo a key.
 */
export function parseKeysFile(text: string, fileName = 'keys file'): ApiKey[] {
  const keys: ApiKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${fileName} line ${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 2)
      throw rvfError(
        'InvalidArgument',
        `${where}: expected '<role> <key>' (two fields), got ${fields.length}`,
      );
    const [role, key] = fields as [string, string];
    if (role !== 'read-write' && role !== 'read-only')
      throw rvfError('InvalidArgument', `${where}: role must be read-write or read-only, got '${role}'`);
    checkKey(key, where);
    keys.push({ role, key });
  });
  return keys;
}

/** The keys of the environment: RVF_API_KEY (read-write) and RVF_READ_ONLY_API_KEY. */
export function keysFromEnv(env: NodeJS.ProcessEnv): ApiKey[] {
  const keys: ApiKey[] = [];
  const take = (variable: string, role: Role) => {
    const key = env[variable];
    if (key === undefined || key === '') return;
    checkKey(key, variable);
    keys.push({ role, key });
  };
  take('RVF_API_KEY', 'read-write');
  take('RVF_READ_ONLY_API_KEY', 'read-only');
  return keys;
}
