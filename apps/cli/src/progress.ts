import cliProgress from 'cli-progress';
import { formatBytes, formatCount } from './table.js';

/**
 * `--progress` forces bars on (also when stderr is not a terminal, printing a line now and
 * then), `--no-progress` turns them off; by default they show only on a terminal, so pipes,
 * CI logs and `--json` consumers see nothing but the result.
 */
export type ProgressChoice = boolean | undefined;

export interface ProgressUpdate {
  /** Work done, in the unit of `total` (bytes of input, vectors...). */
  done: number;
  /** Unknown (stdin) leaves the bar out and shows the count and rate only. */
  total?: number;
  /** What the count and rate show, when it differs from `done` (records read while `done` counts bytes). */
  items?: number;
}

export interface Progress {
  update(u: ProgressUpdate): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };
// Short enough that the whole line fits in 80 columns (cli-progress cuts it at the terminal's width).
const BAR_WIDTH = 16;

/**
 * One board for the whole command: a writer's HNSW graph can report progress while its
 * ingest is still running, and two bars drawing on one terminal line would overwrite each
 * other. The board keeps one line per bar.
 */
let board: cliProgress.MultiBar | undefined;

export function progressEnabled(choice: ProgressChoice): boolean {
  return choice ?? process.stderr.isTTY === true;
}

/**
 * A progress line on stderr (stdout stays the command's result): a bar with percentage,
 * count, rate and ETA when the total is known; `unit` undefined shows elapsed time only,
 * for work that reports no steps. Lines stay on screen until finishProgress().
 */
export function startProgress(label: string, unit: string | undefined, choice: ProgressChoice): Progress {
  if (!progressEnabled(choice)) return SILENT;
  // Rate and ETA are measured from `origin`: the start, or where a new phase began.
  let origin = { time: Date.now(), done: 0, items: 0 };
  let stopped: number | undefined;
  let state: ProgressUpdate = { done: 0 };
  let bar: cliProgress.SingleBar | undefined;
  const draw = () => {
    board ??= new cliProgress.MultiBar({
      stream: process.stderr,
      // Without a terminal (forced), print the lines now and then instead of redrawing.
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
      hideCursor: true,
      // Redrawn on a timer, so elapsed time and ETA stay current while nothing moves.
      fps: 5,
    });
    bar = board.create(
      1,
      0,
      {},
      {
        format: () => render(label, unit, state, origin, stopped ?? Date.now()),
      },
    );
  };
  // Work with steps appears at its first report, when its total is known.
  if (unit === undefined) draw();
  return {
    update(u) {
      // Work that starts over (another graph job counting from 0) restarts rate and ETA; a
      // total that grows (the graph catching up while an ingest adds vectors) does not.
      if (u.done < state.done) {
        origin = { time: Date.now(), done: u.done, items: u.items ?? u.done };
      }
      state = u;
      if (!bar) draw();
    },
    stop() {
      stopped ??= Date.now();
    },
  };
}

/** Draws every bar's final state and releases the terminal; the command's result follows. */
export function finishProgress(): void {
  board?.stop();
  board = undefined;
}

function render(
  label: string,
  unit: string | undefined,
  s: ProgressUpdate,
  origin: { time: number; done: number; items: number },
  now: number,
): string {
  const seconds = (now - origin.time) / 1000;
  if (unit === undefined) return `${label}… ${clock(seconds)}`;
  const items = s.items ?? s.done;
  // Bytes read as KiB/MiB; everything else is counted.
  const inBytes = unit === 'bytes' && s.items === undefined;
  const amount = inBytes ? formatBytes : (n: number) => formatCount(Math.round(n));
  const shownUnit = inBytes ? '' : ` ${unit}`;
  const rate = seconds > 0 ? (items - origin.items) / seconds : 0;
  const rateText = `${amount(rate)}/s`;
  if (s.total === undefined || s.total <= 0) {
    return `${label} ${amount(items)}${shownUnit}  ${rateText}  ${clock(seconds)}`;
  }
  const fraction = Math.min(1, s.done / s.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = '\u2588'.repeat(filled) + '\u2591'.repeat(BAR_WIDTH - filled);
  // The count shows "n/total" when both are in the same unit.
  const count = s.items === undefined ? `${amount(s.done)}/${amount(s.total)}` : amount(items);
  const donePerSecond = seconds > 0 ? (s.done - origin.done) / seconds : 0;
  const eta = donePerSecond > 0 ? clock((s.total - s.done) / donePerSecond) : '-:--';
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${label} ${percent} [${bar}] ${count}${shownUnit}  ${rateText}  ETA ${eta}`;
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The HNSW graph a writer finishes at close, as a progress bar in vectors. */
export function graphProgress(choice: ProgressChoice): {
  onIndexProgress: ((done: number, total: number) => void) | undefined;
  stop: () => void;
} {
  if (!progressEnabled(choice)) return { onIndexProgress: undefined, stop: () => undefined };
  let bar: Progress | undefined;
  return {
    onIndexProgress(done, total) {
      bar ??= startProgress('HNSW graph', 'vectors', choice);
      bar.update({ done, total });
    },
    stop() {
      bar?.stop();
    },
  };
}
