/**
 * What every dashboard page shares: the page's main element, the token for POSTs, JSON requests,
 * the live event stream (/api/events), number formatting and figure drawing.
 */
import { el } from '../dom.js';
import { embed, type VegaView } from '../vega.js';

export const body = document.body;
export const main = document.getElementById('main') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
export const TOKEN = document.querySelector('meta[name=gb-token]')?.getAttribute('content') ?? '';

/** A run's progress as the event stream sends it. */
export interface RunTick { run_id: string; status: string; epochs_done: number; checkpoints?: number }

/** A job as /api/jobs and the event stream give it. */
export interface Job {
  id: string;
  kind: string;
  args: string[];
  status: string;
  message: string;
  started: string | null;
  ended: string | null;
  runIds: string[];
  runs?: { run_id: string; state: string; epoch: number; epochs: number; test_acc?: number | null }[];
}

/** A figure from the views: its Vega-Lite spec and words (and where its data is, as CSV). */
export interface FigureJson { name: string; title: string; caption?: string; spec: unknown; csv?: string }

async function json<T>(r: Response): Promise<T> {
  const j = await r.json() as T & { error?: string };
  if (!r.ok) throw new Error(j.error ?? r.statusText);
  return j;
}

export function api<T>(path: string): Promise<T> {
  return fetch(path).then((r) => json<T>(r));
}

export function post<T>(path: string, obj?: unknown): Promise<T> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-grokbench-token': TOKEN }, body: JSON.stringify(obj ?? {}) })
    .then((r) => json<T>(r));
}

/** A number for a table cell: integers as they are, small values in exponent form, else d decimals. */
export function fmt(v: unknown, d = 3): string {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) < 1e-3 && v !== 0) return v.toExponential(2);
  return v.toFixed(d);
}

/** Draw a figure into a box of its own (title, CSV link, export menu); resolves to its view (null if it failed). */
export function draw(container: HTMLElement, fig: FigureJson): Promise<VegaView | null> {
  // A spec with a title of its own shows it inside the figure: the box's heading would repeat it.
  const titled = typeof fig.spec === 'object' && fig.spec !== null && 'title' in fig.spec;
  const head = el('h3', { text: titled ? '' : fig.title });
  if (fig.csv) head.append(' ', el('a', { class: 'csv', href: fig.csv, download: fig.name + '.csv', title: 'the data behind this figure', text: 'CSV' }));
  const box = el('div', { class: 'fig', 'data-name': fig.name }, head);
  const vis = el('div');
  box.appendChild(vis);
  if (fig.caption) box.title = fig.caption;
  container.appendChild(box);
  return embed(vis, fig.spec, 'canvas', true)
    .then((r) => r.view)
    .catch((e: Error) => { box.appendChild(el('p', { class: 'error', text: 'figure failed: ' + e.message })); return null; });
}

/** Set a signal of a figure if it has one (Vega throws for an unknown signal name). */
function trySignal(view: VegaView, name: string, value: unknown): boolean {
  try { view.signal(name); } catch { return false; }
  view.signal(name, value);
  return true;
}

/** Point a figure at a checkpoint: its `checkpoint` rule, and the frame of a per-checkpoint figure (`ei` into its `frames`). */
export function pointAt(view: VegaView, epoch: number): void {
  let changed = trySignal(view, 'checkpoint', epoch);
  let frames: unknown = null;
  try { frames = view.signal('frames'); } catch { /* not a per-checkpoint figure */ }
  if (Array.isArray(frames) && frames.length) {
    let i = 0;
    frames.forEach((f, j) => { if (typeof f === 'number' && f <= epoch) i = j; });
    changed = trySignal(view, 'ei', i) || changed;
  }
  if (changed) void view.runAsync();
}

export function showError(e: unknown): void {
  main.appendChild(el('p', { class: 'error', text: String(e instanceof Error ? e.message : e) }));
}

/** Listeners of the event stream's run ticks and job changes. */
export const handlers: { runs: ((d: RunTick[]) => void)[]; job: ((j: Job) => void)[] } = { runs: [], job: [] };

export function listen(): void {
  const es = new EventSource('/api/events');
  es.addEventListener('hello', () => { live.textContent = 'live'; });
  es.addEventListener('runs', (ev) => { const d = JSON.parse((ev as MessageEvent<string>).data) as RunTick[]; handlers.runs.forEach((h) => h(d)); });
  es.addEventListener('job', (ev) => { const d = JSON.parse((ev as MessageEvent<string>).data) as Job; handlers.job.forEach((h) => h(d)); });
  es.onerror = () => { live.textContent = 'reconnecting…'; };
  window.addEventListener('beforeunload', () => es.close());
}
