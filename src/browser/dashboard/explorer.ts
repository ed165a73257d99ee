/**
 * The neuron explorer of a run page: every neuron's activation map at one checkpoint in one canvas
 * (sortable, tiles of a chosen size, as many columns as fit the page), and a clicked neuron's map,
 * 2-D power spectrum and history beside it. Maps arrive as bytes (8 bits per cell over the neuron's
 * own range) from /api/run/ID/maps.
 */
import { el, paletteRgb } from '../dom.js';
import { embed } from '../vega.js';
import { api, body, fmt, showError } from './page.js';

/** The JSON head of /api/run/ID/maps: per-neuron values of that checkpoint. */
interface MapsHead { p: number; d_mlp: number; coarseness: (number | null)[]; specialization: (number | null)[]; dominant: number[] }

/** /api/run/ID/neuron/N */
interface NeuronDetail {
  p: number; coarseness: number | null; specialization: number | null; dominant: number; min: number; max: number;
  map: number[]; spectrum: number[]; history: { epoch: number; coarseness: number | null; specialization: number | null }[];
}

export type SortBy = 'specialization' | 'coarseness' | 'index';
export const SORTS: readonly SortBy[] = ['specialization', 'coarseness', 'index'];
/** Tile sizes offered (css px); small tiles for large p and d_mlp, large ones to see a map's structure. */
export const TILE_SIZES = [16, 24, 40, 64] as const;

const PAL = paletteRgb(window.VIRIDIS ?? []);
// The palette as RGBA words in memory order (little-endian: 0xAABBGGRR), for filling ImageData as Uint32.
const LUT = new Uint32Array(PAL.map((c) => ((255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0));
const GAP = 2;
/** How long a grid is shown before its neighbours' maps are fetched. */
const PREFETCH_AFTER_MS = 300;

function paint(canvas: HTMLCanvasElement, bytes: ArrayLike<number>, p: number): void {
  const ctx = canvas.getContext('2d')!, img = ctx.createImageData(p, p), d = img.data;
  for (let i = 0; i < p * p; i++) { const c = PAL[bytes[i]]; d[4 * i] = c[0]; d[4 * i + 1] = c[1]; d[4 * i + 2] = c[2]; d[4 * i + 3] = 255; }
  ctx.putImageData(img, 0, 0);
}

/** Neuron indices in display order: by a per-neuron value, highest first (missing values last, ties by index), or by index. */
export function neuronOrder(h: MapsHead, sortBy: SortBy): number[] {
  const order = Array.from({ length: h.d_mlp }, (_, i) => i);
  if (sortBy !== 'index') {
    const v = h[sortBy];
    order.sort((a, b) => (v[b] ?? -1) - (v[a] ?? -1) || a - b);
  }
  return order;
}

/** A neuron's 2-D power spectrum (shares, S × S) on a canvas, scaled to its largest share. */
function spectrumCanvas(spectrum: number[]): HTMLCanvasElement {
  const S = Math.round(Math.sqrt(spectrum.length)), mx = Math.max(0, ...spectrum);
  const spec = el('canvas', { id: 'neuron-spectrum', width: String(S), height: String(S), style: 'width:' + Math.max(120, S * 4) + 'px;height:' + Math.max(120, S * 4) + 'px', title: '2-D power spectrum: row k_a, column k_b' });
  const ctx = spec.getContext('2d')!, img = ctx.createImageData(S, S);
  for (let i = 0; i < S * S; i++) {
    const c = PAL[Math.round(254 * (mx > 0 ? spectrum[i] / mx : 0))];
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return spec;
}

/**
 * Paint every neuron's map into the grid canvas, tile k showing neuron order[k], `tile` css px
 * square in `cols` columns: nearest-neighbour samples of its p × p map (pixel x of a tile shows
 * column floor((x + 0.5)·p / T) of the map, T the tile in device px; sizes noted on the canvas).
 */
function paintAtlas(atlas: HTMLCanvasElement, h: MapsHead, bytes: Uint8Array, order: number[], tile: number, cols: number): void {
  const p = h.p, d = h.d_mlp, P2 = p * p;
  const dpr = window.devicePixelRatio || 1, T = Math.round(tile * dpr), G = Math.round(GAP * dpr);
  const c = Math.min(cols, d), rows = Math.ceil(d / cols), W = c * (T + G) - G, H = rows * (T + G) - G;
  if (atlas.width !== W || atlas.height !== H) { atlas.width = W; atlas.height = H; atlas.style.width = (W / dpr) + 'px'; atlas.style.height = (H / dpr) + 'px'; }
  const ctx = atlas.getContext('2d')!, img = ctx.createImageData(W, H), px = new Uint32Array(img.data.buffer);
  px.fill(0xffffffff);
  const s = new Int32Array(T);
  for (let t = 0; t < T; t++) s[t] = Math.min(p - 1, Math.floor((t + 0.5) * p / T));
  for (let k = 0; k < d; k++) {
    const n = order[k], ox = (k % cols) * (T + G), oy = Math.floor(k / cols) * (T + G), src = n * P2;
    for (let y = 0; y < T; y++) {
      const row = src + s[y] * p, o = (oy + y) * W + ox;
      for (let x = 0; x < T; x++) px[o + x] = LUT[bytes[row + s[x]]];
    }
  }
  ctx.putImageData(img, 0, 0);
  atlas.dataset.tile = String(T); atlas.dataset.gap = String(G); atlas.dataset.cols = String(cols); atlas.dataset.p = String(p);
}

/** One neuron's panel: its values, activation map, 2-D power spectrum and history with the checkpoint marked. */
function renderNeuronDetail(detail: HTMLElement, n: number, epoch: number, d: NeuronDetail): void {
  detail.textContent = '';
  detail.dataset.neuron = String(n);
  detail.appendChild(el('h3', { id: 'neuron-title', text: 'neuron #' + n + ' at epoch ' + epoch }));
  detail.appendChild(el('div', { text: 'coarseness ' + fmt(d.coarseness) + ' · frequency specialization ' + fmt(d.specialization) + ' · dominant frequency ' + d.dominant + ' · activation ' + fmt(d.min) + '…' + fmt(d.max) }));
  const scale = Math.max(1, Math.floor(300 / d.p));
  const big = el('canvas', { id: 'neuron-map', width: String(d.p), height: String(d.p), style: 'width:' + (d.p * scale) + 'px;height:' + (d.p * scale) + 'px', title: 'A[a][b]: a down, b across' });
  paint(big, d.map, d.p);
  detail.appendChild(el('div', { class: 'controls' }, el('div', null, el('div', { class: 'muted', text: 'activation map' }), big),
    el('div', null, el('div', { class: 'muted', text: '2-D power spectrum (k_a down, k_b across)' }), spectrumCanvas(d.spectrum))));
  const hist = el('div', { id: 'neuron-history' });
  detail.appendChild(hist);
  const values = d.history.flatMap((x) => [{ epoch: x.epoch, metric: 'coarseness', value: x.coarseness }, { epoch: x.epoch, metric: 'frequency specialization', value: x.specialization }]);
  void embed(hist, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 340, height: 140, title: 'neuron #' + n + ' over epochs', data: { values },
    layer: [{ mark: { type: 'line', tooltip: true }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] } }, color: { field: 'metric', type: 'nominal', legend: { orient: 'bottom' } } } },
      { mark: { type: 'rule', color: '#e15759' }, data: { values: [{ epoch }] }, encoding: { x: { field: 'epoch', type: 'quantitative' } } }],
  }, 'canvas');
}

