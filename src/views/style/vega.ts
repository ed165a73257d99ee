/** The look every figure shares: the Vega and Vega-Lite schemas, the font and the configs (figures/common.ts adds the run colours). */
export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const VEGA_SCHEMA = 'https://vega.github.io/schema/vega/v6.json';
export const FONT = 'Liberation Sans, Arial, Helvetica, sans-serif';

/** Vega-Lite config of every figure. */
export const VL_CONFIG = {
  font: FONT,
  background: 'white',
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', offset: 8 },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', grid: true, gridColor: '#eee', labelOverlap: 'greedy', labelSeparation: 6 },
  legend: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' },
  header: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: '#ccc' },
  concat: { spacing: 24 },
  facet: { spacing: 12 },
};

/** Vega (not -lite) config. */
export const VEGA_CONFIG = {
  background: 'white',
  text: { font: FONT },
  title: { font: FONT, fontSize: 14, anchor: 'start' },
  axis: { labelFont: FONT, titleFont: FONT, labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' },
  legend: { labelFont: FONT, titleFont: FONT, labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' },
};
