/**
 * Raster images of matrices (epochs × neurons, frequency × epoch, p × p activation maps), as
 * palette PNGs: the fast path for heatmaps with hundreds of thousands of cells. Pure functions.
 */
import { LEVELS, NO_VALUE_INDEX, colourIndex, palette, type ColormapName } from './colormap.js';
import { encodeIndexedPng } from './png.js';

/**
 * A uniform epoch axis for checkpoint rows: `epochs[i]` = first + i·step, each taking the latest
 * checkpoint at or before it (`source[i]`, an index into the checkpoint epochs). Checkpoints every
 * 100 epochs map one to one; irregular ones are resampled so that the image's rows stay linear in
 * epoch. At most `maxRows` rows.
 */
export interface EpochGrid {
  epochs: number[];
  source: Int32Array;
  step: number;
}

export function epochGrid(checkpoints: readonly number[], maxRows = 400): EpochGrid {
  const n = checkpoints.length;
  if (n === 0) return { epochs: [], source: new Int32Array(0), step: 1 };
  if (n === 1) return { epochs: [checkpoints[0]], source: Int32Array.of(0), step: 1 };
  const first = checkpoints[0], last = checkpoints[n - 1];
  let step = Infinity;
  for (let i = 1; i < n; i++) step = Math.min(step, checkpoints[i] - checkpoints[i - 1]);
  let rows = Math.floor((last - first) / step + 1e-9) + 1;
  if ((last - first) % step !== 0) rows++;
  if (rows > maxRows) { rows = maxRows; step = (last - first) / (rows - 1); }
  const epochs: number[] = [], source = new Int32Array(rows);
  let j = 0;
  for (let i = 0; i < rows; i++) {
    const e = i === rows - 1 ? last : first + i * step;
    while (j + 1 < n && checkpoints[j + 1] <= e + 1e-9) j++;
    epochs.push(e);
    source[i] = j;
  }
  return { epochs, source, step };
}

/**
 * Palette indices of a [rows × cols] selection of a row-major matrix `m` (`stride` values per
 * source row): pixel (r, c) = m[rowIdx[r]·stride + colIdx[c]] on [lo, hi]; NaN → no-value colour.
 */
export function matrixIndices(m: ArrayLike<number>, stride: number, rowIdx: ArrayLike<number>, colIdx: ArrayLike<number>,
                              lo: number, hi: number): Uint8Array {
  const R = rowIdx.length, C = colIdx.length;
  const out = new Uint8Array(R * C);
  for (let r = 0; r < R; r++) {
    const o = rowIdx[r] * stride;
    for (let c = 0; c < C; c++) out[r * C + c] = colourIndex(m[o + colIdx[c]], lo, hi);
  }
  return out;
}

/** colourIndex over a strided column of values, inlined for the p² cells of a neuron map. */
function quantiseColumn(maps: ArrayLike<number>, count: number, stride: number, offset: number, lo: number, hi: number, out: Uint8Array): void {
  const L = LEVELS - 1;
  const scale = hi > lo ? L / (hi - lo) : 0;
  const mid = Math.round(0.5 * L);
  for (let i = 0, j = offset; i < count; i++, j += stride) {
    const v = maps[j];
    if (v !== v) { out[i] = NO_VALUE_INDEX; continue; }
    if (scale === 0) { out[i] = mid; continue; }
    const q = Math.round((v - lo) * scale);
    out[i] = q < 0 ? 0 : q > L ? L : q;
  }
}

/** PNG of a [rows × cols] index image with a colormap. */
export function indexPng(indices: Uint8Array, rows: number, cols: number, cmap: ColormapName): Buffer {
  return encodeIndexedPng(cols, rows, indices, palette(cmap));
}

/**
 * One neuron's p × p activation map from maps [p², d_mlp] (row a·p + b): image row a, column b,
 * scaled to the neuron's own min–max. Returns the palette indices and the range.
 */
export function neuronMapIndices(maps: ArrayLike<number>, p: number, m: number, n: number): { indices: Uint8Array; min: number; max: number } {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0, j = n; i < p * p; i++, j += m) { const v = maps[j]; if (v < lo) lo = v; if (v > hi) hi = v; }
  const indices = new Uint8Array(p * p);
  quantiseColumn(maps, p * p, m, n, lo, hi, indices);
  return { indices, min: lo, max: hi };
}

/**
 * Every neuron's map at once, as `neuronMapIndices` gives each (the same bytes): `indices[n·p² + i]`
 * from maps [p², d_mlp]. The maps are read row by row (contiguous), twice (range, then indices),
 * instead of one strided pass over all the maps per neuron.
 */
export function allNeuronMapIndices(maps: ArrayLike<number>, p: number, m: number): { indices: Uint8Array; min: Float32Array; max: Float32Array } {
  const P2 = p * p, L = LEVELS - 1, mid = Math.round(0.5 * L);
  const lo = new Float64Array(m).fill(Infinity), hi = new Float64Array(m).fill(-Infinity);
  for (let i = 0; i < P2; i++) {
    const o = i * m;
    for (let n = 0; n < m; n++) { const v = maps[o + n]; if (v < lo[n]) lo[n] = v; if (v > hi[n]) hi[n] = v; }
  }
  const scale = new Float64Array(m);
  for (let n = 0; n < m; n++) scale[n] = hi[n] > lo[n] ? L / (hi[n] - lo[n]) : 0;
  const indices = new Uint8Array(m * P2);
  for (let i = 0; i < P2; i++) {
    const o = i * m;
    for (let n = 0; n < m; n++) {
      const v = maps[o + n], sc = scale[n];
      let q: number;
      if (v !== v) q = NO_VALUE_INDEX;
      else if (sc === 0) q = mid;
      else { q = Math.round((v - lo[n]) * sc); q = q < 0 ? 0 : q > L ? L : q; }
      indices[n * P2 + i] = q;
    }
  }
  return { indices, min: Float32Array.from(lo), max: Float32Array.from(hi) };
}

/** Nearest-neighbour upscaling of an index image by an integer factor. */
export function upscale(indices: Uint8Array, rows: number, cols: number, f: number): Uint8Array {
  if (f === 1) return indices;
  const C = cols * f;
  const out = new Uint8Array(rows * f * C);
  for (let r = 0; r < rows; r++) {
    const line = out.subarray(r * f * C, (r * f + 1) * C);
    for (let c = 0; c < cols; c++) line.fill(indices[r * cols + c], c * f, (c + 1) * f);
    for (let k = 1; k < f; k++) out.copyWithin((r * f + k) * C, r * f * C, (r * f + 1) * C);
  }
  return out;
}

/** Characters that encode a value on [0, 1] in 62 steps for hover look-ups in the HTML; '~' = no value. */
export const HOVER_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function hoverString(values: ArrayLike<number>, idx: ArrayLike<number>, offset: number, lo: number, hi: number): string {
  const L = HOVER_ALPHABET.length - 1;
  let s = '';
  for (let i = 0; i < idx.length; i++) {
    const v = values[offset + idx[i]];
    if (Number.isNaN(v)) { s += '~'; continue; }
    const t = Math.max(0, Math.min(1, (v - lo) / (hi - lo || 1)));
    s += HOVER_ALPHABET[Math.round(t * L)];
  }
  return s;
}
