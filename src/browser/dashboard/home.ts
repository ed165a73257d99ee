/** The home page: every run of the store in a sortable, filterable table, kept live by the event stream. */
import { el, pageOf, throttle } from '../dom.js';
import { api, body, fmt, handlers, main, showError, type Job } from './page.js';

type Cell = string | number | null | number[] | undefined;

/** A row of /api/runs (with ?fields=basic only the runs table's columns, and basic: true). */
interface RunRow {
  [column: string]: unknown;
  run_id: string;
  status: string;
  epochs_done: number;
  epochs: number;
  outcome?: string | null;
  provisional?: { classification: string | null } | null;
  basic?: boolean;
  analysed?: number;
  checkpoints?: number;
}

const COLUMNS: [string, string][] = [['', ''], ['run_id', 'run'], ['p', 'p'], ['seed', 'seed'], ['data_seed', 'data seed'], ['status', 'status'],
  ['epochs_done', 'epoch'], ['analysed', 'analysed'], ['outcome', 'outcome'], ['onset', 'onset'], ['grok_epoch', 'grok (loss<0.01)'], ['grok_epoch_acc', 'grok (acc≥0.99)'],
  ['key_frequencies', 'key freqs'], ['committed_frequencies', 'committed freqs'], ['final_test_loss', 'final test loss']];
const LEFT = new Set(['run_id', 'status', 'outcome']);

function cellText(r: RunRow, k: string): string {
  const v = r[k] as Cell;
  if (k === 'epochs_done') return r.epochs_done + ' / ' + r.epochs;
  if (k === 'analysed') return typeof r.analysed === 'number' ? r.analysed + ' / ' + (r.checkpoints ?? 0) : '–';
  if (Array.isArray(v)) return v.join(' ');
  if (k === 'final_test_loss') return typeof v === 'number' ? v.toExponential(2) : '–';
  return fmt(v);
}

