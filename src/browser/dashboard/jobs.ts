/** The jobs page: start train, sweep or analyze; every job with its runs' progress, cancel and resume. */
import { el, throttle } from '../dom.js';
import { api, body, handlers, main, post, showError, type Job } from './page.js';

/** A row of the settings table (/api/settings). */
interface Setting { key: string; flag: string; kind: string; scope: string; default: string | number | boolean | null; help: string }

const MAIN_SETTINGS = ['p', 'seed', 'dataSeed', 'epochs', 'checkpointEvery', 'fracTrain', 'lr', 'wd', 'dMlp'];

export function when(t: string | null): string {
  return t ? t.replace('T', ' ').slice(0, 19) : '–';
}

function field(name: string, label: string, value: unknown, title?: string): HTMLLabelElement {
  return el('label', { title: title ?? '' }, label, el('input', { name, value: value === null || value === undefined ? '' : String(value) }));
}

export function runsCell(j: Job): HTMLTableCellElement {
  const box = el('td', { class: 'l job-runs' });
  if (!j.runs || !j.runs.length) {
    for (const id of j.runIds) { box.appendChild(el('a', { href: '/run/' + encodeURIComponent(id), text: id })); box.appendChild(document.createTextNode(' ')); }
    return box;
  }
  const t = el('table', { class: 'runs-progress' });
  for (const r of j.runs) {
    const bar = el('progress', { max: String(r.epochs || 1), value: String(r.epoch) });
    t.appendChild(el('tr', { 'data-run': r.run_id, 'data-state': r.state },
      el('td', { class: 'l' }, el('a', { href: '/run/' + encodeURIComponent(r.run_id), text: r.run_id })),
      el('td', { class: 'l run-state state-' + r.state, text: r.state }), el('td', null, bar),
      el('td', { class: 'run-epoch', text: r.epoch + ' / ' + r.epochs }),
      el('td', { text: r.test_acc === null || r.test_acc === undefined ? '' : 'test acc ' + (100 * r.test_acc).toFixed(1) + '%' })));
  }
  box.appendChild(t);
  return box;
}

