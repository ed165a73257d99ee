/** One job's page: its command, state, runs with their progress, and its log (what its children printed), live. */
import { el, throttle } from '../dom.js';
import { api, body, handlers, main, post, showError, type Job } from './page.js';
import { runsCell, when } from './jobs.js';

interface JobDetail { job: Job; log: string[]; log_lines: number }

export function jobPage(): void {
  const id = body.dataset.job ?? '';
  const head = el('div'), runs = el('div'), logBox = el('pre', { class: 'log', id: 'job-log' });
  main.append(head, el('h2', { text: 'Runs' }), runs, el('h2', { text: 'Log' }), logBox);
  function render(d: JobDetail): void {
    const j = d.job;
    head.textContent = '';
    head.append(el('h1', { text: 'Job ' + j.id + ' (' + j.kind + ')' }),
      el('p', { class: 'cmd', id: 'job-command', text: 'grokbench ' + j.args.join(' ') }),
      el('p', { id: 'job-state', 'data-status': j.status, text: 'status ' + j.status + ' · ' + j.message + ' · started ' + when(j.started) + ' · ended ' + when(j.ended) }));
    if (j.status === 'running') head.appendChild(el('button', { class: 'cancel', text: 'cancel', onclick: () => { post('/api/jobs/' + j.id + '/cancel').then(load).catch(showError); } }));
    if (j.status === 'interrupted' || j.status === 'failed' || j.status === 'cancelled') {
      head.appendChild(el('button', { class: 'resume', text: 'resume', onclick: () => { post<Job>('/api/jobs/' + j.id + '/resume').then((n) => { location.href = '/job/' + n.id; }).catch(showError); } }));
    }
    runs.textContent = '';
    const t = el('table', { class: 'data' }, el('tr', null, runsCell(j)));
    runs.appendChild(t);
    logBox.textContent = d.log.length ? (d.log_lines > d.log.length ? '… (' + (d.log_lines - d.log.length) + ' earlier lines in STORE/serve-logs/' + j.id + '.log)\n' : '') + d.log.join('\n') : '(nothing printed yet)';
    body.dataset.jobStatus = j.status;
    body.dataset.logLines = String(d.log_lines);
  }
  function load(): void {
    api<JobDetail>('/api/jobs/' + encodeURIComponent(id)).then(render).catch(showError);
  }
  const reload = throttle(load, 500);
  handlers.job.push((j) => { if (j.id === id) reload(); });
  load();
}