/** Rows ordered by column key (nulls last, arrays by their text), dir 1 ascending or −1. */
export function sortRows(rows: RunRow[], key: string, dir: number): RunRow[] {
  const val = (r: RunRow): string | number | null => {
    const v = r[key] as Cell;
    return Array.isArray(v) ? v.join(' ') : v ?? null;
  };
  return rows.slice().sort((a, b) => {
    const x = val(a), y = val(b);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}

/** Rows a page of the table shows (sorting and the filter act on every run; a 1,000-run table laid out whole costs Chromium ~0.3–0.8 s per draw). */
export const PAGE_ROWS = 100;

export function home(): void {
  let rows: RunRow[] = [], sortKey = 'p', sortDir = 1, loaded = false, page = 0, pageSize = PAGE_ROWS;
  const selected = new Set<string>();
  const filter = el('input', { id: 'filter', placeholder: 'filter (e.g. p=113, healthy)', oninput: () => { page = 0; render(); } });
  const pager = el('p', { class: 'muted', id: 'runs-pager' });
  const cmp = el('button', {
    id: 'compare', text: 'compare selected',
    onclick: () => { if (selected.size) location.href = '/compare?runs=' + [...selected].map(encodeURIComponent).join(','); },
  });
  const table = el('table', { class: 'data', id: 'runs' });
  main.appendChild(el('h1', { text: 'Runs' }));
  main.appendChild(el('div', { class: 'controls' }, filter, cmp));
  main.appendChild(pager);
  main.appendChild(table);
  const empty = el('p', { class: 'muted', id: 'runs-empty' });
  main.appendChild(empty);

  function header(): HTMLTableRowElement {
    return el('tr', null, ...COLUMNS.map(([key, title]) => el('th', {
      class: LEFT.has(key) ? 'l' : '', 'data-key': key,
      text: title + (sortKey === key && key ? (sortDir > 0 ? ' ▲' : ' ▼') : ''),
      onclick: () => { if (!key) return; if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; } page = 0; render(); },
    })));
  }

  function rowOf(r: RunRow): HTMLTableRowElement {
    const box = el('input', { type: 'checkbox', 'data-run': r.run_id });
    box.addEventListener('change', () => { if (box.checked) selected.add(r.run_id); else selected.delete(r.run_id); });
    box.checked = selected.has(r.run_id);
    const tr = el('tr', { 'data-run': r.run_id, class: r.status === 'training' ? 'training' : '' }, el('td', null, box));
    for (const [key] of COLUMNS.slice(1)) {
      const td = el('td', { class: LEFT.has(key) ? 'l' : '', 'data-col': key });
      if (key === 'run_id') td.appendChild(el('a', { href: '/run/' + encodeURIComponent(r.run_id), text: r.run_id }));
      else if (key === 'outcome' && !r.outcome && r.provisional) td.textContent = 'provisional (' + (r.provisional.classification ?? '–') + ' so far)';
      else td.textContent = cellText(r, key);
      if (key === 'outcome' && r.outcome) td.className += ' cls-' + r.outcome;
      tr.appendChild(td);
    }
    return tr;
  }

  function render(): void {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter((r) => {
      if (!q) return true;
      const hay = COLUMNS.map(([key]) => key ? key + '=' + cellText(r, key) : '').join(' ').toLowerCase();
      return q.split(/[\s,]+/).every((t) => hay.includes(t));
    });
    table.textContent = '';
    empty.textContent = '';
    if (loaded && rows.length === 0) {
      empty.append('This store has no runs yet. Start one on the ', el('a', { href: '/jobs', text: 'jobs page' }), ', or from a shell with grokbench train or grokbench sweep; it appears here as it trains.');
    } else {
      table.appendChild(header());
      const at = pageOf(shown.length, page, pageSize);
      page = at.page;
      for (const r of sortRows(shown, sortKey, sortDir).slice(at.first, at.end)) table.appendChild(rowOf(r));
      if (shown.length === 0 && rows.length > 0) empty.textContent = 'No run matches the filter "' + filter.value + '".';
      drawPager(at, shown.length);
    }
    body.dataset.runs = String(rows.length);
    // Usable: the variant table drawn with every run (bench/serve.ts reads these); complete: every column filled.
    if (rows.length === 0 || !rows[0].basic) body.dataset.complete = '1';
    if (loaded && !body.dataset.homeMs) body.dataset.homeMs = String(Math.round(performance.now()));
    if (body.dataset.complete === '1' && !body.dataset.homeFullMs) body.dataset.homeFullMs = String(Math.round(performance.now()));
  }

  /** "runs 101–200 of 1,000", the previous and next pages, all on one page (or pages again). */
  function drawPager(at: ReturnType<typeof pageOf>, n: number): void {
    pager.textContent = '';
    if (n <= PAGE_ROWS) return;
    const go = (p: number, size = pageSize) => () => { page = p; pageSize = size; render(); };
    pager.append(`runs ${at.first + 1}–${at.end} of ${n.toLocaleString('en')} `);
    if (at.page > 0) pager.append(' · ', el('a', { href: '#', id: 'runs-prev', onclick: (e: Event) => { e.preventDefault(); go(at.page - 1)(); }, text: '‹ previous' }));
    if (at.page < at.pages - 1) pager.append(' · ', el('a', { href: '#', id: 'runs-next', onclick: (e: Event) => { e.preventDefault(); go(at.page + 1)(); }, text: 'next ›' }));
    pager.append(' · ', pageSize === Infinity
      ? el('a', { href: '#', id: 'runs-paged', onclick: (e: Event) => { e.preventDefault(); go(0, PAGE_ROWS)(); }, text: `${PAGE_ROWS} a page` })
      : el('a', { href: '#', id: 'runs-all', onclick: (e: Event) => { e.preventDefault(); go(0, Infinity)(); }, text: 'all on one page' }));
  }

  const load = throttle(() => { api<RunRow[]>('/api/runs').then((r) => { rows = r; loaded = true; render(); }).catch(showError); }, 1500);
  // First the rows the runs table alone gives (drawn at once, whatever the store's size), then every column.
  api<RunRow[]>('/api/runs?fields=basic').then((r) => { if (!loaded) { rows = r; loaded = true; render(); } }).catch(showError);
  load();
  handlers.runs.push((d) => {
    const known = new Map(rows.map((r) => [r.run_id, r]));
    const changed = d.some((x) => { const r = known.get(x.run_id); return !r || r.status !== x.status || r.analysed !== undefined && x.checkpoints !== r.checkpoints; });
    let moved = false;
    for (const x of d) { const r = known.get(x.run_id); if (r && r.epochs_done !== x.epochs_done) { r.epochs_done = x.epochs_done; moved = true; } }
    if (changed) load(); else if (moved) render();
  });
  const jobsLine = el('p', { id: 'jobs-line', class: 'muted' });
  main.insertBefore(jobsLine, table);
  function drawJobsLine(): void {
    api<Job[]>('/api/jobs').then((js) => {
      const running = js.filter((j) => j.status === 'running').length, interrupted = js.filter((j) => j.status === 'interrupted').length;
      jobsLine.textContent = '';
      jobsLine.appendChild(document.createTextNode(running + ' job(s) running' + (interrupted ? ', ' + interrupted + ' interrupted' : '') + ' · '));
      jobsLine.appendChild(el('a', { href: '/jobs', text: 'jobs: start train, sweep or analyze' }));
    }).catch(showError);
  }
  handlers.job.push(() => { load(); drawJobsLine(); });
  drawJobsLine();
}
