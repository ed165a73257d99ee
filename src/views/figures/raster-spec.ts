/**
 * A Vega (not -lite) spec of raster heatmap panels: each panel is a PNG (made by raster.ts) drawn
 * as one image mark over linear scales with real axes, a shared colour legend, and a hover read-out
 * (the value under the pointer is looked up in a compact string per image row, HOVER_ALPHABET).
 * Optionally a check box switches every panel to an alternative image (e.g. neurons sorted).
 */
import { HOVER_ALPHABET } from '../raster.js';
import { VEGA_CONFIG, VEGA_SCHEMA } from './common.js';

export interface RasterAxis {
  /** Data value at the image's left/top edge and right/bottom edge (for y: top first). */
  domain: [number, number];
  title: string;
  /** Axis title while the alternative image is shown. */
  altTitle?: string;
  format?: string;
}

export interface RasterPanel {
  title: string;
  subtitle?: string;
  uri: string;
  altUri?: string;
  width: number;
  height: number;
  x: RasterAxis;
  y: RasterAxis;
  /** Hover look-up: one string per image row, one character per data column. */
  hover: {
    rows: string[];
    /** Label of each image row (e.g. its epoch). */
    rowLabels: (number | string)[];
    rowName: string;
    colName: string;
    /** Data column of image column j (identity if omitted); `altCols` while the alternative image is shown. */
    cols?: number[];
    altCols?: number[];
    /** Label of data column c (identity if omitted). */
    colLabels?: (number | string)[];
    /** Value range the characters encode. */
    lo: number;
    hi: number;
    valueName: string;
  };
  /** Small markers outside the right edge of the image, at data y, with a label. */
  markers?: { y: number; text: string; kind: 'filled' | 'hollow' }[];
}

export interface RasterSpecOptions {
  title: string;
  subtitle?: string;
  columns: number;
  panels: RasterPanel[];
  colour: { scheme: string; reverse?: boolean; domain: [number, number]; title: string };
  /** Show "flat neuron" in the legend (the no-value grey). */
  noValueLegend?: string;
  /** Check box that switches to the alternative images (interactive only). */
  toggle?: { name: string; label: string; value: boolean; interactive: boolean };
}

