/** INDEX_SEG (0x02) constants (spec §12). */
export const INDEX_TRAILER_MAGIC = 0x58495652; // ASCII "RVIX" read as u32 LE
/** Size of an INDEX_SEG's codec header, in bytes. */
export const INDEX_CODEC_HEADER_SIZE = 64;
/** Adjacency lists between two restart points of an INDEX_SEG's delta coding. */
export const INDEX_RESTART_INTERVAL = 64;
/** The kind of index an INDEX_SEG holds; HNSW is the only one. */
export const IndexType = { Hnsw: 0 } as const;
/** The entry-point value of an empty graph (u64 max). */
export const NO_ENTRY_POINT = 0xffffffffffffffffn;