/** Every neuron's map at one checkpoint: u32 header length, the JSON head, then d_mlp × p² bytes. */
function fetchMaps(url: string): Promise<{ h: MapsHead; bytes: Uint8Array }> {
  return fetch(url)
    .then((res) => res.ok ? res.arrayBuffer() : res.json().then((j: { error?: string }) => { throw new Error(j.error); }))
    .then((buf) => {
      const n = new DataView(buf).getUint32(0, true);
      return { h: JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as MapsHead, bytes: new Uint8Array(buf, 4 + n) };
    });
}

/** What the explorer keeps in the page's URL. */
export interface ExplorerState { sortBy: SortBy; tile: number; neuron: number | null }

export interface Explorer {
  /** The explorer's element (its controls, the grid and the neuron panel). */
  box: HTMLElement;
  /**
   * Show the maps of this checkpoint (a newer call wins); then fetch those of `next` (the
   * neighbouring checkpoints) in the background, so a step of the slider or of play paints at once.
   */
  show(epoch: number, next?: number[]): void;
  /** The epoch whose maps are painted (null before any). */
  shown(): number | null;
}

/** The explorer over a run's maps; `changed` runs when the user changes its state (to keep it in the URL). */
export function createExplorer(runUrl: string, K: number, state: ExplorerState, changed: () => void): Explorer {
  const grid = el('div', { id: 'grid' });
  const detail = el('div', { class: 'detail', id: 'detail' }, el('p', { class: 'muted', text: "Click a tile to see that neuron's map, its 2-D power spectrum and its history." }));
  const atlas = el('canvas', { id: 'grid-canvas' });
  const selBox = el('div', { id: 'grid-sel' });
  const sortSel = el('select', { id: 'sort-by' }, el('option', { value: 'specialization', text: 'sort by frequency specialization' }),
    el('option', { value: 'coarseness', text: 'sort by coarseness (K=' + K + ')' }), el('option', { value: 'index', text: 'neuron index' }));
  sortSel.value = state.sortBy;
  const tileSel = el('select', { id: 'tile-size', title: 'tile size of the grid' }, ...TILE_SIZES.map((t) => el('option', { value: String(t), text: t + ' px tiles' })));
  tileSel.value = String(state.tile);
  const box = el('div', { id: 'explorer' }, el('div', { class: 'controls' }, sortSel, tileSel, el('span', { class: 'muted', id: 'grid-note' })), el('div', { class: 'explorer' }, grid, detail));
  let current: { h: MapsHead; bytes: Uint8Array; epoch: number } | null = null, order: number[] = [], cols = 1, seq = 0;

  // Maps fetched, by epoch (the shown one and its prefetched neighbours; a few kept).
  const cache = new Map<number, Promise<{ h: MapsHead; bytes: Uint8Array }>>();
  const CACHED = 6;
  function maps(epoch: number): Promise<{ h: MapsHead; bytes: Uint8Array }> {
    let m = cache.get(epoch);
    if (!m) {
      m = fetchMaps(runUrl + '/maps?epoch=' + epoch);
      m.catch(() => cache.delete(epoch));
      cache.set(epoch, m);
      while (cache.size > CACHED) cache.delete(cache.keys().next().value!);
    } else { cache.delete(epoch); cache.set(epoch, m); }
    return m;
  }

  function show(epoch: number, next: number[] = []): void {
    const my = ++seq, t0 = performance.now();
    body.dataset.gridReady = '0';
    maps(epoch)
      .then((got) => {
        if (my !== seq) return;
        current = { ...got, epoch };
        render();
        body.dataset.gridMs = String(Math.round(performance.now() - t0));
        body.dataset.gridEpoch = String(epoch);
        body.dataset.gridReady = '1';
        if (state.neuron !== null) openNeuron(state.neuron);
        // After a pause (a slider dragged on asks for others first), one at a time, while this grid is still the one asked for.
        setTimeout(() => {
          void next.reduce<Promise<unknown>>((p, e) => p.then(() => (my === seq ? maps(e) : null)).catch(() => null), Promise.resolve());
        }, PREFETCH_AFTER_MS);
      }).catch((e: unknown) => { if (my === seq) showError(e); });
  }

  function render(): void {
    if (!current) return;
    order = neuronOrder(current.h, state.sortBy);
    if (!atlas.parentNode) { grid.appendChild(atlas); grid.appendChild(selBox); }
    // As many columns as the grid's width holds (the neuron panel keeps its place beside it).
    cols = Math.max(1, Math.floor(((grid.clientWidth || 1100) + GAP) / (state.tile + GAP)));
    paintAtlas(atlas, current.h, current.bytes, order, state.tile, cols);
    placeSel();
    body.dataset.gridOrder = order.join(',');
    (box.querySelector('#grid-note') as HTMLElement).textContent = current.h.d_mlp + ' neurons at epoch ' + current.epoch + '; hover a tile for its values, click it for its map';
  }

  function tileAt(ev: MouseEvent): number {
    const step = state.tile + GAP, x = ev.offsetX, y = ev.offsetY, c = Math.floor(x / step), r = Math.floor(y / step);
    if (x - c * step >= state.tile || y - r * step >= state.tile || c >= cols) return -1;
    const k = r * cols + c;
    return k < order.length ? k : -1;
  }

  function placeSel(): void {
    const k = state.neuron === null ? -1 : order.indexOf(state.neuron);
    if (k < 0) { selBox.style.display = 'none'; return; }
    const step = state.tile + GAP;
    selBox.style.display = 'block';
    selBox.style.left = ((k % cols) * step - 2) + 'px';
    selBox.style.top = (Math.floor(k / cols) * step - 2) + 'px';
    selBox.style.width = selBox.style.height = (state.tile + 4) + 'px';
  }

  function openNeuron(n: number): void {
    if (!current) return;
    const epoch = current.epoch;
    api<NeuronDetail>(runUrl + '/neuron/' + n + '?epoch=' + epoch).then((d) => renderNeuronDetail(detail, n, epoch, d)).catch(showError);
  }

  atlas.addEventListener('mousemove', (ev) => {
    const k = tileAt(ev);
    if (k < 0 || !current) { atlas.title = ''; return; }
    const n = order[k], h = current.h;
    atlas.title = '#' + n + ' coarseness ' + fmt(h.coarseness[n]) + ' · specialization ' + fmt(h.specialization[n]) + ' · k=' + h.dominant[n];
  });
  atlas.addEventListener('click', (ev) => { const k = tileAt(ev); if (k < 0) return; state.neuron = order[k]; changed(); placeSel(); openNeuron(state.neuron); });
  sortSel.addEventListener('change', () => { state.sortBy = sortSel.value as SortBy; changed(); render(); });
  tileSel.addEventListener('change', () => { state.tile = Number(tileSel.value); changed(); render(); });
  window.addEventListener('resize', () => { if (box.isConnected) render(); });

  return { box, show, shown: () => current?.epoch ?? null };
}
