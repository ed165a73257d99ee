/**
 * The view browser (/views): any view of the catalog, by name, over any runs of the store, side by
 * side (a view of one run: a column per run; a view that compares runs: drawn once over them), at
 * any analysed checkpoint (the slider sets every figure's `checkpoint`). The URL keeps view, runs
 * and epoch.
 */
import { el } from '../dom.js';
import type { VegaView } from '../vega.js';
import { api, body, draw, main, pointAt, showError, type FigureJson } from './page.js';

interface Catalog {
  views: { name: string; family: string; title: string; scope: 'run' | 'runs'; needs: string }[];
  runs: { run_id: string; p: number; seed: number; data_seed: number; views: string[] }[];
}
interface Across {
  name: string; title: string; scope: 'run' | 'runs'; needs: string;
  without: { run_id: string; label: string }[];
  figures: FigureJson[];
  columns: { run_id: string; label: string; epochs: number[]; figures: FigureJson[] }[];
}

export function viewsPage(): void {
  const q = new URLSearchParams(location.search);
  main.appendChild(el('h1', { text: 'Views: any figure, any runs, side by side' }));
  api<Catalog>('/api/views').then((cat) => {
    if (!cat.runs.length) { main.appendChild(el('p', { class: 'muted', id: 'no-runs', text: 'This store has no runs yet: start one from the jobs page.' })); return; }
    const viewSel = el('select', { id: 'view' });
    for (const fam of [...new Set(cat.views.map((v) => v.family))]) {
      const g = el('optgroup', { label: fam });
      for (const v of cat.views.filter((x) => x.family === fam)) g.appendChild(el('option', { value: v.name, text: v.name + ': ' + v.title }));
      viewSel.appendChild(g);
    }
    viewSel.value = cat.views.some((v) => v.name === q.get('view')) ? q.get('view')! : 'training-curves';
    const asked = new Set((q.get('runs') ?? '').split(',').filter(Boolean));
    const runBox = el('div', { id: 'view-runs', class: 'run-picks' });
    const checks = new Map<string, HTMLInputElement>();
    for (const r of cat.runs) {
      const c = el('input', { type: 'checkbox', 'data-run': r.run_id });
      if (asked.has(r.run_id)) c.checked = true;
      checks.set(r.run_id, c);
      runBox.appendChild(el('label', { 'data-run': r.run_id }, c, ' p=' + r.p + ', seed=' + r.seed + ', ds ' + r.data_seed + ' ', el('span', { class: 'muted', text: r.run_id })));
    }
    if (!asked.size) cat.runs.filter((r) => r.views.includes(viewSel.value)).slice(0, 2).forEach((r) => { checks.get(r.run_id)!.checked = true; });
    const slider = el('input', { type: 'range', id: 'epoch-slider', min: '0', value: '0' });
    const label = el('span', { id: 'epoch-label' });
    const note = el('p', { class: 'muted', id: 'view-note' });
    const out = el('div', { id: 'view-out' });
    main.appendChild(el('div', { class: 'controls' }, el('span', { text: 'view' }), viewSel));
    main.appendChild(runBox);
    main.appendChild(el('div', { class: 'controls checkpoint-bar' }, el('span', { text: 'checkpoint' }), slider, label));
    main.appendChild(note);
    main.appendChild(out);

    let epochs: number[] = [], views: VegaView[] = [], seq = 0;
    const wantEpoch = q.get('epoch') === null ? null : Number(q.get('epoch'));

    /** Which runs have the chosen view's data: the others are greyed out, with the reason. */
    function markRuns(): void {
      const v = cat.views.find((x) => x.name === viewSel.value)!;
      for (const r of cat.runs) {
        const ok = r.views.includes(v.name), lab = runBox.querySelector(`label[data-run="${r.run_id}"]`) as HTMLElement;
        lab.classList.toggle('muted', !ok);
        lab.title = ok ? '' : `no data for ${v.name} (it needs ${v.needs})`;
      }
    }
    function keepInUrl(): void {
      const u = new URLSearchParams({ view: viewSel.value, runs: selected().join(',') });
      if (epochs.length && Number(slider.value) !== epochs.length - 1) u.set('epoch', String(epochs[Number(slider.value)]));
      history.replaceState(null, '', location.pathname + '?' + u.toString());
    }
    const selected = (): string[] => cat.runs.filter((r) => checks.get(r.run_id)!.checked).map((r) => r.run_id);

    function applyEpoch(): void {
      if (!epochs.length) { label.textContent = 'no analysed checkpoint'; return; }
      const e = epochs[Number(slider.value)];
      label.textContent = 'epoch ' + e;
      for (const v of views) pointAt(v, e);
      body.dataset.checkpoint = String(e);
    }

    function show(first: boolean): void {
      const my = ++seq, ids = selected();
      markRuns();
      out.textContent = '';
      views = [];
      delete body.dataset.ready;
      keepInUrl();
      if (!ids.length) { note.textContent = 'Tick one or more runs.'; body.dataset.ready = '1'; return; }
      api<Across>('/api/views/' + encodeURIComponent(viewSel.value) + '?runs=' + encodeURIComponent(ids.join(','))).then((a) => {
        if (my !== seq) return;
        note.textContent = a.title + (a.without.length ? ' · without its data (it needs ' + a.needs + '): ' + a.without.map((w) => w.label).join(', ') : '');
        const drawn: Promise<VegaView | null>[] = [];
        if (a.scope === 'runs') {
          const figs = el('div', { class: 'figs' });
          out.appendChild(figs);
          for (const f of a.figures) drawn.push(draw(figs, f));
        } else {
          const grid = el('div', { class: 'side-by-side', style: 'grid-template-columns: repeat(' + Math.min(3, Math.max(1, a.columns.length)) + ', minmax(0, 1fr))' });
          out.appendChild(grid);
          for (const c of a.columns) {
            const col = el('div', { class: 'column', 'data-run': c.run_id }, el('h2', { text: c.label }));
            grid.appendChild(col);
            if (!c.figures.length) col.appendChild(el('p', { class: 'muted', text: 'Nothing to draw for this run yet.' }));
            for (const f of c.figures) drawn.push(draw(col, f));
          }
        }
        if (!a.figures.length && !a.columns.length) out.appendChild(el('p', { class: 'muted', id: 'view-empty', text: 'None of these runs has data for ' + a.name + ' (it needs ' + a.needs + ').' }));
        epochs = [...new Set(a.columns.flatMap((c) => c.epochs))].sort((x, y) => x - y);
        slider.max = String(Math.max(0, epochs.length - 1));
        const i = first && wantEpoch !== null ? epochs.indexOf(wantEpoch) : -1;
        slider.value = String(i >= 0 ? i : Math.max(0, epochs.length - 1));
        slider.disabled = epochs.length < 2;
        return Promise.all(drawn).then((vs) => {
          if (my !== seq) return;
          views = vs.filter((v): v is VegaView => v !== null);
          applyEpoch();
          keepInUrl();
          body.dataset.ready = '1';
        });
      }).catch(showError);
    }
    viewSel.addEventListener('change', () => show(false));
    for (const c of checks.values()) c.addEventListener('change', () => show(false));
    slider.addEventListener('input', () => { applyEpoch(); keepInUrl(); });
    show(true);
  }).catch(showError);
}
