/**
 * The report's building blocks: the palette PNG encoder (read back by an independent decoder),
 * the epoch grid of the heatmaps, neuron ranking, the neuron subset model of the galleries, the
 * power spectrum, CSV quoting and the font metrics used for layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { activationMaps } from '../../src/analysis/library/activations.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { DEFAULTS } from '../../src/config/config.js';
import { initParams } from '../../src/model/init.js';
import { LEVELS, NO_VALUE_INDEX, colourIndex, palette } from '../../src/views/colormap.js';
import { parseCsv, toCsv } from '../../src/views/csv.js';
import { installTextMetrics, parseFace, textWidth } from '../../src/report/fontmetrics.js';
import { powerSpectrum, rankNeurons, selectNeurons } from '../../src/report/gallery.js';
import { encodeIndexedPng } from '../../src/views/png.js';
import { epochGrid, upscale } from '../../src/views/raster.js';
import { existsSync, readFileSync } from 'node:fs';

test('a palette PNG decodes (pngjs) to exactly the palette colours of its indices', () => {
  const W = 37, H = 23;
  const pal = palette('viridis');
  const px = new Uint8Array(W * H);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + (i % W) * 3) % 256;
  const png = PNG.sync.read(encodeIndexedPng(W, H, px, pal));
  assert.equal(png.width, W);
  assert.equal(png.height, H);
  for (let i = 0; i < W * H; i++) {
    assert.deepEqual([png.data[4 * i], png.data[4 * i + 1], png.data[4 * i + 2], png.data[4 * i + 3]], [pal[3 * px[i]], pal[3 * px[i] + 1], pal[3 * px[i] + 2], 255], `pixel ${i}`);
  }
  assert.throws(() => encodeIndexedPng(3, 3, new Uint8Array(8), pal), RangeError);
});

test('colour indices span the palette, clamp outside the range and mark missing values', () => {
  assert.equal(colourIndex(0, 0, 1), 0);
  assert.equal(colourIndex(1, 0, 1), LEVELS - 1);
  assert.equal(colourIndex(0.5, 0, 1), 127);
  assert.equal(colourIndex(-3, 0, 1), 0);
  assert.equal(colourIndex(7, 0, 1), LEVELS - 1);
  assert.equal(colourIndex(NaN, 0, 1), NO_VALUE_INDEX);
  const rb = palette('redblue-reversed');
  assert.ok(rb[2] > rb[0], 'low values are blue');
  assert.ok(rb[3 * (LEVELS - 1)] > rb[3 * (LEVELS - 1) + 2], 'high values are red');
});

test('the epoch grid maps evenly spaced checkpoints one to one and resamples irregular ones', () => {
  const even = epochGrid([0, 100, 200, 300]);
  assert.deepEqual(even.epochs, [0, 100, 200, 300]);
  assert.deepEqual(Array.from(even.source), [0, 1, 2, 3]);
  const odd = epochGrid([0, 100, 150, 400]);
  assert.equal(odd.step, 50);
  assert.deepEqual(odd.epochs, [0, 50, 100, 150, 200, 250, 300, 350, 400]);
  assert.deepEqual(Array.from(odd.source), [0, 0, 1, 2, 2, 2, 2, 2, 3], 'each row shows the latest checkpoint at or before it');
  const capped = epochGrid(Array.from({ length: 1001 }, (_, i) => i), 100);
  assert.equal(capped.epochs.length, 100);
  assert.equal(capped.epochs[99], 1000);
  assert.equal(capped.source[99], 1000, 'the last checkpoint is always shown');
});

test('upscaling repeats each cell f × f times', () => {
  assert.deepEqual(Array.from(upscale(Uint8Array.from([1, 2, 3, 4]), 2, 2, 2)), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
});

test('ranking leaves flat neurons out and breaks ties by index', () => {
  const v = Float64Array.from([0.5, NaN, 0.9, 0.1, 0.5, NaN, 0.3]);
  assert.deepEqual(rankNeurons(v, 3), { high: [2, 0, 4], low: [3, 6, 0] });
  assert.deepEqual(rankNeurons(Float64Array.from([NaN, NaN]), 16), { high: [], low: [] });
});

test('the model restricted to some neurons gives exactly those neurons\' activation maps', () => {
  const cfg = { ...DEFAULTS, p: 7, dModel: 12, nHeads: 2, dHead: 6, dMlp: 10 };
  const params = initParams(cfg, 5);
  for (let i = 0; i < params.t['blocks.0.mlp.b_in'].length; i++) params.t['blocks.0.mlp.b_in'][i] = 0.01 * (i - 4);
  const k = new ReferenceKernels('f32');
  const full = activationMaps(k, params);
  const pick = [9, 2, 5];
  const sub = activationMaps(k, selectNeurons(params, pick));
  const P2 = cfg.p * cfg.p;
  assert.equal(sub.length, P2 * pick.length);
  for (let i = 0; i < P2; i++) pick.forEach((n, j) => assert.equal(sub[i * pick.length + j], full[i * cfg.dMlp + n], `pair ${i} neuron ${n}`));
});

test('the power spectrum puts a pure frequency in its own cell and sums to 1', () => {
  const p = 11, k = 3, m = 3;
  const maps = new Float32Array(p * p * m);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    maps[(a * p + b) * m] = Math.cos((2 * Math.PI * k * a) / p);
    maps[(a * p + b) * m + 1] = Math.cos((2 * Math.PI * 2 * a) / p) * Math.sin((2 * Math.PI * 4 * b) / p);
    maps[(a * p + b) * m + 2] = Math.cos((2 * Math.PI * (a + b)) / p) + 5;
  }
  const kern = new ReferenceKernels('f64');
  const S = (p + 1) / 2;
  const cell = (ps: Float64Array, ka: number, kb: number) => ps[ka * S + kb];
  const ps0 = powerSpectrum(kern, maps, p, m, 0);
  assert.ok(Math.abs(cell(ps0, k, 0) - 1) < 1e-5, 'cos(k·a): all in (k, 0)');
  const ps1 = powerSpectrum(kern, maps, p, m, 1);
  assert.ok(Math.abs(cell(ps1, 2, 4) - 1) < 1e-5, 'cos(2a)·sin(4b): all in (2, 4)');
  const ps2 = powerSpectrum(kern, maps, p, m, 2);
  assert.ok(Math.abs(cell(ps2, 1, 1) - 1) < 1e-5, 'cos(a+b) + const: all in (1, 1), the constant removed');
  for (const ps of [ps0, ps1, ps2]) assert.ok(Math.abs(ps.reduce((s, x) => s + x, 0) - 1) < 1e-9);
});

test('CSV cells with commas, quotes and newlines survive a round trip; null and NaN are empty', () => {
  const t = { columns: ['a', 'b,c'], rows: [['x "y"', 1.5], ['line\nbreak', null], [true, NaN]] };
  assert.deepEqual(parseCsv(toCsv(t)), [['a', 'b,c'], ['x "y"', '1.5'], ['line\nbreak', ''], ['true', '']]);
});

test('text widths come from the font: narrow letters are narrower and width scales with size', () => {
  const file = '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf';
  assert.ok(existsSync(file), 'Debian fonts-liberation is installed');
  const face = parseFace(readFileSync(file));
  const w = (s: string, size = 10) => textWidth([face], s, size);
  assert.ok(w('iiii') < w('WWWW') / 2);
  assert.ok(Math.abs(w('mean', 20) - 2 * w('mean', 10)) < 1e-9);
  // Arial-compatible metrics: 'a' is 1139/2048 em wide.
  assert.ok(Math.abs(w('a', 2048) - 1139) < 1e-9);
  assert.ok(installTextMetrics());
});
