/**
 * The dashboard's browser code and style (served as /app.js; plain ES5-style JS, no build step).
 * Pages: home (variant table), run (views, outcome, neuron explorer), compare (overlays and the
 * study's answers), jobs (start train/sweep/analyze, each job's and each of its runs' progress). Figures are the views' Vega-Lite specs drawn by vega-embed; neuron maps
 * arrive as bytes (8-bit per cell) and are painted on canvases with the viridis palette.
 */
export const PAGE_CSS = `
body { font: 14px/1.4 'Liberation Sans', Arial, sans-serif; margin: 0; color: #222; }
header { background: #24323f; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
header a.home { color: #fff; font-weight: bold; font-size: 18px; text-decoration: none; }
header .store { color: #bcd; font-size: 12px; } header .live { margin-left: auto; font-size: 12px; color: #9d9; }
main { padding: 12px 16px; } h1 { font-size: 20px; margin: 4px 0 10px; } h2 { font-size: 16px; margin: 18px 0 8px; }
table.data { border-collapse: collapse; font-size: 12px; } table.data th, table.data td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
table.data th { cursor: pointer; background: #f3f5f7; position: sticky; top: 0; } table.data td.l, table.data th.l { text-align: left; }
tr.training td { background: #fff8e0; } .cls-healthy { color: #1a7f37; } .cls-late_grokker { color: #9a6700; } .cls-degraded, .cls-degraded_rebound, .cls-no_second_descent { color: #b42318; }
.figs { display: flex; flex-wrap: wrap; gap: 16px; } .fig { border: 1px solid #e3e3e3; padding: 6px; } .fig h3 { font-size: 13px; margin: 0 0 4px; }
.outcome { border: 1px solid #ccd; background: #f7f8fb; padding: 8px 12px; margin: 8px 0; } .outcome ul { margin: 4px 0; }
#grid { position: relative; max-width: 1100px; } #grid canvas { cursor: pointer; display: block; }
#grid-sel { position: absolute; border: 2px solid #e15759; pointer-events: none; box-sizing: border-box; } .explorer { display: flex; gap: 16px; align-items: flex-start; } .detail canvas { image-rendering: pixelated; border: 1px solid #ccc; }
.controls { display: flex; gap: 12px; align-items: center; margin: 6px 0; } input[type=range] { width: 420px; }
form.job { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: flex-end; background: #f7f8fb; padding: 8px; border: 1px solid #dde; }
form.job label { display: flex; flex-direction: column; font-size: 11px; color: #555; } form.job input { width: 90px; }
.error { color: #b42318; } .muted { color: #777; } .answer { border-top: 1px solid #ddd; margin-top: 10px; } .answer h3 { font-size: 14px; }
button { cursor: pointer; }
header nav a { color: #dde; margin-right: 12px; text-decoration: none; } header nav a.here { color: #fff; text-decoration: underline; }
table.runs-progress td { border: 0; padding: 0 6px 0 0; font-size: 11px; } table.runs-progress progress { width: 110px; height: 10px; }
.state-done, .state-skipped { color: #1a7f37; } .state-failed { color: #b42318; } .state-interrupted { color: #9a6700; } tr.job-interrupted > td { background: #fff4e5; }
td.cmd { min-width: 480px; max-width: 620px; white-space: normal !important; font-family: monospace; font-size: 11px; }
form.job details[open] { flex-basis: 100%; } form.job details[open] label { display: inline-flex; margin: 0 10px 6px 0; }
`;

