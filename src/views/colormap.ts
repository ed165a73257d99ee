/**
 * Colour maps as 256-entry palettes for the raster heatmaps, taken from Vega's own schemes so that
 * the images match the colour legends Vega draws beside them. Indices 0..254 span the scale's
 * domain; index 255 is the "no value" colour (a flat neuron).
 */
import { scheme } from 'vega';

export type ColormapName = 'viridis' | 'redblue-reversed';

/** Levels used for values; index LEVELS is the no-value colour. */
export const LEVELS = 255;
export const NO_VALUE_INDEX = 255;
/** Light grey for flat neurons / missing values. */
export const NO_VALUE_RGB: [number, number, number] = [200, 200, 200];

const cache = new Map<ColormapName, Uint8Array>();

function parseRgb(s: string): [number, number, number] {
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{6})$/i.exec(s);
  if (h) { const v = parseInt(h[1], 16); return [v >> 16, (v >> 8) & 255, v & 255]; }
  throw new Error(`cannot parse colour ${s}`);
}

/** Vega's interpolator for a colormap: t in [0, 1] → CSS colour. */
export function interpolator(name: ColormapName): (t: number) => string {
  if (name === 'viridis') return scheme('viridis') as (t: number) => string;
  const rb = scheme('redblue') as (t: number) => string;
  return (t: number) => rb(1 - t);
}

/** The palette: 256 RGB triples (768 bytes). */
export function palette(name: ColormapName): Uint8Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const f = interpolator(name);
  const pal = new Uint8Array(256 * 3);
  for (let i = 0; i < LEVELS; i++) pal.set(parseRgb(f(i / (LEVELS - 1))), i * 3);
  pal.set(NO_VALUE_RGB, NO_VALUE_INDEX * 3);
  cache.set(name, pal);
  return pal;
}

/** Palette index of a value on [lo, hi] (clamped); NaN gives the no-value index. */
export function colourIndex(v: number, lo: number, hi: number): number {
  if (Number.isNaN(v)) return NO_VALUE_INDEX;
  const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  return Math.max(0, Math.min(LEVELS - 1, Math.round(t * (LEVELS - 1))));
}
