/**
 * Where and when a committed benchmark result was measured, read from the result file itself.
 * The files come from different bench sections and record this differently; a fact a file
 * does not record is said to be missing rather than guessed (except the date, which falls back
 * to the commit that added the file, and says so).
 */
import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';

const round = (x, digits = 2) => Number(x.toFixed(digits));

function commitDate(repoRoot, file) {
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%cI', '--', relative(repoRoot, file)], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

function machineOf(json) {
  const m = json.machine;
  if (!m) return undefined;
  const cpu = m.cpu ?? m.cpuModel;
  const cores = m.cores ?? m.cpuCount;
  const mem = m.memGiB ?? (m.totalmem ? round(m.totalmem / 2 ** 30, 1) : undefined);
  return [cpu, cores && `${cores} cores`, mem && `${mem} GiB`, m.node && `Node ${m.node}`, m.platform]
    .filter(Boolean)
    .join(', ');
}

function loadOf(json) {
  if (json.load?.median !== undefined) return `load median ${json.load.median}, max ${json.load.max}`;
  const before = json.machine?.loadavgBefore ?? json.load?.before ?? json.loadBefore;
  const after = json.machine?.loadavgAfter ?? json.load?.after ?? json.loadAfter;
  if (before && after) return `1-min load average ${before[0]} → ${after[0]}`;
  if (json.machine?.loadBefore !== undefined) return `load ${json.machine.loadBefore} before`;
  return undefined;
}

/**
 * `{ machine, date, load, line }` for one result file; `line` is the one-line statement each
 * chart carries, e.g. "AMD EPYC, 2 cores, 23.5 GiB, Node v20.20.2, linux-x64 · 2026-12-06 · load 0.33".
 */
export function provenance(repoRoot, file, json) {
  const recorded = json.machine?.date ?? json.date ?? json.at;
  const committed = recorded ? undefined : commitDate(repoRoot, file);
  const date = recorded
    ? recorded.slice(0, 10)
    : committed
      ? `${committed.slice(0, 10)} (date of the commit; the file records none)`
      : 'date not recorded';
  const machine = machineOf(json) ?? 'machine not recorded in the file';
  const load = loadOf(json);
  return { machine, date, load, line: [machine, date, load].filter(Boolean).join(' · ') };
}
