/** The compare page: overlays of the selected runs and the study's answers computed over them. */
import { el } from '../dom.js';
import { embed } from '../vega.js';
import { api, body, draw, fmt, main, showError, type FigureJson } from './page.js';

interface Answer { id: string; question: string; answer: string; table?: { columns: string[]; rows: unknown[][] }; vegaLite?: unknown }
interface Comparison {
  runs: { run_id: string; label: string; outcome: string | null }[];
  left_out: { unanalysed: number; unfinished: number };
  figures: FigureJson[];
  answers: Answer[] | null;
}

function answerBox(s: Answer): HTMLElement {
  const box = el('div', { class: 'answer', 'data-section': s.id }, el('h3', { text: s.question }), el('p', { text: s.answer }));
  if (s.table) {
    const t = el('table', { class: 'data' }, el('tr', null, ...s.table.columns.map((h) => el('th', { text: h }))));
    for (const r of s.table.rows.slice(0, 40)) t.appendChild(el('tr', null, ...r.map((v) => el('td', { text: fmt(v) }))));
    box.appendChild(t);
  }
  if (s.vegaLite) { const v = el('div'); box.appendChild(v); embed(v, s.vegaLite, 'canvas').catch(() => undefined); }
  return box;
}

export function comparePage(): void {
  const ids = body.dataset.runs ?? '';
  const study = ids === 'all';
  main.appendChild(el('h1', { text: study ? "Study: the seed's questions over every run of this store" : 'Compare' }));
  api<Comparison>('/api/compare?runs=' + encodeURIComponent(ids)).then((c) => {
    main.appendChild(el('p', { id: 'compare-runs', text: c.runs.map((r) => r.label + ' [' + (r.outcome ?? 'no outcome') + ']').join(' · ') }));
    if (!study) main.appendChild(el('p', null, el('a', { id: 'to-views', href: '/views?runs=' + encodeURIComponent(c.runs.map((r) => r.run_id).join(',')), text: 'any view of these runs side by side →' })));
    const figs = el('div', { class: 'figs' });
    main.appendChild(figs);
    for (const f of c.figures) void draw(figs, f);
    main.appendChild(el('h2', { text: "The study's answers for these runs" }));
    const out = c.left_out;
    if (out.unanalysed + out.unfinished > 0) {
      main.appendChild(el('p', { class: 'muted', id: 'left-out', text: 'Left out of the answers: ' + [out.unanalysed ? out.unanalysed + ' run(s) not analysed yet' : '', out.unfinished ? out.unfinished + ' run(s) not at their full horizon (provisional class)' : ''].filter(Boolean).join(', ') + '.' }));
    }
    if (!c.answers) { main.appendChild(el('p', { class: 'muted', text: 'The answers need two or more analysed runs.' })); return; }
    for (const s of c.answers) main.appendChild(answerBox(s));
    body.dataset.ready = '1';
    // Then the sections beyond the seed's five (ablations run the model: they come when computed).
    const more = el('div', { id: 'further-sections' }, el('h2', { text: 'Interventions, ablations and the further analyzers' }), el('p', { class: 'muted', id: 'further-wait', text: 'computing…' }));
    main.appendChild(more);
    return api<{ sections: Answer[] }>('/api/compare/further?runs=' + encodeURIComponent(ids)).then((f) => {
      more.querySelector('#further-wait')!.remove();
      if (!f.sections.length) more.appendChild(el('p', { class: 'muted', text: 'None applies to these runs (no interventions, no further analyzers\' results).' }));
      for (const s of f.sections) more.appendChild(answerBox(s));
      body.dataset.furtherReady = '1';
    });
  }).catch(showError);
}
