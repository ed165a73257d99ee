/**
 * The script of report.html (bundled and inlined): embeds every figure with vega-embed, wires the
 * run check boxes (the `shown` parameter of each figure), the play button of the animated
 * histogram, and the neuron gallery widget (canvas: maps, hover values, a selected neuron's map and
 * its 2-D power spectrum, computed in the page from the map with the project's modular Fourier
 * basis, math/basis.ts).
 */
import { powerShares } from '../../math/basis.js';
import { el, paletteRgb } from '../dom.js';
import { embed, type VegaView } from '../vega.js';

interface GalleryNeuron { n: number; k: number; s: number; c: number | null; f: number | null; min: number; max: number; u: string }
interface GalleryEpoch { epoch: number; reason: string; neurons: GalleryNeuron[]; rankings: Record<Metric, { high: number[]; low: number[] }> }
interface Gallery { runId: string; label: string; p: number; K: number; epochs: GalleryEpoch[] }
interface ReportData { figures: { name: string; spec: unknown; runFilter?: boolean }[]; viridis: string[]; font: string; galleries: Gallery[] }
type Metric = 'coarseness' | 'specialization';

const D = JSON.parse(document.getElementById('report-data')!.textContent!) as ReportData;
const views: Record<string, VegaView> = {};
window.grokbenchViews = views;

function shownRuns(): string[] {
  return [...document.querySelectorAll<HTMLInputElement>('#run-toggles input[type=checkbox]')].filter((i) => i.checked).map((i) => i.value);
}

async function embedAll(): Promise<void> {
  for (const f of D.figures) {
    const box = document.getElementById('vis-' + f.name);
    if (!box) continue;
    try {
      views[f.name] = (await embed(box, f.spec, 'svg')).view;
      box.setAttribute('data-rendered', '1');
    } catch (e) {
      console.error('grokbench report: figure ' + f.name + ' failed: ' + String(e));
      box.textContent = 'This figure could not be drawn: ' + String(e);
    }
  }
  document.body.setAttribute('data-ready', '1');
}

function wireRunToggles(): void {
  for (const box of document.querySelectorAll<HTMLInputElement>('#run-toggles input[type=checkbox]')) {
    box.addEventListener('change', () => {
      const list = shownRuns();
      for (const f of D.figures) if (f.runFilter && views[f.name]) void views[f.name].signal('shown', list).runAsync();
      for (const e of document.querySelectorAll<HTMLElement>('[data-run-label]')) e.style.display = list.includes(e.getAttribute('data-run-label')!) ? '' : 'none';
    });
  }
}

function wirePlay(): void {
  for (const btn of document.querySelectorAll<HTMLButtonElement>('button[data-play]')) {
    const name = btn.getAttribute('data-play')!, frames = Number(btn.getAttribute('data-frames'));
    let timer: ReturnType<typeof setInterval> | null = null;
    btn.addEventListener('click', () => {
      const v = views[name];
      if (!v) return;
      if (timer) { clearInterval(timer); timer = null; btn.textContent = '\u25B6 play'; return; }
      btn.textContent = '\u275A\u275A pause';
      timer = setInterval(() => {
        const i = (Number(v.signal('ei')) + 1) % frames;
        void v.signal('ei', i).runAsync();
        if (i === frames - 1 && timer) { clearInterval(timer); timer = null; btn.textContent = '\u25B6 play'; }
      }, 120);
    });
  }
}

// ---- neuron gallery ------------------------------------------------------------------------
const VIRIDIS = D.viridis; // 255 '#rrggbb'
const VIR_RGB = paletteRgb(VIRIDIS);
const VIR_INDEX = new Map(VIR_RGB.map((c, i) => [(c[0] << 16) | (c[1] << 8) | c[2], i]));

/** The palette index of a colour (exact, else the nearest in RGB). */
function paletteIndex(r: number, g: number, b: number): number {
  const exact = VIR_INDEX.get((r << 16) | (g << 8) | b);
  if (exact !== undefined) return exact;
  let best = 0, bd = Infinity;
  VIR_RGB.forEach((c, i) => {
    const d = (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
    if (d < bd) { bd = d; best = i; }
  });
  return best;
}

const decoded = new Map<string, Promise<{ img: HTMLImageElement; idx: Uint8Array }>>();
/** The map's palette indices (p*p, row a) decoded from its PNG. */
function decodeMap(key: string, uri: string, p: number): Promise<{ img: HTMLImageElement; idx: Uint8Array }> {
  let d = decoded.get(key);
  if (!d) {
    d = new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const c = document.createElement('canvas');
        c.width = p; c.height = p;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const px = ctx.getImageData(0, 0, p, p).data, idx = new Uint8Array(p * p);
        for (let i = 0; i < p * p; i++) idx[i] = paletteIndex(px[4 * i], px[4 * i + 1], px[4 * i + 2]);
        resolve({ img, idx });
      };
      img.onerror = () => reject(new Error('cannot decode map ' + key));
      img.src = uri;
    });
    decoded.set(key, d);
  }
  return d;
}

function fmtValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !isFinite(v)) return 'flat';
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(2) : v.toFixed(3);
}

function colourBar(canvas: HTMLCanvasElement, lo: number, hi: number, title: string): void {
  const ctx = canvas.getContext('2d')!, W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  for (let y = 0; y < H - 30; y++) {
    const t = 1 - y / (H - 31);
    ctx.fillStyle = VIRIDIS[Math.round(t * (VIRIDIS.length - 1))];
    ctx.fillRect(0, y + 15, 14, 1);
  }
  ctx.fillStyle = '#222';
  ctx.font = '10px ' + D.font;
  ctx.fillText(fmtValue(hi), 18, 22);
  ctx.fillText(fmtValue(lo), 18, H - 15);
  ctx.fillText(title, 0, 10);
}

function drawSpectrum(spec: HTMLCanvasElement, ps: Float64Array, S: number, readout: HTMLElement, n: number): void {
  const off = document.createElement('canvas');
  off.width = S; off.height = S;
  const octx = off.getContext('2d')!, im = octx.createImageData(S, S);
  for (let j = 0; j < S * S; j++) {
    const lv = ps[j] > 0 ? Math.max(-4, Math.log10(ps[j])) : -4;
    const c = VIR_RGB[Math.round((lv + 4) / 4 * 254)];
    im.data[4 * j] = c[0]; im.data[4 * j + 1] = c[1]; im.data[4 * j + 2] = c[2]; im.data[4 * j + 3] = 255;
  }
  octx.putImageData(im, 0, 0);
  const ctx = spec.getContext('2d')!, M = 36, W = spec.width - M - 8;
  ctx.fillStyle = 'white'; ctx.fillRect(0, 0, spec.width, spec.height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, M, 8, W, W);
  ctx.fillStyle = '#222'; ctx.font = '10px ' + D.font;
  for (let t = 0; t < S; t += Math.max(1, Math.round(S / 6 / 5) * 5)) {
    ctx.fillText(String(t), M + (t + 0.2) * W / S, W + 20);
    ctx.fillText(String(t), 8, 8 + (t + 0.7) * W / S);
  }
  ctx.fillText('k_b \u2192', M + W - 30, W + 32);
  ctx.save(); ctx.translate(10, 8 + W); ctx.fillText('k_a \u2192', 0, 0); ctx.restore();
  spec.setAttribute('data-drawn', '1');
  spec.onmousemove = (ev) => {
    const r = spec.getBoundingClientRect();
    const kb = Math.floor(((ev.clientX - r.left) * spec.width / r.width - M) / W * S);
    const ka = Math.floor(((ev.clientY - r.top) * spec.height / r.height - 8) / W * S);
    if (ka >= 0 && kb >= 0 && ka < S && kb < S) readout.textContent = 'neuron #' + n + ' spectrum: k_a=' + ka + ', k_b=' + kb + ': share ' + fmtValue(ps[ka * S + kb]);
  };
}

