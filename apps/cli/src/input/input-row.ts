/**
 * One record as a reader found it, before the CLI maps columns to id, vector and metadata:
 * named fields (an NDJSON object, a CSV row under its header, a Parquet row) and where it
 * was, for messages ("line 12", "row 7", "element 3 (line 40)").
 */
export interface InputRow {
  fields: Record<string, unknown>;
  where: string;
}

/** The longest line or record a text reader holds in memory: input is streamed, not slurped. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
