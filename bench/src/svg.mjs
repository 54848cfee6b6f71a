// Hand-written SVG: recall@10 (y) against p50 latency (x, log scale), one panel per data set.

const COLORS = { ours: '#1f77b4', hnswlib: '#ff7f0e', ref: '#d62728', exact: '#2ca02c' };
const LABELS = {
  ours: 'ours (efSearch sweep)',
  hnswlib: 'raw hnswlib-node (ef sweep)',
  ref: 'reference rvf-node (default)',
  exact: 'exact scan',
};
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ok = (e) => e && !e.error && !e.skipped && !e.timedOut;

function panel(d, x0, y0, w, h) {
  const series = [];
  const o = d.engines.ours;
  const hn = d.engines.hnswlib;
  const r = d.engines.ref;
  if (ok(o) && o.sweep?.length)
    series.push({ key: 'ours', pts: o.sweep.map((s) => ({ x: s.p50, y: s.recall, label: s.ef })) });
  if (ok(hn) && hn.sweep?.length)
    series.push({ key: 'hnswlib', pts: hn.sweep.map((s) => ({ x: s.p50, y: s.recall, label: s.ef })) });
  if (ok(r) && r.def) series.push({ key: 'ref', pts: [{ x: r.def.p50, y: r.def.recall, label: 'default' }] });
  series.push({ key: 'exact', pts: [{ x: d.exact.latency.p50, y: 1, label: '' }] });
  const all = series.flatMap((s) => s.pts).filter((p) => p.x > 0 && Number.isFinite(p.y));
  const out = [];
  const pad = { l: 52, r: 12, t: 36, b: 38 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  out.push(`<g transform="translate(${x0},${y0})">`);
  out.push(`<rect x="0" y="0" width="${w}" height="${h}" fill="#fff" stroke="#ddd"/>`);
  out.push(
    `<text x="${w / 2}" y="17" text-anchor="middle" font-size="13" font-weight="bold">${esc(d.name)}</text>`,
  );
  if (all.length === 0) {
    out.push('</g>');
    return out.join('\n');
  }
  const lx = Math.log10;
  let xmin = lx(Math.min(...all.map((p) => p.x)));
  let xmax = lx(Math.max(...all.map((p) => p.x)));
  xmin = Math.floor(xmin * 2) / 2 - 0.1;
  xmax = Math.ceil(xmax * 2) / 2 + 0.1;
  const ymin = Math.max(0, Math.floor((Math.min(...all.map((p) => p.y)) - 0.02) * 10) / 10);
  const ymax = 1.0;
  const sx = (x) => pad.l + ((lx(x) - xmin) / (xmax - xmin)) * pw;
  const sy = (y) => pad.t + (1 - (y - ymin) / (ymax - ymin || 1)) * ph;
  // grid + ticks
  for (let e = Math.ceil(xmin); e <= Math.floor(xmax); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (lx(v) < xmin || lx(v) > xmax) continue;
      const X = sx(v).toFixed(1);
      out.push(`<line x1="${X}" y1="${pad.t}" x2="${X}" y2="${pad.t + ph}" stroke="#eee"/>`);
      const txt = v >= 1 ? `${v} ms` : `${+v.toPrecision(2)}`;
      out.push(
        `<text x="${X}" y="${pad.t + ph + 14}" text-anchor="middle" font-size="10" fill="#555">${txt}</text>`,
      );
    }
  }
  const step = ymax - ymin > 0.5 ? 0.1 : 0.05;
  for (let y = ymin; y <= ymax + 1e-9; y += step) {
    const Y = sy(y).toFixed(1);
    out.push(`<line x1="${pad.l}" y1="${Y}" x2="${pad.l + pw}" y2="${Y}" stroke="#eee"/>`);
    out.push(
      `<text x="${pad.l - 6}" y="${+Y + 3}" text-anchor="end" font-size="10" fill="#555">${y.toFixed(2)}</text>`,
    );
  }
  out.push(`<rect x="${pad.l}" y="${pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(
    `<text x="${pad.l + pw / 2}" y="${h - 6}" text-anchor="middle" font-size="11">p50 latency (ms, log scale)</text>`,
  );
  out.push(
    `<text transform="translate(13,${pad.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11">recall@10</text>`,
  );
  for (const s of series) {
    const c = COLORS[s.key];
    const pts = s.pts.filter((p) => p.x > 0);
    if (pts.length > 1)
      out.push(
        `<polyline fill="none" stroke="${c}" stroke-width="1.8" points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const p of pts) {
      const X = sx(p.x).toFixed(1);
      const Y = sy(p.y).toFixed(1);
      if (s.key === 'ref')
        out.push(`<rect x="${+X - 4.5}" y="${+Y - 4.5}" width="9" height="9" fill="${c}"/>`);
      else if (s.key === 'exact')
        out.push(`<path d="M${X},${+Y - 6} L${+X + 6},${Y} L${X},${+Y + 6} L${+X - 6},${Y} Z" fill="${c}"/>`);
      else out.push(`<circle cx="${X}" cy="${Y}" r="3.2" fill="${c}"/>`);
      if (s.key === 'ours' || s.key === 'hnswlib') {
        const dy = s.key === 'ours' ? -6 : 13;
        out.push(
          `<text x="${X}" y="${+Y + dy}" text-anchor="middle" font-size="9" fill="${c}">${esc(p.label)}</text>`,
        );
      }
    }
  }
  out.push('</g>');
  return out.join('\n');
}

export function renderSvg(results) {
  const ds = results.sections.ann?.datasets ?? [];
  if (ds.length === 0) return undefined;
  const cols = Math.min(2, ds.length);
  const rowsN = Math.ceil(ds.length / cols);
  const pw = 460;
  const ph = 320;
  const top = 64;
  const W = cols * pw + (cols + 1) * 10;
  const H = top + rowsN * (ph + 10) + 10;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>recall@10 vs p50 query latency per data set: ours, raw hnswlib-node, the reference and an exact scan</title>`,
    `<rect width="${W}" height="${H}" fill="#fafafa"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">recall@10 vs p50 query latency (k = 10, single thread) — ${esc(results.machine.cpu)}, Node ${esc(results.machine.node)}</text>`,
  ];
  let lx = 10;
  for (const key of ['ours', 'hnswlib', 'ref', 'exact']) {
    out.push(`<rect x="${lx}" y="36" width="12" height="12" fill="${COLORS[key]}"/>`);
    out.push(`<text x="${lx + 17}" y="46" font-size="12">${esc(LABELS[key])}</text>`);
    lx += 40 + LABELS[key].length * 6.2;
  }
  ds.forEach((d, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    out.push(panel(d, 10 + c * (pw + 10), top + r * (ph + 10), pw, ph));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