export function rasterSpec(o: RasterSpecOptions): object {
  const A = JSON.stringify(HOVER_ALPHABET);
  const L = HOVER_ALPHABET.length - 1;
  const tog = o.toggle?.name ?? 'alt';
  const data = o.panels.map((p, i) => ({
    name: `meta_${i}`,
    values: [{
      s: p.hover.rows, rl: p.hover.rowLabels, cols: p.hover.cols ?? null, alt: p.hover.altCols ?? null,
      cl: p.hover.colLabels ?? null, u1: p.uri, u2: p.altUri ?? p.uri,
    }],
  }));
  const marks = o.panels.map((p, i) => {
    const R = p.hover.rows.length, C = p.hover.rows[0]?.length ?? 0;
    const imgCols = Math.max(1, (p.hover.altCols ?? p.hover.cols)?.length ?? C);
    const meta = `data('meta_${i}')[0]`;
    const hv = `hv_${i}`;
    const dataCol = `(${tog} && ${meta}.alt ? ${meta}.alt[${hv}.c] : (${meta}.cols ? ${meta}.cols[${hv}.c] : ${hv}.c))`;
    const ch = `substring(${meta}.s[${hv}.r], ${dataCol}, ${dataCol} + 1)`;
    const val = `(${ch} == '~' ? 'no value (flat)' : format(${p.hover.lo} + indexof(${A}, ${ch}) / ${L} * ${p.hover.hi - p.hover.lo}, '.3~f'))`;
    const colLabel = `(${meta}.cl ? ${meta}.cl[${dataCol}] : ${dataCol})`;
    const readout = `${hv} ? '${p.hover.rowName} ' + ${meta}.rl[${hv}.r] + ' · ${p.hover.colName} ' + ${colLabel} + ' · ${p.hover.valueName} ≈ ' + ${val} : ''`;
    const mk = p.markers ?? [];
    return {
      type: 'group',
      name: `panel_${i}`,
      title: { text: p.title, ...(p.subtitle ? { subtitle: p.subtitle } : {}), anchor: 'start', frame: 'group', offset: 22, fontSize: 12, subtitleFontSize: 10 },
      encode: { enter: { width: { value: p.width }, height: { value: p.height } } },
      signals: [{
        name: hv,
        value: null,
        on: [
          { events: `@img_${i}:mousemove`, update: `{r: clamp(floor(y(group()) / ${p.height} * ${R}), 0, ${R - 1}), c: clamp(floor(x(group()) / ${p.width} * ${imgCols}), 0, ${imgCols - 1})}` },
          { events: `@img_${i}:mouseout`, update: 'null' },
        ],
      }],
      scales: [
        { name: 'x', type: 'linear', domain: p.x.domain, range: [0, p.width], zero: false, nice: false },
        { name: 'y', type: 'linear', domain: p.y.domain, range: [0, p.height], zero: false, nice: false },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: p.x.altTitle ? { signal: `${tog} ? ${JSON.stringify(p.x.altTitle)} : ${JSON.stringify(p.x.title)}` } : p.x.title, tickCount: 8, ...(p.x.format ? { format: p.x.format } : {}), grid: false },
        { orient: 'left', scale: 'y', title: p.y.title, tickCount: 6, ...(p.y.format ? { format: p.y.format } : {}), grid: false },
      ],
      marks: [
        {
          type: 'image', name: `img_${i}`, aria: false,
          encode: {
            enter: { x: { value: 0 }, y: { value: 0 }, width: { value: p.width }, height: { value: p.height }, aspect: { value: false }, smooth: { value: false } },
            update: { url: { signal: `${tog} ? ${meta}.u2 : ${meta}.u1` } },
          },
        },
        {
          type: 'text', name: `hover_${i}`, interactive: false,
          encode: {
            enter: { x: { value: 0 }, y: { value: -6 }, fontSize: { value: 10 }, fill: { value: '#222' }, baseline: { value: 'bottom' } },
            update: { text: { signal: readout } },
          },
        },
        ...(mk.length ? [
          {
            type: 'symbol', interactive: false,
            from: { data: `markers_${i}` },
            encode: {
              enter: {
                x: { signal: `${p.width} + (datum.kind == 'filled' ? 7 : 19)` }, y: { scale: 'y', field: 'y' }, shape: { value: 'triangle-left' }, size: { value: 40 },
                fill: { signal: "datum.kind == 'filled' ? '#e8871e' : 'white'" }, stroke: { value: '#555' }, strokeWidth: { value: 0.8 },
              },
            },
          },
          {
            type: 'text', interactive: false,
            from: { data: `markers_${i}` },
            encode: {
              enter: { x: { value: p.width + 26 }, y: { scale: 'y', field: 'y' }, text: { field: 'text' }, fontSize: { value: 9 }, baseline: { value: 'middle' }, fill: { value: '#333' } },
            },
          },
        ] : []),
      ],
    };
  });
  const markerData = o.panels.flatMap((p, i) => (p.markers?.length ? [{ name: `markers_${i}`, values: p.markers }] : []));
  const signals: object[] = [];
  if (o.toggle) signals.push({ name: tog, value: o.toggle.value, ...(o.toggle.interactive ? { bind: { input: 'checkbox', name: o.toggle.label } } : {}) });
  else signals.push({ name: tog, value: false });
  return {
    $schema: VEGA_SCHEMA,
    config: VEGA_CONFIG,
    padding: 8,
    autosize: 'pad',
    title: { text: o.title, ...(o.subtitle ? { subtitle: o.subtitle, subtitleFontSize: 11, subtitleColor: '#555' } : {}), anchor: 'start', offset: 12 },
    signals,
    data: [...data, ...markerData],
    layout: { columns: o.columns, padding: { row: 40, column: 60 }, bounds: 'full', align: 'all' },
    scales: [
      { name: 'colour', type: 'linear', domain: o.colour.domain, range: { scheme: o.colour.scheme }, reverse: o.colour.reverse ?? false, zero: false, nice: false },
      ...(o.noValueLegend ? [{ name: 'novalue', type: 'ordinal', domain: [o.noValueLegend], range: ['#c8c8c8'] }] : []),
    ],
    legends: [
      { fill: 'colour', type: 'gradient', title: o.colour.title, direction: 'vertical', gradientLength: 180, orient: 'right' },
      ...(o.noValueLegend ? [{ fill: 'novalue', orient: 'right', symbolType: 'square' }] : []),
    ],
    marks,
  };
}
