// Small statistics and formatting helpers.

/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
export function percentile(values, p) {
  if (!values || values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export function median(values) {
  if (!values || values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mean(values) {
  if (!values || values.length === 0) return undefined;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Latency summary of a list of per-query milliseconds plus the loop's wall time. */
export function latencySummary(lat, wallMs) {
  return {
    n: lat.length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    mean: mean(lat),
    qps: wallMs > 0 ? (lat.length * 1000) / wallMs : undefined,
  };
}

export function fmtMs(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return 'n/a';
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

export function fmtBytes(b) {
  if (b === undefined || b === null) return 'n/a';
  if (b >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(2)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

export function fmtNum(x, digits = 0) {
  if (x === undefined || x === null || Number.isNaN(x)) return 'n/a';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtRecall(r) {
  if (r === undefined || r === null || Number.isNaN(r)) return 'n/a';
  return r.toFixed(4);
}

/** A markdown table from a header row and rows of cells. */
export function mdTable(header, rows) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}
