import { JOURNAL_ENTRY_SIZE, JOURNAL_HEADER_SIZE, type Journal, JournalEntryType } from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';

/** JOURNAL_SEG payload (spec §9.1): count u32 | epoch u32 | prev_journal_seg_id u64 | entries. */
export function decodeJournalPayload(payload: Uint8Array, fileOffset = 0): Journal {
  const r = new ByteReader(payload, 'JOURNAL payload', fileOffset);
  const count = r.u32('entry_count');
  const epoch = r.u32('epoch');
  const prevJournalSegId = r.u64('prev_journal_seg_id');
  if (count * JOURNAL_ENTRY_SIZE > r.remaining) {
    throw r.fail(`entry_count ${count} needs ${count * JOURNAL_ENTRY_SIZE} bytes, ${r.remaining} remain`);
  }
  const entries = new Array(count);
  for (let i = 0; i < count; i++) {
    const entryType = r.u8();
    r.skip(1);
    const entryLength = r.u16();
    if (entryLength !== 8) throw r.fail(`entry ${i} has entry_length ${entryLength}, expected 8`);
    entries[i] = { entryType, vectorId: r.u64() };
  }
  return { epoch, prevJournalSegId, entries };
}

/** Encodes a JOURNAL_SEG payload. */
export function encodeJournalPayload(j: Journal): Uint8Array {
  const w = new ByteWriter(JOURNAL_HEADER_SIZE + JOURNAL_ENTRY_SIZE * j.entries.length);
  w.u32(j.entries.length).u32(j.epoch).u64(j.prevJournalSegId);
  for (const e of j.entries) w.u8(e.entryType).u8(0).u16(8).u64(e.vectorId);
  return w.finish();
}

/** The journal the reference writes for delete(ids): every requested id, existing or not. */
export function deleteJournal(epoch: number, ids: readonly bigint[]): Journal {
  return {
    epoch,
    prevJournalSegId: 0n,
    entries: ids.map((vectorId) => ({ entryType: JournalEntryType.DeleteVector, vectorId })),
  };
}
