/**
 * `grokbench serve`: the researcher's dashboard over one store, on node:http.
 *
 * Pages (one HTML shell each, drawn by the browser code in src/browser/dashboard with Vega-Lite from the same views as the
 * report): `/` the variant table, `/jobs` the jobs (start, progress of each run, cancel, resume), `/run/RUN` one run, `/compare?runs=A,B` several.
 * API: `/api/runs` (`?fields=basic`: from the runs table alone, drawn first), `/api/run/RUN` (read model summary and its views), `/api/run/RUN/maps?epoch=E`
 * (every neuron's activation map at one checkpoint, binary), `/api/run/RUN/neuron/N?epoch=E`,
 * `/api/compare?runs=…`, `/api/jobs` (GET; POST starts one), `/api/jobs/ID/cancel|resume` (POST),
 * `/api/settings`, `/api/events` (server-sent events: runs' progress and jobs).
 *
 * Security: listens on 127.0.0.1 unless told otherwise; every state-changing request (POST) needs
 * the per-start token in the `X-Grokbench-Token` header (403 without it); a Host header naming
 * another host is refused (DNS rebinding); nothing from a URL becomes a file path: runs are looked
 * up by id in the store, static files are a fixed table. Bad requests get a 4xx with a one-line
 * message; a failure inside a handler is a 500 with a message, never a crash.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Kernels, loadKernels } from '../engine/index.js';
import { GrokbenchError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { palette } from '../views/colormap.js';
import { buildViews } from '../views/index.js';
import { checkpointMaps, powerSpectrum, type QuantisedMaps } from '../views/maps.js';
import { disambiguateLabels, loadRunModel, type RunModel } from '../views/model.js';
import { runJitter } from '../metrics/outcome.js';
import { computeStudyFromData } from '../study/sections.js';
import type { Figure } from '../views/types.js';
import { browserBundles, pageScript } from '../report/html.js';
import { PAGE_CSS } from './style.js';
import { formSettings, Jobs } from './jobs.js';

export interface ServeOptions {
  storeDir: string;
  port?: number;
  host?: string;
  /** K of coarseness (default 3). */
  lowFreqs?: number;
  /** Fixed token (tests); a random one per start otherwise. */
  token?: string;
}