function galleryWidget(root: HTMLElement): void {
  const G = D.galleries;
  if (!G.length) { root.textContent = 'No checkpoints with analyses to show.'; return; }
  const state: { run: number; epoch: number; metric: Metric; neuron: number | null } = { run: 0, epoch: 0, metric: 'coarseness', neuron: null };
  const runSel = el('select', { id: 'gallery-run' }, ...G.map((g, i) => el('option', { value: String(i) }, g.label + ' (' + g.runId + ')')));
  const epochBox = el('span', { class: 'g-epochs' });
  const metricBox = el('span', { class: 'g-metric' });
  for (const m of ['coarseness', 'specialization'] as const) {
    const r = el('input', { type: 'radio', name: 'gallery-metric', value: m });
    r.checked = m === state.metric;
    r.addEventListener('change', () => { state.metric = m; state.neuron = null; draw(); });
    metricBox.appendChild(el('label', null, r, m === 'coarseness' ? ' coarseness ' : ' frequency specialization '));
  }
  root.appendChild(el('div', { class: 'g-controls' }, 'run ', runSel, ' epoch ', epochBox, ' rank by ', metricBox));
  const body = el('div', { class: 'g-body' });
  root.appendChild(body);
  const readout = el('div', { class: 'g-readout', id: 'gallery-readout' }, 'hover a map for values; click one to show its spectrum');
  root.appendChild(readout);
  runSel.addEventListener('change', () => { state.run = Number(runSel.value); state.epoch = 0; state.neuron = null; draw(); });

  function drawEpochs(): void {
    epochBox.textContent = '';
    G[state.run].epochs.forEach((e, i) => {
      const r = el('input', { type: 'radio', name: 'gallery-epoch', value: String(i) });
      r.checked = i === state.epoch;
      r.addEventListener('change', () => { state.epoch = i; state.neuron = null; draw(); });
      epochBox.appendChild(el('label', { title: e.reason }, r, ' ' + e.epoch + ' (' + e.reason + ') '));
    });
  }

  function cell(g: Gallery, e: GalleryEpoch, x: GalleryNeuron): HTMLElement {
    const n = x.n;
    const cv = el('canvas', { width: String(g.p), height: String(g.p), 'data-neuron': String(n) });
    const box = el('div', { class: 'g-cell' + (n === state.neuron ? ' selected' : '') }, cv,
      el('div', { class: 'g-lbl' }, '#' + n + '  k=' + x.k + ' (' + x.s.toFixed(2) + ')'),
      el('div', { class: 'g-lbl' }, 'c=' + fmtValue(x.c) + '  spec=' + fmtValue(x.f)));
    void decodeMap(g.runId + '@' + e.epoch + '#' + n, x.u, g.p).then((d) => {
      cv.getContext('2d')!.drawImage(d.img, 0, 0);
      cv.setAttribute('data-drawn', '1');
      cv.addEventListener('mousemove', (ev) => {
        const r = cv.getBoundingClientRect();
        const b = Math.min(g.p - 1, Math.floor((ev.clientX - r.left) / r.width * g.p));
        const a = Math.min(g.p - 1, Math.floor((ev.clientY - r.top) / r.height * g.p));
        const v = x.min + d.idx[a * g.p + b] / 254 * (x.max - x.min);
        readout.textContent = 'neuron #' + n + ': a=' + a + ', b=' + b + ', activation \u2248 ' + fmtValue(v) + ' (map range ' + fmtValue(x.min) + ' to ' + fmtValue(x.max) + ')';
      });
    });
    cv.addEventListener('click', () => { state.neuron = n; draw(); });
    return box;
  }

  function draw(): void {
    drawEpochs();
    body.textContent = '';
    const g = G[state.run], e = g.epochs[state.epoch];
    if (!e) { body.textContent = 'No gallery epochs for this run.'; return; }
    const byN = new Map(e.neurons.map((x) => [x.n, x]));
    const rk = e.rankings[state.metric];
    if (state.neuron === null && rk.high.length) state.neuron = rk.high[0];
    const mname = state.metric === 'coarseness' ? 'coarseness (K=' + g.K + ')' : 'frequency specialization';
    for (const [title, list] of [['16 highest ' + mname, rk.high], ['16 lowest ' + mname, rk.low]] as const) {
      body.appendChild(el('div', { class: 'g-grid' }, el('h4', null, title), el('div', { class: 'g-cells' }, ...list.map((n) => cell(g, e, byN.get(n)!)))));
    }
    const det = el('div', { class: 'g-detail' });
    body.appendChild(det);
    const x = state.neuron === null ? undefined : byN.get(state.neuron);
    if (x) drawDetail(det, g, e, x);
  }

  function drawDetail(det: HTMLElement, g: Gallery, e: GalleryEpoch, x: GalleryNeuron): void {
    det.appendChild(el('h4', null, 'neuron #' + x.n + ' at epoch ' + e.epoch));
    det.appendChild(el('div', { class: 'g-lbl' }, 'coarseness ' + fmtValue(x.c) + ' \u00B7 specialization ' + fmtValue(x.f) + ' \u00B7 dominant frequency ' + x.k + ' (share ' + x.s.toFixed(3) + ')'));
    const big = el('canvas', { width: String(g.p), height: String(g.p), class: 'g-big' });
    const cb1 = el('canvas', { width: '70', height: '260', class: 'g-cbar' });
    const spec = el('canvas', { width: '300', height: '300', class: 'g-spec', id: 'gallery-spectrum' });
    const cb2 = el('canvas', { width: '70', height: '260', class: 'g-cbar' });
    det.appendChild(el('div', { class: 'g-row' },
      el('div', { class: 'g-col' }, el('div', { class: 'g-cap' }, 'activation map A[a][b] (a down, b across)'), big), cb1,
      el('div', { class: 'g-col' }, el('div', { class: 'g-cap' }, '2-D power spectrum: |F|\u00B2, F = B\u00B7A\u00B7B\u1D40 (modular Fourier basis), sin+cos summed; log10 share'), spec), cb2));
    colourBar(cb1, x.min, x.max, 'activation');
    void decodeMap(g.runId + '@' + e.epoch + '#' + x.n, x.u, g.p).then((d) => {
      big.getContext('2d')!.drawImage(d.img, 0, 0);
      const vals = new Float64Array(g.p * g.p);
      for (let i = 0; i < vals.length; i++) vals[i] = x.min + d.idx[i] / 254 * (x.max - x.min);
      drawSpectrum(spec, powerShares(vals, g.p), (g.p + 1) / 2, readout, x.n);
    });
    colourBar(cb2, -4, 0, 'log10 share');
  }
  draw();
}

document.addEventListener('DOMContentLoaded', () => {
  wireRunToggles();
  wirePlay();
  const gal = document.getElementById('gallery');
  if (gal) galleryWidget(gal);
  void embedAll();
});