export const CLIENT_JS = String.raw`(function () {
'use strict';
var body = document.body, main = document.getElementById('main'), live = document.getElementById('live');
var TOKEN = document.querySelector('meta[name=gb-token]').getAttribute('content');
var PAGE = body.dataset.page;
function el(tag, attrs) {
  var e = document.createElement(tag);
  if (attrs) Object.keys(attrs).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]); else e.setAttribute(k, attrs[k]); });
  for (var i = 2; i < arguments.length; i++) { var c = arguments[i]; if (c === null || c === undefined) continue; e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); }
  return e;
}
function api(path) {
  return fetch(path).then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; }); });
}
function post(path, obj) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-grokbench-token': TOKEN }, body: JSON.stringify(obj || {}) })
    .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.statusText); return j; }); });
}
function fmt(v, d) { if (v === null || v === undefined) return '–'; if (typeof v !== 'number') return String(v); if (Number.isInteger(v)) return String(v); if (Math.abs(v) < 1e-3 && v !== 0) return v.toExponential(2); return v.toFixed(d === undefined ? 3 : d); }
function draw(container, fig) {
  var box = el('div', { class: 'fig', 'data-name': fig.name }, el('h3', { text: fig.title }));
  var vis = el('div');
  box.appendChild(vis);
  if (fig.caption) box.title = fig.caption;
  container.appendChild(box);
  return vegaEmbed(vis, fig.spec, { actions: false, renderer: 'canvas' }).catch(function (e) { box.appendChild(el('p', { class: 'error', text: 'figure failed: ' + e.message })); });
}
function showError(e) { main.appendChild(el('p', { class: 'error', text: String(e.message || e) })); }
var handlers = { runs: [], job: [] };
var es = new EventSource('/api/events');
es.addEventListener('hello', function () { live.textContent = 'live'; });
es.addEventListener('runs', function (ev) { var d = JSON.parse(ev.data); handlers.runs.forEach(function (h) { h(d); }); });
es.addEventListener('job', function (ev) { var d = JSON.parse(ev.data); handlers.job.forEach(function (h) { h(d); }); });
es.onerror = function () { live.textContent = 'reconnecting…'; };
window.addEventListener('beforeunload', function () { es.close(); });
function throttle(fn, ms) { var t = null, again = false; return function () { if (t) { again = true; return; } fn(); t = setTimeout(function () { t = null; if (again) { again = false; fn(); } }, ms); }; }

// ---------------------------------------------------------------- home
function home() {
  var rows = [], sortKey = 'p', sortDir = 1, selected = {};
  var cols = [['', ''], ['run_id', 'run'], ['p', 'p'], ['seed', 'seed'], ['data_seed', 'data seed'], ['status', 'status'], ['epochs_done', 'epoch'], ['outcome', 'outcome'], ['onset', 'onset'],
    ['grok_epoch', 'grok (loss<0.01)'], ['grok_epoch_acc', 'grok (acc≥0.99)'], ['key_frequencies', 'key freqs'], ['committed_frequencies', 'committed freqs'], ['final_test_loss', 'final test loss']];
  var filter = el('input', { id: 'filter', placeholder: 'filter (e.g. p=113, healthy)', oninput: render });
  var cmp = el('button', { id: 'compare', text: 'compare selected', onclick: function () { var ids = Object.keys(selected).filter(function (k) { return selected[k]; }); if (ids.length) location.href = '/compare?runs=' + ids.map(encodeURIComponent).join(','); } });
  var table = el('table', { class: 'data', id: 'runs' });
  main.appendChild(el('h1', { text: 'Runs' }));
  main.appendChild(el('div', { class: 'controls' }, filter, cmp));
  main.appendChild(table);
  function text(r, k) { var v = r[k]; if (k === 'epochs_done') return r.epochs_done + ' / ' + r.epochs; if (Array.isArray(v)) return v.join(' '); if (k === 'final_test_loss') return v === null ? '–' : v.toExponential(2); return fmt(v); }
  function render() {
    var q = filter.value.trim().toLowerCase();
    var shown = rows.filter(function (r) { if (!q) return true; var hay = cols.map(function (c) { return c[0] ? c[0] + '=' + text(r, c[0]) : ''; }).join(' ').toLowerCase(); return q.split(/[\s,]+/).every(function (t) { return hay.indexOf(t) >= 0; }); });
    shown.sort(function (a, b) { var x = a[sortKey], y = b[sortKey]; if (Array.isArray(x)) { x = x.join(' '); y = y.join(' '); } if (x === y) return 0; if (x === null) return 1; if (y === null) return -1; return (x < y ? -1 : 1) * sortDir; });
    table.textContent = '';
    table.appendChild(el('tr', null, ...cols.map(function (c) { return el('th', { class: c[0] === 'run_id' || c[0] === 'status' || c[0] === 'outcome' ? 'l' : '', 'data-key': c[0], text: c[1] + (sortKey === c[0] && c[0] ? (sortDir > 0 ? ' ▲' : ' ▼') : ''), onclick: function () { if (!c[0]) return; if (sortKey === c[0]) sortDir = -sortDir; else { sortKey = c[0]; sortDir = 1; } render(); } }); })));
    shown.forEach(function (r) {
      var box = el('input', { type: 'checkbox', 'data-run': r.run_id, onchange: function () { selected[r.run_id] = box.checked; } });
      if (selected[r.run_id]) box.checked = true;
      var tr = el('tr', { 'data-run': r.run_id, class: r.status === 'training' ? 'training' : '' }, el('td', null, box));
      cols.slice(1).forEach(function (c) {
        var td = el('td', { class: c[0] === 'run_id' || c[0] === 'status' || c[0] === 'outcome' ? 'l' : '', 'data-col': c[0] });
        if (c[0] === 'run_id') td.appendChild(el('a', { href: '/run/' + encodeURIComponent(r.run_id), text: r.run_id }));
        else if (c[0] === 'outcome' && !r.outcome && r.provisional) td.textContent = 'provisional (' + (r.provisional.classification || '–') + ' so far)';
        else td.textContent = text(r, c[0]);
        if (c[0] === 'outcome' && r.outcome) td.className += ' cls-' + r.outcome;
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    body.dataset.runs = String(rows.length);
    // Usable: the variant table drawn with every run (bench/serve.ts reads these); complete: every column filled.
    if (rows.length === 0 || !rows[0].basic) body.dataset.complete = '1';
    if (loaded && !body.dataset.homeMs) body.dataset.homeMs = String(Math.round(performance.now()));
    if (body.dataset.complete === '1' && !body.dataset.homeFullMs) body.dataset.homeFullMs = String(Math.round(performance.now()));
  }
  var loaded = false;
  var load = throttle(function () { api('/api/runs').then(function (r) { rows = r; loaded = true; render(); }).catch(showError); }, 1500);
  // First the rows the runs table alone gives (drawn at once, whatever the store's size), then every column.
  api('/api/runs?fields=basic').then(function (r) { if (!loaded) { rows = r; loaded = true; render(); } }).catch(showError);
  load();
  handlers.runs.push(function (d) {
    var known = {}; rows.forEach(function (r) { known[r.run_id] = r; });
    var changed = d.some(function (x) { var r = known[x.run_id]; return !r || r.status !== x.status || r.analysed !== undefined && x.checkpoints !== r.checkpoints; });
    d.forEach(function (x) { var r = known[x.run_id]; if (r) { r.epochs_done = x.epochs_done; r.status = x.status; } });
    if (changed) load(); else render();
  });
  handlers.job.push(function () { load(); jobsLine(); });
  var jl = el('p', { id: 'jobs-line', class: 'muted' });
  main.insertBefore(jl, table);
  function jobsLine() {
    api('/api/jobs').then(function (js) {
      var running = js.filter(function (j) { return j.status === 'running'; }).length, interrupted = js.filter(function (j) { return j.status === 'interrupted'; }).length;
      jl.textContent = '';
      jl.appendChild(document.createTextNode(running + ' job(s) running' + (interrupted ? ', ' + interrupted + ' interrupted' : '') + ' · '));
      jl.appendChild(el('a', { href: '/jobs', text: 'jobs: start train, sweep or analyze' }));
    }).catch(showError);
  }
  jobsLine();
}

function jobsPage() {
  main.appendChild(el('h1', { text: 'Jobs' }));
  main.appendChild(el('p', { class: 'muted', text: 'train, sweep and analyze on this store, run as grokbench commands by the server; they keep running when this page closes. A job that was running when the server stopped shows as interrupted: resume runs the same command again (training continues from the last checkpoint).' }));
  main.appendChild(el('h2', { text: 'Start a job' }));
  if (!TOKEN) { main.appendChild(el('p', { class: 'muted', text: 'Read-only: open the URL with the token that grokbench serve printed to start or cancel jobs.' })); }
  var kind = el('select', { name: 'kind', id: 'job-kind' }, el('option', { value: 'train', text: 'train' }), el('option', { value: 'sweep', text: 'sweep' }), el('option', { value: 'analyze', text: 'analyze' }));
  var form = el('form', { class: 'job', id: 'job-form' });
  var fieldsBox = el('span', { style: 'display:contents' });
  var msg = el('span', { id: 'job-message' });
  var settings = [];
  var MAIN = ['p', 'seed', 'dataSeed', 'epochs', 'checkpointEvery', 'fracTrain', 'lr', 'wd', 'dMlp'];
  function field(name, label, value, title) { return el('label', { title: title || '' }, label, el('input', { name: name, value: value === null || value === undefined ? '' : String(value) })); }
  function renderFields() {
    fieldsBox.textContent = '';
    var k = kind.value;
    if (k === 'analyze') { fieldsBox.appendChild(field('runs', 'runs (comma-separated ids)', '')); return; }
    if (k === 'sweep') { fieldsBox.appendChild(field('primes', '--primes', '59,61')); fieldsBox.appendChild(field('seeds', '--seeds', '999')); fieldsBox.appendChild(field('dataSeeds', '--data-seeds', '')); }
    var more = el('details', null, el('summary', { text: 'more settings' }));
    settings.forEach(function (s) {
      if (k === 'sweep' && s.scope !== 'run') return;
      var f = s.kind === 'flag'
        ? el('label', { title: s.help }, s.flag, el('input', { name: s.key, type: 'checkbox' }))
        : field(s.key, s.flag, s.default, s.help);
      (MAIN.indexOf(s.key) >= 0 ? fieldsBox : more).appendChild(f);
    });
    fieldsBox.appendChild(more);
  }
  kind.addEventListener('change', renderFields);
  form.appendChild(el('label', null, 'job', kind));
  form.appendChild(fieldsBox);
  form.appendChild(el('button', { type: 'submit', id: 'job-start', text: 'start' }));
  form.appendChild(msg);
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var data = {};
    Array.prototype.forEach.call(form.querySelectorAll('input'), function (i) {
      if (i.type === 'checkbox') { if (i.checked) data[i.name] = 'true'; return; }
      var s = settings.filter(function (x) { return x.key === i.name; })[0];
      if (s && String(s.default === null ? '' : s.default) === i.value) return; // unchanged default
      if (i.value !== '') data[i.name] = i.value;
    });
    msg.className = ''; msg.textContent = 'starting…';
    post('/api/jobs', { kind: kind.value, form: data }).then(function (j) { msg.textContent = 'started job ' + j.id; loadJobs(); }).catch(function (e) { msg.className = 'error'; msg.textContent = e.message; });
  });
  main.appendChild(form);
  var list = el('table', { class: 'data', id: 'jobs' });
  main.appendChild(el('h2', { text: 'Jobs' }));
  main.appendChild(list);
  var jobs = [];
  function when(t) { return t ? t.replace('T', ' ').slice(0, 19) : '–'; }
  function act(j, what) { post('/api/jobs/' + j.id + '/' + what).then(loadJobs).catch(function (e) { msg.className = 'error'; msg.textContent = e.message; }); }
  function runsBox(j) {
    var box = el('td', { class: 'l job-runs' });
    if (!j.runs || !j.runs.length) { j.runIds.forEach(function (id) { box.appendChild(el('a', { href: '/run/' + encodeURIComponent(id), text: id })); box.appendChild(document.createTextNode(' ')); }); return box; }
    var t = el('table', { class: 'runs-progress' });
    j.runs.forEach(function (r) {
      var bar = el('progress', { max: String(r.epochs || 1), value: String(r.epoch) });
      t.appendChild(el('tr', { 'data-run': r.run_id, 'data-state': r.state }, el('td', { class: 'l' }, el('a', { href: '/run/' + encodeURIComponent(r.run_id), text: r.run_id })),
        el('td', { class: 'l run-state state-' + r.state, text: r.state }), el('td', null, bar), el('td', { class: 'run-epoch', text: r.epoch + ' / ' + r.epochs }),
        el('td', { text: r.test_acc === null || r.test_acc === undefined ? '' : 'test acc ' + (100 * r.test_acc).toFixed(1) + '%' })));
    });
    box.appendChild(t);
    return box;
  }
  function renderJobs() {
    list.textContent = '';
    list.appendChild(el('tr', null, ...['job', 'kind', 'command', 'status', 'progress', 'runs', 'started', 'ended', ''].map(function (h) { return el('th', { class: 'l', text: h }); })));
    if (!jobs.length) list.appendChild(el('tr', null, el('td', { class: 'l muted', colspan: '9', text: 'No jobs yet: start one above.' })));
    jobs.forEach(function (j) {
      var a = el('td');
      if (j.status === 'running') a.appendChild(el('button', { class: 'cancel', text: 'cancel', onclick: function () { act(j, 'cancel'); } }));
      if (j.status === 'interrupted' || j.status === 'failed' || j.status === 'cancelled') a.appendChild(el('button', { class: 'resume', text: 'resume', onclick: function () { act(j, 'resume'); } }));
      list.appendChild(el('tr', { 'data-job': j.id, 'data-status': j.status, class: 'job-' + j.status }, el('td', { class: 'l', text: j.id }), el('td', { class: 'l', text: j.kind }),
        el('td', { class: 'l cmd', text: 'grokbench ' + j.args.join(' ') }), el('td', { class: 'l job-status', text: j.status }), el('td', { class: 'l job-progress', text: j.message }),
        runsBox(j), el('td', { class: 'l', text: when(j.started) }), el('td', { class: 'l', text: when(j.ended) }), a));
    });
    body.dataset.jobs = String(jobs.length);
  }
  function loadJobs() { api('/api/jobs').then(function (js) { jobs = js; renderJobs(); }).catch(showError); }
  // A job's event carries the whole job: replace it in place (progress ticks need no request).
  var redraw = throttle(renderJobs, 250);
  handlers.job.push(function (j) {
    var i = jobs.map(function (x) { return x.id; }).indexOf(j.id);
    if (i < 0) { loadJobs(); return; }
    jobs[i] = j; redraw();
  });
  api('/api/settings').then(function (s) { settings = s; renderFields(); }).catch(showError);
  loadJobs();
}

// ---------------------------------------------------------------- run
function paint(canvas, bytes, offset, p) {
  var ctx = canvas.getContext('2d'), img = ctx.createImageData(p, p), d = img.data;
  for (var i = 0; i < p * p; i++) { var c = PAL[bytes[offset + i]]; d[4 * i] = c[0]; d[4 * i + 1] = c[1]; d[4 * i + 2] = c[2]; d[4 * i + 3] = 255; }
  ctx.putImageData(img, 0, 0);
}
var PAL = (window.VIRIDIS || []).map(function (s) { return s.split(',').map(Number); });
// The palette as RGBA words in memory order (little-endian: 0xAABBGGRR), for filling ImageData as Uint32.
var LUT = new Uint32Array(PAL.map(function (c) { return ((255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0; }));
function run() {
  var id = body.dataset.run, info = null, epochIdx = 0, sortBy = 'specialization', current = null, selectedNeuron = null;
  var head = el('div'), figs = el('div', { class: 'figs', id: 'figs' });
  main.appendChild(head);
  function load(first) {
    return api('/api/run/' + encodeURIComponent(id)).then(function (r) {
      var grew = !info || r.epochs.length !== info.epochs.length;
      info = r;
      renderHead();
      figs.textContent = '';
      r.figures.forEach(function (f) { draw(figs, f); });
      if (first) { epochIdx = Math.max(0, r.epochs.length - 1); buildExplorer(); }
      else if (grew) updateSlider();
    });
  }
  function renderHead() {
    var r = info, o = r.outcome;
    head.textContent = '';
    head.appendChild(el('h1', { text: r.label + '  (' + r.run_id + ')' }));
    head.appendChild(el('p', { id: 'run-status', text: 'status ' + r.status + ' · epoch ' + r.epochs_done + ' / ' + r.max_epoch + ' · ' + r.checkpoints.length + ' checkpoints, ' + r.epochs.length + ' analysed · d_mlp ' + r.d_mlp + ' · data seed ' + r.data_seed }));
    var box = el('div', { class: 'outcome', id: 'outcome' });
    if (!o) box.appendChild(el('p', { text: 'no outcome yet (no metrics)' }));
    else {
      var cls = o.provisional ? 'provisional: ' + (o.provisional.classification || '–') + ' so far (' + o.provisional.state + ' at epoch ' + o.provisional.epoch + ' of ' + o.provisional.epochs + '; a class is given at the full horizon)' : String(o.performance_classification);
      box.appendChild(el('div', null, el('b', { text: 'outcome: ' }), el('span', { class: 'cls-' + (o.provisional ? 'provisional' : o.performance_classification), id: 'outcome-class', text: cls }),
        ' · second-descent onset ' + fmt(o.second_descent_onset_epoch) + ' · test loss ≤ 1e-6 at ' + (o.test_loss_threshold_first_epoch < 0 ? 'never' : o.test_loss_threshold_first_epoch) +
        ' · final test loss ' + fmt(o.test_loss_final) + ' · grok (loss < 0.01) ' + fmt(r.grok.grok_epoch) + ' · committed frequencies ' + (r.committed_frequencies.join(' ') || '–') + ' · embedding key frequencies ' + (r.key_frequencies.join(' ') || '–')));
      var ul = el('ul', { id: 'outcome-reasons' });
      o.classification_reasons.forEach(function (x) { ul.appendChild(el('li', { text: x })); });
      box.appendChild(ul);
      box.appendChild(el('div', { class: 'muted', text: (r.outcome_stored ? 'stored outcome analysis' : 'computed from the metrics (not analysed yet)') + '; ' + o.epoch_note }));
    }
    head.appendChild(box);
  }
  var slider, label, sortSel, grid, detail;
  function buildExplorer() {
    main.appendChild(figs);
    main.appendChild(el('h2', { text: 'Neuron explorer' }));
    if (!info.epochs.length) { main.appendChild(el('p', { class: 'muted', id: 'no-explorer', text: 'No analysed checkpoint yet.' })); }
    slider = el('input', { type: 'range', id: 'epoch-slider', min: '0', max: String(Math.max(0, info.epochs.length - 1)), value: String(epochIdx) });
    label = el('span', { id: 'epoch-label' });
    sortSel = el('select', { id: 'sort-by' }, el('option', { value: 'specialization', text: 'sort by frequency specialization' }), el('option', { value: 'coarseness', text: 'sort by coarseness (K=' + info.K + ')' }), el('option', { value: 'index', text: 'neuron index' }));
    slider.addEventListener('input', function () { epochIdx = Number(slider.value); label.textContent = 'epoch ' + info.epochs[epochIdx]; loadMaps(); });
    sortSel.addEventListener('change', function () { sortBy = sortSel.value; renderGrid(); });
    grid = el('div', { id: 'grid' });
    detail = el('div', { class: 'detail', id: 'detail' });
    main.appendChild(el('div', { class: 'controls' }, el('span', { text: 'checkpoint' }), slider, label, sortSel));
    main.appendChild(el('div', { class: 'explorer' }, grid, detail));
    if (info.epochs.length) { label.textContent = 'epoch ' + info.epochs[epochIdx]; loadMaps(); }
  }
  function updateSlider() {
    if (!slider) return;
    var atEnd = epochIdx >= Number(slider.max) - 0;
    slider.max = String(Math.max(0, info.epochs.length - 1));
    if (atEnd) { epochIdx = info.epochs.length - 1; slider.value = String(epochIdx); label.textContent = 'epoch ' + info.epochs[epochIdx]; loadMaps(); }
  }
  var seq = 0;
  function loadMaps() {
    var my = ++seq, t0 = performance.now(), epoch = info.epochs[epochIdx];
    body.dataset.gridReady = '0';
    fetch('/api/run/' + encodeURIComponent(id) + '/maps?epoch=' + epoch).then(function (r) { if (!r.ok) return r.json().then(function (j) { throw new Error(j.error); }); return r.arrayBuffer(); }).then(function (buf) {
      if (my !== seq) return;
      var n = new DataView(buf).getUint32(0, true);
      var h = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
      current = { h: h, bytes: new Uint8Array(buf, 4 + n) };
      renderGrid();
      body.dataset.gridMs = String(Math.round(performance.now() - t0));
      body.dataset.gridEpoch = String(epoch);
      body.dataset.gridReady = '1';
      if (selectedNeuron !== null) openNeuron(selectedNeuron);
    }).catch(showError);
  }
  // The grid is one canvas (one texture for the browser to composite, not d_mlp of them): tile k
  // shows neuron order[k], TILE css px square, nearest-neighbour samples of its p × p map
  // (pixel x of a tile shows column floor((x + 0.5)·p / T) of the map, T the tile in device px).
  var TILE = 40, GAP = 2, COLS = Math.floor(1100 / (TILE + GAP)), order = [], atlas = null, selBox = null;
  function tileAt(ev) {
    var x = ev.offsetX, y = ev.offsetY, c = Math.floor(x / (TILE + GAP)), r = Math.floor(y / (TILE + GAP));
    if (x - c * (TILE + GAP) >= TILE || y - r * (TILE + GAP) >= TILE || c >= COLS) return -1;
    var k = r * COLS + c;
    return k < order.length ? k : -1;
  }
  function placeSel() {
    var k = selectedNeuron === null ? -1 : order.indexOf(selectedNeuron);
    if (k < 0) { selBox.style.display = 'none'; return; }
    selBox.style.display = 'block';
    selBox.style.left = ((k % COLS) * (TILE + GAP) - 2) + 'px'; selBox.style.top = (Math.floor(k / COLS) * (TILE + GAP) - 2) + 'px';
    selBox.style.width = selBox.style.height = (TILE + 4) + 'px';
  }
  function renderGrid() {
    if (!current) return;
    var h = current.h, p = h.p, d = h.d_mlp, bytes = current.bytes, P2 = p * p;
    order = [];
    for (var i = 0; i < d; i++) order.push(i);
    if (sortBy !== 'index') { var v = h[sortBy]; order.sort(function (a, b) { var x = v[a] === null ? -1 : v[a], y = v[b] === null ? -1 : v[b]; return y - x || a - b; }); }
    var dpr = window.devicePixelRatio || 1, T = Math.round(TILE * dpr), G = Math.round(GAP * dpr);
    var cols = Math.min(COLS, d), rows = Math.ceil(d / COLS), W = cols * (T + G) - G, H = rows * (T + G) - G;
    if (!atlas) {
      atlas = el('canvas', { id: 'grid-canvas' });
      selBox = el('div', { id: 'grid-sel' });
      atlas.addEventListener('mousemove', function (ev) {
        var k = tileAt(ev), n = order[k], hh = current.h;
        atlas.title = k < 0 ? '' : '#' + n + ' coarseness ' + fmt(hh.coarseness[n]) + ' · specialization ' + fmt(hh.specialization[n]) + ' · k=' + hh.dominant[n];
      });
      atlas.addEventListener('click', function (ev) { var k = tileAt(ev); if (k < 0) return; selectedNeuron = order[k]; placeSel(); openNeuron(selectedNeuron); });
      grid.appendChild(atlas); grid.appendChild(selBox);
    }
    if (atlas.width !== W || atlas.height !== H) { atlas.width = W; atlas.height = H; atlas.style.width = (W / dpr) + 'px'; atlas.style.height = (H / dpr) + 'px'; }
    var ctx = atlas.getContext('2d'), img = ctx.createImageData(W, H), px = new Uint32Array(img.data.buffer);
    px.fill(0xffffffff);
    var s = new Int32Array(T);
    for (var t = 0; t < T; t++) s[t] = Math.min(p - 1, Math.floor((t + 0.5) * p / T));
    for (var k = 0; k < d; k++) {
      var n = order[k], ox = (k % COLS) * (T + G), oy = Math.floor(k / COLS) * (T + G), src = n * P2;
      for (var y = 0; y < T; y++) {
        var row = src + s[y] * p, o = (oy + y) * W + ox;
        for (var x = 0; x < T; x++) px[o + x] = LUT[bytes[row + s[x]]];
      }
    }
    ctx.putImageData(img, 0, 0);
    atlas.dataset.tile = String(T); atlas.dataset.gap = String(G); atlas.dataset.cols = String(COLS); atlas.dataset.p = String(p);
    placeSel();
    body.dataset.gridOrder = order.join(',');
  }
  function openNeuron(n) {
    var epoch = info.epochs[epochIdx];
    api('/api/run/' + encodeURIComponent(id) + '/neuron/' + n + '?epoch=' + epoch).then(function (d) {
      detail.textContent = '';
      detail.dataset.neuron = String(n);
      detail.appendChild(el('h3', { id: 'neuron-title', text: 'neuron #' + n + ' at epoch ' + epoch }));
      detail.appendChild(el('div', { text: 'coarseness ' + fmt(d.coarseness) + ' · frequency specialization ' + fmt(d.specialization) + ' · dominant frequency ' + d.dominant + ' · activation ' + fmt(d.min) + '…' + fmt(d.max) }));
      var big = el('canvas', { id: 'neuron-map', width: String(d.p), height: String(d.p), style: 'width:' + (d.p * 3) + 'px;height:' + (d.p * 3) + 'px', title: 'A[a][b]: a down, b across' });
      paint(big, d.map, 0, d.p);
      var S = Math.round(Math.sqrt(d.spectrum.length)), mx = 0;
      d.spectrum.forEach(function (x) { if (x > mx) mx = x; });
      var spec = el('canvas', { id: 'neuron-spectrum', width: String(S), height: String(S), style: 'width:' + Math.max(120, S * 4) + 'px;height:' + Math.max(120, S * 4) + 'px', title: '2-D power spectrum: row k_a, column k_b' });
      var ctx = spec.getContext('2d'), img = ctx.createImageData(S, S);
      for (var i = 0; i < S * S; i++) { var c = PAL[Math.round(254 * (mx > 0 ? d.spectrum[i] / mx : 0))]; img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255; }
      ctx.putImageData(img, 0, 0);
      detail.appendChild(el('div', { class: 'controls' }, el('div', null, el('div', { class: 'muted', text: 'activation map' }), big), el('div', null, el('div', { class: 'muted', text: '2-D power spectrum (k_a down, k_b across)' }), spec)));
      var hist = el('div', { id: 'neuron-history' });
      detail.appendChild(hist);
      var values = [];
      d.history.forEach(function (x) { values.push({ epoch: x.epoch, metric: 'coarseness', value: x.coarseness }); values.push({ epoch: x.epoch, metric: 'frequency specialization', value: x.specialization }); });
      vegaEmbed(hist, { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 360, height: 140, title: 'neuron #' + n + ' over epochs', data: { values: values },
        layer: [{ mark: 'line', encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] } }, color: { field: 'metric', type: 'nominal' } } },
          { mark: { type: 'rule', color: '#e15759' }, data: { values: [{ epoch: epoch }] }, encoding: { x: { field: 'epoch', type: 'quantitative' } } }] }, { actions: false, renderer: 'canvas' });
    }).catch(showError);
  }
  load(true).catch(showError);
  handlers.runs.push(function (d) {
    var me = d.filter(function (x) { return x.run_id === id; })[0];
    if (me && info && (me.epochs_done !== info.epochs_done || me.status !== info.status || me.checkpoints !== info.checkpoints.length)) reload();
  });
  var reload = throttle(function () { load(false).catch(showError); }, 3000);
  handlers.job.push(function () { reload(); });
}

// ---------------------------------------------------------------- compare
function compare() {
  var ids = body.dataset.runs;
  main.appendChild(el('h1', { text: 'Compare' }));
  api('/api/compare?runs=' + encodeURIComponent(ids)).then(function (c) {
    main.appendChild(el('p', { id: 'compare-runs', text: c.runs.map(function (r) { return r.label + ' [' + (r.outcome || 'no outcome') + ']'; }).join(' · ') }));
    var figs = el('div', { class: 'figs' });
    main.appendChild(figs);
    c.figures.forEach(function (f) { draw(figs, f); });
    main.appendChild(el('h2', { text: "The study's answers for these runs" }));
    if (!c.answers) { main.appendChild(el('p', { class: 'muted', text: 'The answers need two or more analysed runs.' })); return; }
    c.answers.forEach(function (s) {
      var box = el('div', { class: 'answer', 'data-section': s.id }, el('h3', { text: s.question }), el('p', { text: s.answer }));
      if (s.table) {
        var t = el('table', { class: 'data' }, el('tr', null, ...s.table.columns.map(function (h) { return el('th', { text: h }); })));
        s.table.rows.slice(0, 40).forEach(function (r) { t.appendChild(el('tr', null, ...r.map(function (v) { return el('td', { text: fmt(v) }); }))); });
        box.appendChild(t);
      }
      if (s.vegaLite) { var v = el('div'); box.appendChild(v); vegaEmbed(v, s.vegaLite, { actions: false, renderer: 'canvas' }).catch(function () {}); }
      main.appendChild(box);
    });
    body.dataset.ready = '1';
  }).catch(showError);
}

if (PAGE === 'home') home(); else if (PAGE === 'run') run(); else if (PAGE === 'compare') compare(); else if (PAGE === 'jobs') jobsPage();
})();
`;
