import {
  LOCK_FILE_SIZE,
  LOCK_HOSTNAME_FIELD_SIZE,
  LOCK_HOSTNAME_MAX_BYTES,
  LOCK_MAGIC,
  type LockRecord,
  rvfError,
} from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';
import { crc32 } from './crc32.js';

/** The 104-byte writer lock record (spec §15). CRC32 covers bytes 0x00..0x63. */
export function encodeLockRecord(rec: LockRecord): Uint8Array {
  let host = new TextEncoder().encode(rec.hostname);
  if (host.length > LOCK_HOSTNAME_MAX_BYTES) host = host.subarray(0, LOCK_HOSTNAME_MAX_BYTES);
  if (rec.writerId.length !== 16)
    throw rvfError('LockStale', `writer_id must be 16 bytes, got ${rec.writerId.length}`);
  const w = new ByteWriter(LOCK_FILE_SIZE);
  w.u32(LOCK_MAGIC)
    .u32(rec.pid)
    .bytes_(host)
    .zeros(LOCK_HOSTNAME_FIELD_SIZE - host.length);
  w.u64(rec.timestampNs).bytes_(rec.writerId).u32(rec.version);
  w.u32(crc32(w.bytes.subarray(0, LOCK_FILE_SIZE - 4)));
  return w.finish();
}

/** A decoded lock file, or why it could not be decoded (which makes it a stale lock). */
export type LockDecode = { ok: true; record: LockRecord } | { ok: false; reason: string };

/** Decodes a lock file; a short file, bad magic or bad CRC is reported, not thrown (it is a stale lock). */
export function decodeLockRecord(bytes: Uint8Array): LockDecode {
  if (bytes.length < LOCK_FILE_SIZE)
    return { ok: false, reason: `lock file is ${bytes.length} bytes, not 104` };
  const r = new ByteReader(bytes, 'lock file');
  if (r.u32() !== LOCK_MAGIC) return { ok: false, reason: 'lock file has a bad magic' };
  const pid = r.u32();
  const hostField = r.bytesView(LOCK_HOSTNAME_FIELD_SIZE);
  const nul = hostField.indexOf(0);
  const hostname = new TextDecoder().decode(hostField.subarray(0, nul < 0 ? hostField.length : nul));
  const timestampNs = r.u64();
  const writerId = r.bytesCopy(16);
  const version = r.u32();
  const crc = r.u32();
  if (crc !== crc32(bytes.subarray(0, LOCK_FILE_SIZE - 4)))
    return { ok: false, reason: 'lock file CRC mismatch' };
  return { ok: true, record: { pid, hostname, timestampNs, writerId, version } };
}
