/**
 * A run's page: its outcome, its figures, and the neuron explorer (every neuron's activation map at
 * the chosen checkpoint in one canvas, sortable; a clicked neuron's map, 2-D power spectrum and
 * history). Maps arrive as bytes (8 bits per cell over the neuron's own range) from /maps.
 */
import { el, paletteRgb, throttle } from '../dom.js';
import { embed } from '../vega.js';
import { api, body, draw, fmt, handlers, main, showError, type FigureJson } from './page.js';

interface Outcome {
  performance_classification: string;
  provisional?: { classification: string | null; state: string; epoch: number; epochs: number } | null;
  second_descent_onset_epoch: number | null;
  test_loss_threshold_first_epoch: number;
  test_loss_final: number | null;
  classification_reasons: string[];
  epoch_note: string;
}

/** /api/run/ID */
interface RunInfo {
  run_id: string;
  label: string;
  status: string;
  epochs_done: number;
  max_epoch: number;
  checkpoints: number[];
  epochs: number[];
  d_mlp: number;
  data_seed: number;
  K: number;
  outcome: Outcome | null;
  outcome_stored: boolean;
  grok: { grok_epoch: number | null };
  committed_frequencies: number[];
  key_frequencies: number[];
  /** The catalog's single-run views with data for this run, in catalog order. */
  views: { name: string; family: string; title: string }[];
  /** The training curves (the first tab), drawn at once. */
  figures: FigureJson[];
}

/** The JSON head of /api/run/ID/maps: per-neuron values of that checkpoint. */
interface MapsHead { p: number; d_mlp: number; coarseness: (number | null)[]; specialization: (number | null)[]; dominant: number[] }

/** /api/run/ID/neuron/N */
interface NeuronDetail {
  p: number; coarseness: number | null; specialization: number | null; dominant: number; min: number; max: number;
  map: number[]; spectrum: number[]; history: { epoch: number; coarseness: number | null; specialization: number | null }[];
}

type SortBy = 'specialization' | 'coarseness' | 'index';

