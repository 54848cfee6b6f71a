import type { CommandOutcome } from '../command-outcome.js';
import { ExitCode } from '../exit-codes.js';
import { type InspectReport, inspectFile } from '../inspect.js';
import { type ProgressChoice, startProgress } from '../progress.js';
import { formatTable } from '../table.js';

export interface InspectOptions {
  progress?: ProgressChoice;
}

/** `inspect --json` is the InspectReport; exit code 3 when the file is not intact. */
export async function inspectCommand(path: string, o: InspectOptions): Promise<CommandOutcome> {
  const bar = startProgress('Inspecting', 'bytes', o.progress);
  let report: InspectReport;
  try {
    report = await inspectFile(path, (done, total) => bar.update({ done, total }));
  } finally {
    bar.stop();
  }
  return {
    json: report,
    exitCode: report.intact ? ExitCode.Ok : ExitCode.Integrity,
    human: () => {
      const table = formatTable(
        [
          { header: 'offset', align: 'right' },
          { header: 'type' },
          { header: 'id', align: 'right' },
          { header: 'length', align: 'right' },
          { header: 'hash' },
          { header: 'committed' },
          { header: 'summary' },
        ],
        report.rows.map((r) => [
          String(r.offset),
          r.kind === 'gap' ? '(gap)' : (r.type ?? ''),
          r.id ?? '',
          String(r.length),
          r.hash ?? '',
          r.committed === undefined ? '' : r.committed ? 'yes' : 'no',
          r.summary ?? '',
        ]),
      );
      const segments = report.rows.filter((r) => r.kind === 'segment').length;
      const verdict = report.intact
        ? `intact: ${segments} segments, every hash verifies, every committed segment is present, the witness chain holds`
        : `DAMAGED:\n${report.problems.map((p) => `  ${p}`).join('\n')}`;
      return `${table}\n\n${verdict}`;
    },
  };
}
