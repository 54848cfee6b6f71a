/** JOURNAL_SEG (spec §9.1). */
export const JOURNAL_HEADER_SIZE = 16;
/** Size of one JOURNAL_SEG entry, in bytes. */
export const JOURNAL_ENTRY_SIZE = 12;
/** What a journal entry records; deleting a vector is the only kind. */
export const JournalEntryType = { DeleteVector: 0x01 } as const;

/** One journal entry: its type and the vector id it concerns. */
export interface JournalEntry {
  entryType: number;
  vectorId: bigint;
}

/** A decoded JOURNAL_SEG: its epoch, the previous journal segment, and its entries. */
export interface Journal {
  epoch: number;
  prevJournalSegId: bigint;
  entries: JournalEntry[];
}
