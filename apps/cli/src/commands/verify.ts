import { RvfStore, type WitnessLinkReport } from '@rvfjs/runtime';
import { RvfError, segmentTypeName } from '@rvfjs/types';
import { fileHandleSource, readSegmentAt, scanTail } from '@rvfjs/wire';
import type { CommandOutcome } from '../command-outcome.js';
import { bareMessage } from '../error-report.js';
import { ExitCode } from '../exit-codes.js';
import { type ProgressChoice, startProgress } from '../progress.js';
import { openStoreFile } from '../store-file.js';
import { formatBytes, formatFields } from '../table.js';

export interface VerifyOptions {
  progress?: ProgressChoice;
}

export interface DamagedSegmentReport {
  offset: number;
  id: number;
  type: string;
  message: string;
}

/** `verify --json`; exit code 3 unless `valid`. */
export interface VerifyDocument {
  valid: boolean;
  segments: { checked: number; bytes: number; damaged: DamagedSegmentReport[] };
  witness: {
    valid: boolean;
    entries: number;
    chains: number;
    shake256Links: number;
    legacyLinks: number;
    firstBroken: { index: number; offset: number; action: string } | null;
    /** Why the chain could not be read at all (a damaged witness segment), else null. */
    error: string | null;
    witnesses: WitnessLinkReport[];
  };
}

/**
 * Checks what the store relies on: every segment the latest manifest lists is read and its
 * content hash verified (one at a time, so memory stays one segment), then the witness chain
 * is walked link by link. A branch's parent is a file of its own: verify it separately.
 */
export async function verifyCommand(path: string, o: VerifyOptions): Promise<CommandOutcome> {
  const damaged: DamagedSegmentReport[] = [];
  let checked = 0;
  let bytes = 0;
  const fh = await openStoreFile(path);
  try {
    const source = fileHandleSource(fh, (await fh.stat()).size);
    const latest = await scanTail(source);
    const directory = latest?.manifest.directory ?? [];
    const total = directory.reduce((sum, e) => sum + 64 + e.payloadLength, 0);
    const bar = startProgress('Verifying', 'bytes', o.progress);
    try {
      for (const entry of directory) {
        try {
          await readSegmentAt(source, entry);
        } catch (e) {
          if (!(e instanceof RvfError)) throw e;
          damaged.push({
            offset: entry.offset,
            id: Number(entry.segId),
            type: segmentTypeName(entry.segType),
            message: bareMessage(e),
          });
        }
        checked++;
        bytes += 64 + entry.payloadLength;
        bar.update({ done: bytes, total });
      }
    } finally {
      bar.stop();
    }
  } finally {
    await fh.close();
  }

  // A recovery open skips damaged data segments, so the chain is still checked around them.
  const store = await RvfStore.open(path, { readOnly: true, recover: true });
  let witness: VerifyDocument['witness'];
  try {
    const r = await store.verifyWitness();
    witness = {
      valid: r.valid,
      entries: r.entries,
      chains: r.chains,
      shake256Links: r.shake256Links,
      legacyLinks: r.legacyLinks,
      firstBroken: r.firstBroken ?? null,
      error: null,
      witnesses: r.witnesses,
    };
  } catch (e) {
    if (!(e instanceof RvfError)) throw e;
    witness = {
      valid: false,
      entries: 0,
      chains: 0,
      shake256Links: 0,
      legacyLinks: 0,
      firstBroken: null,
      error: bareMessage(e),
      witnesses: [],
    };
  } finally {
    await store.close();
  }

  const doc: VerifyDocument = {
    valid: damaged.length === 0 && witness.valid,
    segments: { checked, bytes, damaged },
    witness,
  };
  return {
    json: doc,
    exitCode: doc.valid ? ExitCode.Ok : ExitCode.Integrity,
    human: () => formatVerify(doc),
  };
}

function formatVerify(d: VerifyDocument): string {
  const w = d.witness;
  const lines = [
    formatFields([
      [
        'segments',
        `${d.segments.checked} committed (${formatBytes(d.segments.bytes)}): ${
          d.segments.damaged.length === 0 ? 'every hash verifies' : `${d.segments.damaged.length} DAMAGED`
        }`,
      ],
      [
        'witness chain',
        w.error !== null
          ? `UNREADABLE: ${w.error}`
          : `${w.valid ? 'valid' : 'BROKEN'}: ${w.entries} entries in ${w.chains} chain${w.chains === 1 ? '' : 's'} ` +
            `(${w.shake256Links} SHAKE-256 links, ${w.legacyLinks} legacy links)`,
      ],
      ['verdict', d.valid ? 'intact' : 'DAMAGED (exit code 3)'],
    ]),
  ];
  for (const s of d.segments.damaged)
    lines.push(`  segment ${s.id} (${s.type}) at offset ${s.offset}: ${s.message}`);
  if (w.firstBroken) {
    lines.push(
      `  first broken link: witness ${w.firstBroken.index} at offset ${w.firstBroken.offset} (${w.firstBroken.action})`,
    );
  }
  return lines.join('\n');
}