const PAL = paletteRgb(window.VIRIDIS ?? []);
// The palette as RGBA words in memory order (little-endian: 0xAABBGGRR), for filling ImageData as Uint32.
const LUT = new Uint32Array(PAL.map((c) => ((255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0));

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

// The grid is one canvas (one texture for the browser to composite, not d_mlp of them): tile k
// shows neuron order[k], TILE css px square, nearest-neighbour samples of its p × p map
// (pixel x of a tile shows column floor((x + 0.5)·p / T) of the map, T the tile in device px).
const TILE = 40, GAP = 2, COLS = Math.floor(1100 / (TILE + GAP));

/** The run's title, status line and outcome (class, reasons, onset, grok epoch, frequencies). */
function renderHead(head: HTMLElement, r: RunInfo): void {
  const o = r.outcome;
  head.textContent = '';
  head.appendChild(el('h1', { text: r.label + '  (' + r.run_id + ')' }));
  head.appendChild(el('p', { id: 'run-status', text: 'status ' + r.status + ' · epoch ' + r.epochs_done + ' / ' + r.max_epoch + ' · ' + r.checkpoints.length + ' checkpoints, ' + r.epochs.length + ' analysed · d_mlp ' + r.d_mlp + ' · data seed ' + r.data_seed }));
  const box = el('div', { class: 'outcome', id: 'outcome' });
  if (!o) box.appendChild(el('p', { text: 'no outcome yet (no metrics)' }));
  else {
    const pr = o.provisional;
    const cls = pr ? 'provisional: ' + (pr.classification ?? '–') + ' so far (' + pr.state + ' at epoch ' + pr.epoch + ' of ' + pr.epochs + '; a class is given at the full horizon)' : String(o.performance_classification);
    box.appendChild(el('div', null, el('b', { text: 'outcome: ' }), el('span', { class: 'cls-' + (pr ? 'provisional' : o.performance_classification), id: 'outcome-class', text: cls }),
      ' · second-descent onset ' + fmt(o.second_descent_onset_epoch) + ' · test loss ≤ 1e-6 at ' + (o.test_loss_threshold_first_epoch < 0 ? 'never' : o.test_loss_threshold_first_epoch) +
      ' · final test loss ' + fmt(o.test_loss_final) + ' · grok (loss < 0.01) ' + fmt(r.grok.grok_epoch) + ' · committed frequencies ' + (r.committed_frequencies.join(' ') || '–') +
      ' · embedding key frequencies ' + (r.key_frequencies.join(' ') || '–')));
    box.appendChild(el('ul', { id: 'outcome-reasons' }, ...o.classification_reasons.map((x) => el('li', { text: x }))));
    box.appendChild(el('div', { class: 'muted', text: (r.outcome_stored ? 'stored outcome analysis' : 'computed from the metrics (not analysed yet)') + '; ' + o.epoch_note }));
  }
  head.appendChild(box);
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

/** Paint every neuron's map into the grid canvas, tile k showing neuron order[k] (sizes in device px, noted on the canvas). */
function paintAtlas(atlas: HTMLCanvasElement, h: MapsHead, bytes: Uint8Array, order: number[]): void {
  const p = h.p, d = h.d_mlp, P2 = p * p;
  const dpr = window.devicePixelRatio || 1, T = Math.round(TILE * dpr), G = Math.round(GAP * dpr);
  const cols = Math.min(COLS, d), rows = Math.ceil(d / COLS), W = cols * (T + G) - G, H = rows * (T + G) - G;
  if (atlas.width !== W || atlas.height !== H) { atlas.width = W; atlas.height = H; atlas.style.width = (W / dpr) + 'px'; atlas.style.height = (H / dpr) + 'px'; }
  const ctx = atlas.getContext('2d')!, img = ctx.createImageData(W, H), px = new Uint32Array(img.data.buffer);
  px.fill(0xffffffff);
  const s = new Int32Array(T);
  for (let t = 0; t < T; t++) s[t] = Math.min(p - 1, Math.floor((t + 0.5) * p / T));
  for (let k = 0; k < d; k++) {
    const n = order[k], ox = (k % COLS) * (T + G), oy = Math.floor(k / COLS) * (T + G), src = n * P2;
    for (let y = 0; y < T; y++) {
      const row = src + s[y] * p, o = (oy + y) * W + ox;
      for (let x = 0; x < T; x++) px[o + x] = LUT[bytes[row + s[x]]];
    }
  }
  ctx.putImageData(img, 0, 0);
  atlas.dataset.tile = String(T); atlas.dataset.gap = String(G); atlas.dataset.cols = String(COLS); atlas.dataset.p = String(p);
}

/** One neuron's panel: its values, activation map, 2-D power spectrum and history with the checkpoint marked. */
function renderNeuronDetail(detail: HTMLElement, n: number, epoch: number, d: NeuronDetail): void {
  detail.textContent = '';
  detail.dataset.neuron = String(n);
  detail.appendChild(el('h3', { id: 'neuron-title', text: 'neuron #' + n + ' at epoch ' + epoch }));
  detail.appendChild(el('div', { text: 'coarseness ' + fmt(d.coarseness) + ' · frequency specialization ' + fmt(d.specialization) + ' · dominant frequency ' + d.dominant + ' · activation ' + fmt(d.min) + '…' + fmt(d.max) }));
  const big = el('canvas', { id: 'neuron-map', width: String(d.p), height: String(d.p), style: 'width:' + (d.p * 3) + 'px;height:' + (d.p * 3) + 'px', title: 'A[a][b]: a down, b across' });
  paint(big, d.map, d.p);
  detail.appendChild(el('div', { class: 'controls' }, el('div', null, el('div', { class: 'muted', text: 'activation map' }), big),
    el('div', null, el('div', { class: 'muted', text: '2-D power spectrum (k_a down, k_b across)' }), spectrumCanvas(d.spectrum))));
  const hist = el('div', { id: 'neuron-history' });
  detail.appendChild(hist);
  const values = d.history.flatMap((x) => [{ epoch: x.epoch, metric: 'coarseness', value: x.coarseness }, { epoch: x.epoch, metric: 'frequency specialization', value: x.specialization }]);
  void embed(hist, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 360, height: 140, title: 'neuron #' + n + ' over epochs', data: { values },
    layer: [{ mark: 'line', encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] } }, color: { field: 'metric', type: 'nominal' } } },
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

export function runPage(): void {
  const id = body.dataset.run ?? '';
  // The URL keeps the view: ?tab=&epoch=&neuron=&sort= (a reload or a shared link opens the same).
  const q = new URLSearchParams(location.search);
  const wantEpoch = q.get('epoch') === null ? null : Number(q.get('epoch'));
  const wantNeuron = q.get('neuron');
  let info: RunInfo | null = null, epochIdx = 0, selectedNeuron: number | null = wantNeuron !== null && /^\d+$/.test(wantNeuron) ? Number(wantNeuron) : null;
  let sortBy: SortBy = (['specialization', 'coarseness', 'index'] as const).find((x) => x === q.get('sort')) ?? 'specialization';
  function keepInUrl(): void {
    const u = new URLSearchParams();
    if (tab !== 'training') u.set('tab', tab);
    if (info && info.epochs.length && epochIdx !== info.epochs.length - 1) u.set('epoch', String(info.epochs[epochIdx]));
    if (selectedNeuron !== null) u.set('neuron', String(selectedNeuron));
    if (sortBy !== 'specialization') u.set('sort', sortBy);
    const search = u.toString();
    history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
  }
  let current: { h: MapsHead; bytes: Uint8Array } | null = null;
  const head = el('div'), figs = el('div', { class: 'figs', id: 'figs' });
  main.appendChild(head);
  const runUrl = '/api/run/' + encodeURIComponent(id);

  // One tab per view family with data; a tab's figures are fetched by view name when it opens.
  const tabs = el('div', { class: 'tabs', id: 'view-tabs' });
  let tab = q.get('tab') ?? 'training', tabSeq = 0;
  function showTab(r: RunInfo): void {
    const my = ++tabSeq;
    figs.textContent = '';
    figs.dataset.tab = tab;
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('here', b.dataset.family === tab);
    const names = r.views.filter((v) => v.family === tab).map((v) => v.name);
    const drawn: Promise<unknown>[] = [];
    if (tab === 'training') for (const f of r.figures) drawn.push(draw(figs, f));
    const fetched = names.filter((n) => tab !== 'training' || n !== 'training-curves')
      .map((n) => api<{ figures: FigureJson[] }>(runUrl + '/view/' + encodeURIComponent(n)));
    Promise.all(fetched).then((all) => {
      if (my !== tabSeq) return;
      for (const v of all) for (const f of v.figures) drawn.push(draw(figs, f));
      if (!figs.children.length) figs.appendChild(el('p', { class: 'muted', text: 'Nothing to show here yet.' }));
      return Promise.all(drawn);
    }).then(() => { if (my === tabSeq) figs.dataset.ready = tab; }).catch(showError);
  }
  function renderTabs(r: RunInfo): void {
    const families = [...new Set(['training', ...r.views.map((v) => v.family)])];
    if (!families.includes(tab)) tab = 'training';
    tabs.textContent = '';
    for (const f of families) {
      const n = r.views.filter((v) => v.family === f).length;
      tabs.appendChild(el('button', { 'data-family': f, text: f + (n > 1 ? ' (' + n + ')' : ''), title: r.views.filter((v) => v.family === f).map((v) => v.title).join('; '),
        onclick: () => { tab = f; keepInUrl(); if (info) showTab(info); } }));
    }
  }

  function load(first: boolean): Promise<void> {
    return api<RunInfo>(runUrl).then((r) => {
      const grew = !info || r.epochs.length !== info.epochs.length;
      info = r;
      renderHead(head, r);
      renderTabs(r);
      showTab(r);
      if (first) {
        const i = wantEpoch === null ? -1 : r.epochs.indexOf(wantEpoch);
        epochIdx = i >= 0 ? i : Math.max(0, r.epochs.length - 1);
        buildExplorer(r);
      } else if (grew) updateSlider(r);
    });
  }

  const slider = el('input', { type: 'range', id: 'epoch-slider', min: '0' });
  const label = el('span', { id: 'epoch-label' });
  const grid = el('div', { id: 'grid' });
  const detail = el('div', { class: 'detail', id: 'detail' });
  const atlas = el('canvas', { id: 'grid-canvas' });
  const selBox = el('div', { id: 'grid-sel' });
  let order: number[] = [];

  function showEpoch(r: RunInfo): void {
    label.textContent = 'epoch ' + r.epochs[epochIdx];
    loadMaps(r);
  }

  function buildExplorer(r: RunInfo): void {
    main.appendChild(tabs);
    main.appendChild(figs);
    main.appendChild(el('h2', { text: 'Neuron explorer' }));
    if (!r.epochs.length) main.appendChild(el('p', { class: 'muted', id: 'no-explorer', text: 'No analysed checkpoint yet.' }));
    slider.max = String(Math.max(0, r.epochs.length - 1));
    slider.value = String(epochIdx);
    const sortSel = el('select', { id: 'sort-by' }, el('option', { value: 'specialization', text: 'sort by frequency specialization' }),
      el('option', { value: 'coarseness', text: 'sort by coarseness (K=' + r.K + ')' }), el('option', { value: 'index', text: 'neuron index' }));
    sortSel.value = sortBy;
    slider.addEventListener('input', () => { epochIdx = Number(slider.value); keepInUrl(); if (info) showEpoch(info); });
    sortSel.addEventListener('change', () => { sortBy = sortSel.value as SortBy; keepInUrl(); renderGrid(); });
    main.appendChild(el('div', { class: 'controls' }, el('span', { text: 'checkpoint' }), slider, label, sortSel));
    main.appendChild(el('div', { class: 'explorer' }, grid, detail));
    if (r.epochs.length) showEpoch(r);
  }

  function updateSlider(r: RunInfo): void {
    const atEnd = epochIdx >= Number(slider.max);
    slider.max = String(Math.max(0, r.epochs.length - 1));
    if (atEnd) { epochIdx = r.epochs.length - 1; slider.value = String(epochIdx); showEpoch(r); }
  }

  let seq = 0;
  function loadMaps(r: RunInfo): void {
    const my = ++seq, t0 = performance.now(), epoch = r.epochs[epochIdx];
    body.dataset.gridReady = '0';
    fetchMaps(runUrl + '/maps?epoch=' + epoch)
      .then((maps) => {
        if (my !== seq) return;
        current = maps;
        renderGrid();
        body.dataset.gridMs = String(Math.round(performance.now() - t0));
        body.dataset.gridEpoch = String(epoch);
        body.dataset.gridReady = '1';
        if (selectedNeuron !== null) openNeuron(selectedNeuron);
      }).catch(showError);
  }

  function tileAt(ev: MouseEvent): number {
    const x = ev.offsetX, y = ev.offsetY, c = Math.floor(x / (TILE + GAP)), r = Math.floor(y / (TILE + GAP));
    if (x - c * (TILE + GAP) >= TILE || y - r * (TILE + GAP) >= TILE || c >= COLS) return -1;
    const k = r * COLS + c;
    return k < order.length ? k : -1;
  }

  function placeSel(): void {
    const k = selectedNeuron === null ? -1 : order.indexOf(selectedNeuron);
    if (k < 0) { selBox.style.display = 'none'; return; }
    selBox.style.display = 'block';
    selBox.style.left = ((k % COLS) * (TILE + GAP) - 2) + 'px';
    selBox.style.top = (Math.floor(k / COLS) * (TILE + GAP) - 2) + 'px';
    selBox.style.width = selBox.style.height = (TILE + 4) + 'px';
  }

  atlas.addEventListener('mousemove', (ev) => {
    const k = tileAt(ev);
    if (k < 0 || !current) { atlas.title = ''; return; }
    const n = order[k], h = current.h;
    atlas.title = '#' + n + ' coarseness ' + fmt(h.coarseness[n]) + ' · specialization ' + fmt(h.specialization[n]) + ' · k=' + h.dominant[n];
  });
  atlas.addEventListener('click', (ev) => { const k = tileAt(ev); if (k < 0) return; selectedNeuron = order[k]; keepInUrl(); placeSel(); openNeuron(selectedNeuron); });

  function renderGrid(): void {
    if (!current) return;
    order = neuronOrder(current.h, sortBy);
    if (!atlas.parentNode) { grid.appendChild(atlas); grid.appendChild(selBox); }
    paintAtlas(atlas, current.h, current.bytes, order);
    placeSel();
    body.dataset.gridOrder = order.join(',');
  }

  function openNeuron(n: number): void {
    if (!info) return;
    const epoch = info.epochs[epochIdx];
    api<NeuronDetail>(runUrl + '/neuron/' + n + '?epoch=' + epoch).then((d) => renderNeuronDetail(detail, n, epoch, d)).catch(showError);
  }

  load(true).catch(showError);
  const reload = throttle(() => { load(false).catch(showError); }, 3000);
  handlers.runs.push((d) => {
    const me = d.find((x) => x.run_id === id);
    if (me && info && (me.epochs_done !== info.epochs_done || me.status !== info.status || me.checkpoints !== info.checkpoints.length)) reload();
  });
  handlers.job.push(() => reload());
}