export interface RunningServer {
  url: string;
  token: string;
  /** The URL with the token, as printed. */
  openUrl: string;
  server: Server;
  jobs: Jobs;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON with typed arrays as plain arrays and NaN as null. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>, (n) => (Number.isFinite(n) ? n : null)) : typeof x === 'number' && !Number.isFinite(x) ? null : x));
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const K = o.lowFreqs ?? 3;
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? randomBytes(18).toString('base64url');
  // Bind first: an address or port that cannot be had leaves no store behind.
  let dispatch: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server = createServer((req, res) => {
    if (dispatch) { dispatch(req, res); return; }
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: 'grokbench: the server is starting' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8060, host, () => { server.off('error', reject); resolve(); });
  });
  let store: Store;
  try {
    store = Store.open(o.storeDir, { create: true });
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  let kernels: Kernels | null = null;
  const kern = (): Kernels => (kernels ??= loadKernels({ quiet: true }));

  // ---- read models, loaded once per run and reloaded when the run's stored results change ----
  const models = new Map<string, { key: string; model: RunModel }>();
  const stamp = (id: string): string => {
    const r = store.getRun(id)!;
    const c = store.checkpointStamp(id);
    return `${r.epochs_done}|${r.status}|${r.updated_at}|${c.n}|${c.last}|${store.countAnalyses(id, 'neuron_fourier')}`;
  };
  const model = (id: string): RunModel => {
    if (!RUN_ID.test(id) || !store.getRun(id)) throw new HttpError(404, `no run ${id} in the store`);
    const key = stamp(id);
    const hit = models.get(id);
    if (hit && hit.key === key) return hit.model;
    const m = loadRunModel(store, id, K);
    models.set(id, { key, model: m });
    return m;
  };
  const mapsCache = new Map<string, QuantisedMaps>();
  const mapsAt = (m: RunModel, epoch: number): QuantisedMaps => {
    const key = `${m.runId}@${epoch}`;
    let q = mapsCache.get(key);
    if (!q) {
      const path = m.checkpoints.get(epoch);
      if (!path) throw new HttpError(404, `run ${m.runId} has no checkpoint at epoch ${epoch}`);
      q = checkpointMaps(kern(), path, m.p, m.dMlp || (store.getRun(m.runId) ? JSON.parse(store.getRun(m.runId)!.config_json).dMlp : 0));
      mapsCache.set(key, q);
      while (mapsCache.size > 4) mapsCache.delete(mapsCache.keys().next().value!);
    }
    return q;
  };

  // ---- live events -----------------------------------------------------------------------------
  const clients = new Set<ServerResponse>();
  const send = (event: string, data: unknown): void => {
    const msg = `event: ${event}\ndata: ${toJson(data)}\n\n`;
    for (const c of clients) c.write(msg);
  };
  const jobs = new Jobs(store, { onChange: (job) => send('job', job) });
  let lastRuns = '';
  const runRows = () => store.listRuns().map((r) => ({ run_id: r.run_id, epochs_done: r.epochs_done, epochs: r.epochs, status: store.runState(r).state, checkpoints: store.checkpointStamp(r.run_id).n }));
  const ticker = setInterval(() => {
    if (clients.size === 0) return;
    try {
      const rows = runRows();
      const s = JSON.stringify(rows);
      if (s !== lastRuns) { lastRuns = s; send('runs', rows); }
    } catch { /* the store is busy; next tick */ }
  }, 1000);
  ticker.unref();

  // ---- handlers --------------------------------------------------------------------------------
  const homeRows = () => store.listRuns().map((r) => {
    const m = model(r.run_id);
    const last = [...m.metrics].reverse().find((x) => x.test_loss !== null);
    const emb = m.embedding.length ? m.embedding[m.embedding.length - 1] : null;
    return {
      run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: m.jitter, status: store.runState(r).state,
      epochs_done: r.epochs_done, epochs: m.maxEpoch, checkpoints: m.checkpoints.size, analysed: m.epochs.length,
      outcome: m.outcome?.performance_classification ?? null, provisional: m.outcome?.provisional ?? null, onset: m.outcome?.second_descent_onset_epoch ?? null,
      grok_epoch: m.grok.grok_epoch, grok_epoch_acc: m.grok.grok_epoch_acc, memorise_epoch: m.grok.memorise_epoch,
      key_frequencies: emb ? emb.keyFrequencies : [],
      committed_frequencies: m.dynamics ? m.dynamics.final_committed_frequencies : [],
      final_test_loss: last?.test_loss ?? null,
    };
  });

  /** The home rows from the runs table alone (no read model): the table is drawn with these first. */
  const basicRows = () => store.listRuns().map((r) => ({
    run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: runJitter(r), status: store.runState(r).state,
    epochs_done: r.epochs_done, epochs: r.epochs, checkpoints: store.checkpointStamp(r.run_id).n, analysed: null,
    outcome: null, onset: null, grok_epoch: r.grok_epoch, grok_epoch_acc: null, memorise_epoch: r.memorise_epoch,
    key_frequencies: [], committed_frequencies: [], final_test_loss: null, basic: true,
  }));

  const figuresJson = (figs: Figure[]) => figs.map((f) => ({ name: f.name, title: f.title, caption: f.caption, spec: f.spec }));

  const runJson = (id: string) => {
    const m = model(id);
    const figs = m.epochs.length
      ? buildViews([m], K, kern, ['training-curves', 'mean', 'dynamics', 'embedding-spectrum'])
      : buildViews([m], K, kern, ['training-curves']);
    return {
      run_id: m.runId, label: m.label, p: m.p, seed: m.seed, data_seed: m.dataSeed, jitter: m.jitter, status: m.status,
      epochs_done: m.epochsDone, max_epoch: m.maxEpoch, d_mlp: m.dMlp > 0 ? m.dMlp : m.configuredDMlp, n_freq: m.nFreq, K,
      epochs: m.epochs, checkpoints: [...m.checkpoints.keys()].sort((a, b) => a - b),
      grok: m.grok, outcome: m.outcome, outcome_stored: m.outcomeStored,
      committed_frequencies: m.dynamics?.final_committed_frequencies ?? [],
      key_frequencies: m.embedding.length ? m.embedding[m.embedding.length - 1].keyFrequencies : [],
      figures: figuresJson(figs),
    };
  };

  /** Binary: u32 header length, header JSON, then d_mlp × p² bytes of map indices. */
  const mapsBinary = (id: string, epochText: string | null): [Buffer, Buffer] => {
    const m = model(id);
    const epoch = Number(epochText);
    if (epochText === null || !Number.isInteger(epoch)) throw new HttpError(400, 'epoch must be an integer');
    const i = m.epochs.indexOf(epoch);
    if (i < 0) throw new HttpError(404, `run ${id} has no analysed checkpoint at epoch ${epoch}`);
    const q = mapsAt(m, epoch);
    const d = m.dMlp;
    const header = Buffer.from(toJson({
      epoch, p: m.p, d_mlp: d, min: q.min, max: q.max,
      coarseness: m.coarseness.subarray(i * d, (i + 1) * d), specialization: m.specialization.subarray(i * d, (i + 1) * d),
      dominant: m.dominant.subarray(i * d, (i + 1) * d),
    }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    return [Buffer.concat([len, header]), Buffer.from(q.indices.buffer, q.indices.byteOffset, q.indices.byteLength)];
  };

  const neuronJson = (id: string, nText: string, epochText: string | null) => {
    const m = model(id);
    const n = Number(nText), epoch = Number(epochText);
    if (!/^\d+$/.test(nText) || n >= m.dMlp) throw new HttpError(400, `neuron must be an integer in 0..${m.dMlp - 1}`);
    const i = m.epochs.indexOf(epoch);
    if (i < 0) throw new HttpError(404, `run ${id} has no analysed checkpoint at epoch ${epochText}`);
    const q = mapsAt(m, epoch);
    const d = m.dMlp;
    return {
      neuron: n, epoch, p: m.p, min: q.min[n], max: q.max[n],
      map: Array.from(q.indices.subarray(n * m.p * m.p, (n + 1) * m.p * m.p)),
      spectrum: powerSpectrum(kern(), q.raw, m.p, d, n),
      history: m.epochs.map((e, j) => ({ epoch: e, coarseness: m.coarseness[j * d + n], specialization: m.specialization[j * d + n], dominant: m.dominant[j * d + n] })),
      coarseness: m.coarseness[i * d + n], specialization: m.specialization[i * d + n], dominant: m.dominant[i * d + n],
    };
  };

  const compareJson = (runsText: string | null) => {
    const ids = (runsText ?? '').split(',').filter((s) => s !== '');
    if (ids.length === 0) throw new HttpError(400, 'name runs to compare: ?runs=A,B');
    if (ids.length > 64) throw new HttpError(400, 'at most 64 runs');
    const ms = [...new Set(ids)].map((id) => ({ ...model(id) }));
    disambiguateLabels(ms);
    const analysed = ms.filter((m) => m.epochs.length > 0);
    const figs = buildViews(ms, K, kern, ['training-curves']).concat(analysed.length ? buildViews(analysed, K, kern, ['mean', 'embedding-spectrum']) : []);
    const answers = analysed.filter((m) => !m.study!.unfinished).length > 1 ? computeStudyFromData(analysed.map((m) => m.study!), { K }) : null;
    return {
      runs: ms.map((m) => ({ run_id: m.runId, label: m.label, outcome: m.outcome?.performance_classification ?? null })),
      figures: figuresJson(figs),
      answers: answers ? answers.sections : null,
    };
  };

  const page = (kind: 'home' | 'run' | 'compare' | 'jobs', title: string, shownToken: string, extra: Record<string, string> = {}): string => {
    const data = Object.entries({ page: kind, ...extra }).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="gb-token" content="${esc(shownToken)}">
<style>${PAGE_CSS}</style>
<script src="/static/vega.js"></script><script src="/static/vega-lite.js"></script><script src="/static/vega-embed.js"></script>
</head><body${data}><header><a href="/" class="home">grokbench</a> <nav><a href="/"${kind === 'home' ? ' class="here"' : ''}>runs</a><a href="/jobs" id="nav-jobs"${kind === 'jobs' ? ' class="here"' : ''}>jobs</a></nav> <span class="store">${esc(store.dir)}</span> <span id="live" class="live">connecting…</span></header><main id="main"></main>
<script src="/static/viridis.js"></script><script src="/app.js"></script></body></html>`;
  };

  let staticFiles: Map<string, string> | null = null;
  const staticFile = (name: string): string | undefined => {
    if (!staticFiles) {
      const [vega, vl, embed] = browserBundles();
      const vir = palette('viridis');
      const colours: string[] = [];
      for (let i = 0; i < 256; i++) colours.push(`${vir[3 * i]},${vir[3 * i + 1]},${vir[3 * i + 2]}`);
      staticFiles = new Map([
        ['vega.js', vega], ['vega-lite.js', vl], ['vega-embed.js', embed],
        ['viridis.js', `window.VIRIDIS=${JSON.stringify(colours)};`],
      ]);
    }
    return staticFiles.get(name);
  };

  const validToken = (req: IncomingMessage): boolean => {
    const got = req.headers['x-grokbench-token'];
    if (typeof got !== 'string') return false;
    const a = Buffer.from(got), b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const readBody = (req: IncomingMessage): Promise<string> => new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) { reject(new HttpError(413, 'request body over 64 KiB')); return; } // drained, not kept
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

  const parseForm = (body: string): Record<string, unknown> => {
    let v: unknown;
    try { v = JSON.parse(body); } catch { throw new HttpError(400, 'the request body must be JSON'); }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the request body must be a JSON object');
    return v as Record<string, unknown>;
  };

  const port = (server.address() as AddressInfo).port;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`.toLowerCase()]);
    if (!allowedHosts.has(hostHeader)) throw new HttpError(403, `host ${hostHeader || '(none)'} is not this server`);
    if (path.includes('..') || path.includes('\\') || path.includes('\0')) throw new HttpError(400, 'bad path');
    const json = (v: unknown, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(toJson(v));
    };
    // The page carries the token (for its POSTs) only when the request shows it: ?token= (then a
    // same-site cookie keeps it for the other pages) or that cookie.
    const cookieToken = /(?:^|;\s*)gb_token=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const queryToken = url.searchParams.get('token');
    const same = (t: string | null | undefined): boolean => typeof t === 'string' && t.length === token.length && timingSafeEqual(Buffer.from(t), Buffer.from(token));
    const pageToken = same(queryToken) || same(cookieToken) ? token : '';
    const html = (s: string): void => {
      res.writeHead(200, {
        ...(same(queryToken) ? { 'set-cookie': `gb_token=${token}; HttpOnly; SameSite=Strict; Path=/` } : {}), 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'" });
      res.end(s);
    };
    const seg = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    if (req.method === 'POST') {
      if (!validToken(req)) throw new HttpError(403, 'a state-changing request needs the token printed by grokbench serve (X-Grokbench-Token header)');
      if (seg[0] === 'api' && seg[1] === 'jobs' && seg.length === 2) {
        const f = parseForm(await readBody(req));
        const form: Record<string, string> = {};
        const fields = (f.form ?? {}) as Record<string, unknown>;
        if (typeof fields !== 'object' || fields === null) throw new HttpError(400, 'form must be an object');
        for (const [k, v] of Object.entries(fields)) {
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new HttpError(400, `field ${k} must be a string`);
          form[k] = String(v);
        }
        json(jobs.start(String(f.kind ?? ''), form), 201);
        return;
      }
      if (seg[0] === 'api' && seg[1] === 'jobs' && seg.length === 4 && (seg[3] === 'cancel' || seg[3] === 'resume')) {
        json(seg[3] === 'cancel' ? jobs.cancel(seg[2]) : jobs.resume(seg[2]));
        return;
      }
      throw new HttpError(404, `no POST ${path}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} not allowed`);
    if (path === '/') return html(page('home', 'grokbench: runs', pageToken));
    if (seg[0] === 'run' && seg.length === 2) { model(seg[1]); return html(page('run', `grokbench: ${seg[1]}`, pageToken, { run: seg[1] })); }
    if (path === '/jobs') return html(page('jobs', 'grokbench: jobs', pageToken));
    if (path === '/compare') return html(page('compare', 'grokbench: compare', pageToken, { runs: url.searchParams.get('runs') ?? '' }));
    if (path === '/app.js') { res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }); res.end(pageScript('dashboard')); return; }
    if (seg[0] === 'static' && seg.length === 2) {
      const s = staticFile(seg[1]);
      if (s === undefined) throw new HttpError(404, `no static file ${seg[1]}`);
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
      res.end(s);
      return;
    }
    if (seg[0] !== 'api') throw new HttpError(404, `no page ${path}`);
    if (path === '/api/runs') return json(url.searchParams.get('fields') === 'basic' ? basicRows() : homeRows());
    if (path === '/api/settings') return json(formSettings());
    if (path === '/api/jobs') return json(jobs.list());
    if (path === '/api/compare') return json(compareJson(url.searchParams.get('runs')));
    if (path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: hello\ndata: {}\n\n`);
      lastRuns = '';
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (seg[1] === 'run' && seg.length === 3) return json(runJson(seg[2]));
    if (seg[1] === 'run' && seg.length === 4 && seg[3] === 'maps') {
      const [head, maps] = mapsBinary(seg[2], url.searchParams.get('epoch'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'content-length': head.length + maps.length });
      res.write(head);
      res.end(maps);
      return;
    }
    if (seg[1] === 'run' && seg.length === 5 && seg[3] === 'neuron') return json(neuronJson(seg[2], seg[4], url.searchParams.get('epoch')));
    throw new HttpError(404, `no API ${path}`);
  };

  dispatch = (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof GrokbenchError ? (err.exitCode === 2 ? 400 : 500) : err instanceof URIError ? 400 : 500;
      const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      if (res.headersSent) { res.end(); return; }
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: `grokbench: ${msg}` }));
    });
  };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  return {
    url, token, openUrl: `${url}/?token=${token}`, server, jobs,
    close: () => new Promise<void>((resolve) => {
      clearInterval(ticker);
      jobs.close();
      for (const c of clients) c.end();
      server.close(() => { store.close(); resolve(); });
      server.closeAllConnections();
    }),
  };
}
