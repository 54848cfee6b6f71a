import { rvfError } from '@rvfjs/types';
import { type MetadataCompanion, metadataSegmentReader } from '@rvfjs/wire';
import { fieldsEnd } from './encoded-fields.js';
import type { IdKey } from './ids.js';

const TWO_32 = 2 ** 32;

/**
 * The records of an RVFJS_METADATA payload read in place, one at a time, with the checks the
 * wire's decoder makes but without decoding any field: a record gives its id, fingerprint and
 * where its field list starts, which a column then points at (see encoded-column.ts). The
 * header is read by the wire (metadataSegmentReader), which also checks the count against
 * the payload's size.
 */
export interface MetadataRecords {
  version: number;
  companion: MetadataCompanion | undefined;
  count: number;
  /** Moves to the next record; false after the last (which also checks nothing trails it). */
  next(): boolean;
  /** The current record's id as a table key. */
  key: IdKey;
  /** Its id as a bigint (made on request: most records never need it). */
  id(): bigint;
  /** Its fingerprint (versions 2 and 3), or undefined (version 1). */
  fingerprint: number | undefined;
  /** Where its field list starts in the payload, and how many fields it has. */
  fieldsAt: number;
  fieldCount: number;
}

export function metadataRecords(payload: Uint8Array, fileOffset: number): MetadataRecords {
  const header = metadataSegmentReader(payload, fileOffset);
  const { version, count } = header;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const fail = (why: string, position: number) =>
    rvfError('InvalidChecksum', `RVFJS_METADATA payload: ${why}`, { offset: fileOffset + position });
  const idBytes = version === 1 ? 10 : 14;
  let p = version === 3 ? 32 : 8;
  let read = 0;
  const records: MetadataRecords = {
    version,
    companion: header.companion,
    count,
    key: 0,
    id: () => view.getBigUint64(records.fieldsAt - idBytes + 2, true),
    fingerprint: undefined,
    fieldsAt: 0,
    fieldCount: 0,
    next: () => {
      if (read === count) {
        if (p !== payload.length) throw fail(`${payload.length - p} unexpected trailing bytes`, p);
        return false;
      }
      if (p + idBytes > payload.length) throw fail(`record needs ${idBytes} bytes`, p);
      const lo = view.getUint32(p, true);
      const hi = view.getUint32(p + 4, true);
      // Ids below 2^53 are number keys (ids.ts); only larger ones need a BigInt.
      records.key = hi < 0x200000 ? hi * TWO_32 + lo : view.getBigUint64(p, true);
      records.fingerprint = version === 1 ? undefined : view.getUint32(p + 8, true);
      records.fieldsAt = p + idBytes - 2;
      records.fieldCount = view.getUint16(records.fieldsAt, true);
      p = fieldsEnd(payload, view, records.fieldsAt, payload.length, fail);
      read++;
      return true;
    },
  };
  return records;
}
