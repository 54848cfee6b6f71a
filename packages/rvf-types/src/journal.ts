/** JOURNAL_SEG (spec §9.1). */
export const JOURNAL_HEADER_SIZE = 16;
export const JOURNAL_ENTRY_SIZE = 12;
export const JournalEntryType = { DeleteVector: 0x01 } as const;

export interface JournalEntry {
  entryType: number;
  vectorId: bigint;
}

export interface Journal {
  epoch: number;
  prevJournalSegId: bigint;
  entries: JournalEntry[];
}
