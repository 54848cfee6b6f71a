import type { CommandOutcome } from '../command-outcome.js';
import { withStore } from '../store-session.js';
import { formatTable } from '../table.js';

/** `segments --json`: the latest manifest's directory. */
export interface SegmentsDocument {
  segments: { id: number; type: string; offset: number; payloadLength: number }[];
}

export async function segmentsCommand(path: string): Promise<CommandOutcome> {
  const list = await withStore(path, { readOnly: true }, async (s) => s.segments());
  const doc: SegmentsDocument = {
    segments: list.map((e) => ({
      id: e.id,
      type: e.segType,
      offset: e.offset,
      payloadLength: e.payloadLength,
    })),
  };
  return {
    json: doc,
    human: () =>
      formatTable(
        [
          { header: 'id', align: 'right' },
          { header: 'type' },
          { header: 'offset', align: 'right' },
          { header: 'length', align: 'right' },
        ],
        doc.segments.map((s) => [String(s.id), s.type, String(s.offset), String(s.payloadLength)]),
      ),
  };
}
