import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { rvfError } from '@rvfjs/types';
import type { CommandOutcome } from '../command-outcome.js';
import { type ProgressChoice, startProgress } from '../progress.js';
import { withStore } from '../store-session.js';
import { formatCount } from '../table.js';

export interface ExportOptions {
  progress?: ProgressChoice;
}

/** `export --json`; `output` is null for stdout. */
export interface ExportDocument {
  exported: number;
  output: string | null;
}

/**
 * Every visible vector as NDJSON, the format `ingest` reads. On stdout the records are the
 * output, so the summary goes to stderr and the stream stays pipeable into `rvf ingest`.
 */
export async function exportCommand(
  path: string,
  output: string | undefined,
  o: ExportOptions,
): Promise<CommandOutcome> {
  const toStdout = output === undefined || output === '-';
  const { n: exported, readerGone } = await withStore(path, { readOnly: true }, async (store) => {
    const fh = toStdout
      ? undefined
      : await open(output, 'w').catch((e: Error) => {
          throw rvfError('IoFailed', `cannot write ${output}: ${e.message}`, { path: output }, e);
        });
    const out: Writable = fh ? fh.createWriteStream() : process.stdout;
    const total = store.status().totalVectors;
    const bar = startProgress('Exporting', 'vectors', o.progress);
    // A reader that stops early (`rvf export a.rvf | head`) closes the pipe: that ends the
    // export quietly, as it ends any Unix filter, instead of failing with EPIPE.
    let readerGone = false;
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') readerGone = true;
    };
    if (toStdout) process.stdout.on('error', onError);
    let n = 0;
    try {
      for await (const line of store.export()) {
        if (readerGone) break;
        n++;
        if (!out.write(line)) await once(out, 'drain').catch((e: NodeJS.ErrnoException) => onError(e));
        if ((n & 1023) === 0) bar.update({ done: n, total });
      }
      bar.update({ done: n, total });
    } catch (e) {
      if (!readerGone) throw e;
    } finally {
      bar.stop();
      if (fh)
        await new Promise<void>((resolve, reject) =>
          out.end((e?: Error | null) => (e ? reject(e) : resolve())),
        );
    }
    return { n, readerGone };
  });
  const doc: ExportDocument = { exported, output: toStdout ? null : output };
  if (readerGone) return { json: doc, human: () => '', stream: 'stderr', quiet: true };
  return {
    json: doc,
    human: () => `Exported ${formatCount(exported)} records${toStdout ? '' : ` to ${output}`}`,
    stream: toStdout ? 'stderr' : 'stdout',
  };
}
