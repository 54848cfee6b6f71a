/** INDEX_SEG (0x02) constants (spec §12). */
export const INDEX_TRAILER_MAGIC = 0x58495652; // ASCII "RVIX" read as u32 LE
export const INDEX_CODEC_HEADER_SIZE = 64;
export const INDEX_RESTART_INTERVAL = 64;
export const IndexType = { Hnsw: 0 } as const;
export const NO_ENTRY_POINT = 0xffffffffffffffffn;
