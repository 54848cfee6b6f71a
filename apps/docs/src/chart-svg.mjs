/**
 * Vega-Lite → SVG at build time, in Node: compiled to a Vega spec and rendered by a headless
 * View (renderer 'none', no canvas needed). The page ships a static picture: no chart library
 * runs in the reader's browser.
 */
import { parse, View } from 'vega';
import { compile } from 'vega-lite';

/** Fonts and colours shared by every chart, close to the VitePress default theme. */
const CONFIG = {
  font: 'Inter, ui-sans-serif, system-ui, sans-serif',
  background: '#ffffff',
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  range: { category: ['#3451b2', '#e8793b', '#2f9e6e', '#a34fb8'] },
};

/** Renders a Vega-Lite spec to an SVG document (a string starting with `<svg`). */
export async function renderSvg(spec) {
  const { spec: vegaSpec } = compile({ config: CONFIG, ...spec });
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