export function jobsPage(): void {
  main.appendChild(el('h1', { text: 'Jobs' }));
  main.appendChild(el('p', { class: 'muted', text: 'train, sweep and analyze on this store, run as grokbench commands by the server; they keep running when this page closes, and stop when the server stops. A job that was running when the server stopped shows as interrupted: resume runs the same command again (training continues from the last checkpoint).' }));
  main.appendChild(el('h2', { text: 'Start a job' }));
  const kind = el('select', { name: 'kind', id: 'job-kind' }, el('option', { value: 'train', text: 'train' }), el('option', { value: 'sweep', text: 'sweep' }), el('option', { value: 'analyze', text: 'analyze' }));
  const form = el('form', { class: 'job', id: 'job-form' });
  const fieldsBox = el('span', { style: 'display:contents' });
  const msg = el('span', { id: 'job-message' });
  let settings: Setting[] = [];

  function renderFields(): void {
    fieldsBox.textContent = '';
    const k = kind.value;
    if (k === 'analyze') {
      fieldsBox.appendChild(field('runs', 'runs (ids or unique prefixes, comma-separated, or all)', ''));
      fieldsBox.appendChild(field('analyzers', 'analyzers (comma-separated; empty: all)', '', 'only these analyzers, what they require, and always neuron_fourier, embedding_fourier, grokking and outcome (grokbench analyze --analyzers); an unknown name is refused with the list of known ones'));
      return;
    }
    if (k === 'sweep') { fieldsBox.appendChild(field('primes', '--primes', '59,61')); fieldsBox.appendChild(field('seeds', '--seeds', '999')); fieldsBox.appendChild(field('dataSeeds', '--data-seeds', '')); }
    const more = el('details', null, el('summary', { text: 'more settings' }));
    for (const s of settings) {
      if (k === 'sweep' && s.scope !== 'run') continue;
      const f = s.kind === 'flag' ? el('label', { title: s.help }, s.flag, el('input', { name: s.key, type: 'checkbox' })) : field(s.key, s.flag, s.default, s.help);
      (MAIN_SETTINGS.includes(s.key) ? fieldsBox : more).appendChild(f);
    }
    fieldsBox.appendChild(more);
  }
  kind.addEventListener('change', renderFields);
  form.appendChild(el('label', null, 'job', kind));
  form.appendChild(fieldsBox);
  form.appendChild(el('button', { type: 'submit', id: 'job-start', text: 'start' }));
  form.appendChild(msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data: Record<string, string> = {};
    for (const i of form.querySelectorAll('input')) {
      if (i.type === 'checkbox') { if (i.checked) data[i.name] = 'true'; continue; }
      const s = settings.find((x) => x.key === i.name);
      if (s && String(s.default === null ? '' : s.default) === i.value) continue; // unchanged default
      if (i.value !== '') data[i.name] = i.value;
    }
    msg.className = ''; msg.textContent = 'starting…';
    post<Job>('/api/jobs', { kind: kind.value, form: data })
      .then((j) => { msg.textContent = 'started job ' + j.id; loadJobs(); })
      .catch((e: Error) => { msg.className = 'error'; msg.textContent = e.message; });
  });
  main.appendChild(form);

  const list = el('table', { class: 'data', id: 'jobs' });
  main.appendChild(el('h2', { text: 'Jobs' }));
  main.appendChild(list);
  let jobs: Job[] = [];
  function act(j: Job, what: 'cancel' | 'resume'): void {
    post('/api/jobs/' + j.id + '/' + what).then(loadJobs).catch((e: Error) => { msg.className = 'error'; msg.textContent = e.message; });
  }
  function renderJobs(): void {
    list.textContent = '';
    list.appendChild(el('tr', null, ...['job', 'kind', 'command', 'status', 'progress', 'runs', 'started', 'ended', ''].map((h) => el('th', { class: 'l', text: h }))));
    if (!jobs.length) list.appendChild(el('tr', null, el('td', { class: 'l muted', colspan: '9', text: 'No jobs yet: start one above.' })));
    for (const j of jobs) {
      const a = el('td');
      if (j.status === 'running') a.appendChild(el('button', { class: 'cancel', text: 'cancel', onclick: () => act(j, 'cancel') }));
      if (j.status === 'interrupted' || j.status === 'failed' || j.status === 'cancelled') a.appendChild(el('button', { class: 'resume', text: 'resume', onclick: () => act(j, 'resume') }));
      list.appendChild(el('tr', { 'data-job': j.id, 'data-status': j.status, class: 'job-' + j.status }, el('td', { class: 'l' }, el('a', { href: '/job/' + encodeURIComponent(j.id), text: j.id })), el('td', { class: 'l', text: j.kind }),
        el('td', { class: 'l cmd', text: 'grokbench ' + j.args.join(' ') }), el('td', { class: 'l job-status', text: j.status }), el('td', { class: 'l job-progress', text: j.message }),
        runsCell(j), el('td', { class: 'l', text: when(j.started) }), el('td', { class: 'l', text: when(j.ended) }), a));
    }
    body.dataset.jobs = String(jobs.length);
  }
  function loadJobs(): void {
    api<Job[]>('/api/jobs').then((js) => { jobs = js; renderJobs(); }).catch(showError);
  }
  // A job's event carries the whole job: replace it in place (progress ticks need no request).
  const redraw = throttle(renderJobs, 250);
  handlers.job.push((j) => {
    const i = jobs.findIndex((x) => x.id === j.id);
    if (i < 0) { loadJobs(); return; }
    jobs[i] = j; redraw();
  });
  api<Setting[]>('/api/settings').then((s) => { settings = s; renderFields(); }).catch(showError);
  loadJobs();
}
