/**
 * A run's page: its outcome, one checkpoint slider (with play) for the whole page, and a tab per
 * view family with data plus the neuron explorer's tab. The slider sets the `checkpoint` parameter
 * of every figure of the open tab (a rule on each time series; per-checkpoint figures show that
 * checkpoint) and the explorer's maps. The URL keeps tab, epoch, neuron, sort and tile size.
 */
import { el, throttle } from '../dom.js';
import type { VegaView } from '../vega.js';
import { createExplorer, SORTS, TILE_SIZES, type Explorer, type ExplorerState } from './explorer.js';
import { api, body, draw, fmt, handlers, main, pointAt, showError, type FigureJson } from './page.js';

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
  p: number;
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

const EXPLORER = 'explorer';

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


export function runPage(): void {
  const id = body.dataset.run ?? '';
  const q = new URLSearchParams(location.search);
  const wantEpoch = q.get('epoch') === null ? null : Number(q.get('epoch'));
  const wantNeuron = q.get('neuron');
  const wantTile = Number(q.get('tile'));
  const ex: ExplorerState = {
    sortBy: SORTS.find((x) => x === q.get('sort')) ?? 'specialization',
    tile: (TILE_SIZES as readonly number[]).includes(wantTile) ? wantTile : 40,
    neuron: wantNeuron !== null && /^\d+$/.test(wantNeuron) ? Number(wantNeuron) : null,
  };
  let info: RunInfo | null = null, epochIdx = 0, tab = q.get('tab') ?? 'training', tabSeq = 0;
  let explorer: Explorer | null = null;
  /** The figures of the open tab, by name. */
  let views = new Map<string, VegaView>();
  window.grokbenchViews = {};

  function keepInUrl(): void {
    const u = new URLSearchParams();
    if (tab !== 'training') u.set('tab', tab);
    if (info && info.epochs.length && epochIdx !== info.epochs.length - 1) u.set('epoch', String(info.epochs[epochIdx]));
    if (ex.neuron !== null) u.set('neuron', String(ex.neuron));
    if (ex.sortBy !== 'specialization') u.set('sort', ex.sortBy);
    if (ex.tile !== 40) u.set('tile', String(ex.tile));
    const search = u.toString();
    history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
  }

  const head = el('div'), figs = el('div', { class: 'figs', id: 'figs' });
  main.appendChild(head);
  const runUrl = '/api/run/' + encodeURIComponent(id);

  // One checkpoint for the page: the slider over the analysed checkpoints, and play.
  const slider = el('input', { type: 'range', id: 'epoch-slider', min: '0' });
  const label = el('span', { id: 'epoch-label' });
  const play = el('button', { id: 'play', title: 'step through the checkpoints', text: '▶ play' });
  const bar = el('div', { class: 'controls checkpoint-bar', id: 'checkpoint-bar' }, el('span', { text: 'checkpoint' }), slider, label, play);

  /** The page's checkpoint: the label, every figure of the tab, the explorer if it is open. */
  function applyEpoch(): void {
    if (!info || !info.epochs.length) return;
    const epoch = info.epochs[epochIdx];
    label.textContent = 'epoch ' + epoch + ' (' + (epochIdx + 1) + ' of ' + info.epochs.length + ')';
    for (const v of views.values()) pointAt(v, epoch);
    body.dataset.checkpoint = String(epoch);
    if (tab === EXPLORER && explorer && explorer.shown() !== epoch) {
      // The checkpoints a step (or play) goes to next.
      const es = info.epochs;
      const next = [epochIdx + 1, epochIdx - 1].filter((i) => i >= 0 && i < es.length).map((i) => es[i]);
      explorer.show(epoch, next);
    }
  }
  slider.addEventListener('input', () => { epochIdx = Number(slider.value); keepInUrl(); applyEpoch(); });

  let timer: ReturnType<typeof setInterval> | null = null;
  function stop(): void { if (timer) clearInterval(timer); timer = null; play.textContent = '▶ play'; body.dataset.playing = '0'; }
  play.addEventListener('click', () => {
    if (timer) { stop(); return; }
    if (!info || info.epochs.length < 2) return;
    if (epochIdx >= info.epochs.length - 1) epochIdx = 0;
    play.textContent = '❚❚ pause';
    body.dataset.playing = '1';
    timer = setInterval(() => {
      // The next step waits for the explorer's grid of this one.
      if (!info || (tab === EXPLORER && body.dataset.gridReady !== '1')) return;
      if (epochIdx >= info.epochs.length - 1) { stop(); return; }
      epochIdx++;
      slider.value = String(epochIdx);
      keepInUrl();
      applyEpoch();
    }, 400);
  });

  // One tab per view family with data, and the explorer's; a tab's figures are fetched by view name when it opens.
  const tabs = el('div', { class: 'tabs', id: 'view-tabs' });
  function showTab(r: RunInfo): void {
    const my = ++tabSeq;
    figs.textContent = '';
    figs.dataset.tab = tab;
    delete figs.dataset.ready;
    views = new Map();
    window.grokbenchViews = {};
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('here', b.dataset.family === tab);
    if (tab === EXPLORER) {
      if (!explorer) explorer = createExplorer(runUrl, r.K, ex, keepInUrl);
      figs.appendChild(explorer.box);
      figs.dataset.ready = EXPLORER;
      applyEpoch();
      return;
    }
    const names = r.views.filter((v) => v.family === tab).map((v) => v.name);
    const drawn: Promise<unknown>[] = [];
    const keep = (f: FigureJson) => draw(figs, f).then((v) => { if (v && my === tabSeq) { views.set(f.name, v); window.grokbenchViews![f.name] = v; } });
    if (tab === 'training') for (const f of r.figures) drawn.push(keep(f));
    const fetched = names.filter((n) => tab !== 'training' || n !== 'training-curves')
      .map((n) => api<{ figures: FigureJson[] }>(runUrl + '/view/' + encodeURIComponent(n)));
    Promise.all(fetched).then((all) => {
      if (my !== tabSeq) return;
      for (const v of all) for (const f of v.figures) drawn.push(keep(f));
      if (!figs.children.length) figs.appendChild(el('p', { class: 'muted', text: 'Nothing to show here yet.' }));
      return Promise.all(drawn);
    }).then(() => {
      if (my !== tabSeq) return;
      applyEpoch();
      figs.dataset.ready = tab;
      // Since navigation began, to the tab's last figure drawn (the first time; read by bench:serve).
      if (body.dataset.readyMs === undefined) body.dataset.readyMs = String(Math.round(performance.now()));
    }).catch(showError);
  }
  function renderTabs(r: RunInfo): void {
    const families = [...new Set(['training', ...r.views.map((v) => v.family)])];
    if (r.epochs.length) families.splice(1, 0, EXPLORER);
    if (!families.includes(tab)) tab = 'training';
    tabs.textContent = '';
    for (const f of families) {
      const n = r.views.filter((v) => v.family === f).length;
      const title = f === EXPLORER ? "every neuron's activation map at the checkpoint" : r.views.filter((v) => v.family === f).map((v) => v.title).join('; ');
      tabs.appendChild(el('button', { 'data-family': f, text: f + (n > 1 ? ' (' + n + ')' : ''), title,
        onclick: () => { tab = f; keepInUrl(); if (info) showTab(info); } }));
    }
  }

  function updateSlider(r: RunInfo, first: boolean): void {
    const atEnd = first || epochIdx >= Number(slider.max);
    if (first) {
      const i = wantEpoch === null ? -1 : r.epochs.indexOf(wantEpoch);
      epochIdx = i >= 0 ? i : Math.max(0, r.epochs.length - 1);
    } else if (atEnd) epochIdx = Math.max(0, r.epochs.length - 1);
    slider.max = String(Math.max(0, r.epochs.length - 1));
    slider.value = String(epochIdx);
    slider.disabled = r.epochs.length < 2;
    play.disabled = r.epochs.length < 2;
    if (!r.epochs.length) label.textContent = 'no analysed checkpoint yet';
  }

  function load(first: boolean): Promise<void> {
    return api<RunInfo>(runUrl).then((r) => {
      info = r;
      renderHead(head, r);
      if (first) { main.appendChild(bar); main.appendChild(tabs); main.appendChild(figs); }
      updateSlider(r, first);
      renderTabs(r);
      // While playing, a reload keeps the open tab as it is (the next step redraws what changes).
      if (first || !timer) showTab(r);
    });
  }

  load(true).catch(showError);
  const reload = throttle(() => { load(false).catch(showError); }, 3000);
  handlers.runs.push((d) => {
    const me = d.find((x) => x.run_id === id);
    if (me && info && (me.epochs_done !== info.epochs_done || me.status !== info.status || me.checkpoints !== info.checkpoints.length)) reload();
  });
  handlers.job.push(() => reload());
}
