/**
 * `grokbench serve`: the researcher's dashboard over one store, on node:http.
 *
 * Pages (one HTML shell each, drawn by the browser code in src/browser/dashboard with Vega-Lite from the same views as the
 * report): `/` the variant table, `/jobs` the jobs (start, progress of each run, cancel, resume), `/run/RUN` one run, `/compare?runs=A,B` several, `/study` all, `/views?view=NAME&runs=A,B` any view of the catalog side by side over runs.
 * API: `/api/runs` (`?fields=basic`: from the runs table alone, drawn first), `/api/run/RUN` (read model summary, the catalog's views it has, the training curves), `/api/run/RUN/view/NAME` (one view's figures), `/api/run/RUN/maps?epoch=E`
 * (every neuron's activation map at one checkpoint, binary), `/api/run/RUN/neuron/N?epoch=E`,
 * `/api/compare?runs=…` (`all`: the study page), `/api/compare/further?runs=…` (its ablation, blob-init and further analyzers' sections), `/api/views` (the catalog and the views each run has), `/api/views/NAME?runs=…` (one view over runs), `/api/jobs` (GET; POST starts one), `/api/jobs/ID` (one job and its log's tail), `/api/jobs/ID/cancel|resume` (POST),
 * `/api/settings`, `/api/events` (server-sent events: runs' progress and jobs).
 *
 * Security: listens on 127.0.0.1 unless told otherwise; every request needs the per-start token
 * (403 without it): reads show it as `?token=` (which sets a same-site, HTTP-only cookie), that
 * cookie or the `X-Grokbench-Token` header; a state-changing request (POST) in the header; a Host header naming
 * another host is refused (DNS rebinding); nothing from a URL becomes a file path: runs are looked
 * up by id in the store, static files are a fixed table. Bad requests get a 4xx with a one-line
 * message; a failure inside a handler is a 500 with a message, never a crash.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Kernels, loadKernels } from '../engine/index.js';
import { GrokbenchError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { pageScript } from '../report/html.js';
import { DashboardData } from './api.js';
import { LiveEvents } from './events.js';
import { HttpError, parseJsonObject, readBody, sameToken, toJson } from './http.js';
import { formSettings, Jobs } from './jobs.js';
import { pageHtml, staticFile } from './pages.js';

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

/** What a request is answered from. */
interface Ctx { store: Store; data: DashboardData; jobs: Jobs; events: LiveEvents; token: string }

/** One request's answer helpers and its view of the token. */
class Exchange {
  readonly url: URL;
  readonly path: string;
  readonly seg: string[];
  /** The token as the page may carry it (for its POSTs): only when the request showed it. */
  readonly pageToken: string;
  private readonly queryShowsToken: boolean;

  constructor(readonly req: IncomingMessage, readonly res: ServerResponse, private readonly token: string) {
    this.url = new URL(req.url ?? '/', 'http://localhost');
    this.path = this.url.pathname;
    if (this.path.includes('..') || this.path.includes('\\') || this.path.includes('\0')) throw new HttpError(400, 'bad path');
    this.seg = this.path.split('/').filter((x) => x !== '').map((x) => decodeURIComponent(x));
    // ?token= (then a same-site cookie keeps it for the other pages) or that cookie.
    const cookieToken = /(?:^|;\s*)gb_token=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    this.queryShowsToken = sameToken(this.url.searchParams.get('token'), token);
    const header = req.headers['x-grokbench-token'];
    this.headerShowsToken = sameToken(typeof header === 'string' ? header : null, token);
    this.authorised = this.queryShowsToken || this.headerShowsToken || sameToken(cookieToken, token);
    this.pageToken = this.authorised ? token : '';
  }

  /** Whether the request shows the token: ?token=, the X-Grokbench-Token header or the cookie. */
  readonly authorised: boolean;
  /** Whether it shows it in the header (a POST must: a cookie alone never changes state). */
  readonly headerShowsToken: boolean;

  json(v: unknown, status = 200): void {
    this.res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    this.res.end(toJson(v));
  }

  html(s: string, status = 200): void {
    this.res.writeHead(status, {
      ...(this.queryShowsToken ? { 'set-cookie': `gb_token=${this.token}; HttpOnly; SameSite=Strict; Path=/` } : {}),
      'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'",
    });
    this.res.end(s);
  }

  script(s: string, cache: boolean): void {
    this.res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...(cache ? { 'cache-control': 'max-age=3600' } : {}) });
    this.res.end(s);
  }
}

/** POST: start a job, cancel or resume one. Every POST needs the token in X-Grokbench-Token. */
async function post(c: Ctx, x: Exchange): Promise<void> {
  if (!x.headerShowsToken) throw new HttpError(403, 'a state-changing request needs the token printed by grokbench serve (X-Grokbench-Token header)');
  const seg = x.seg;
  if (seg[0] === 'api' && seg[1] === 'jobs' && seg.length === 2) {
    const f = parseJsonObject(await readBody(x.req));
    const form: Record<string, string> = {};
    const fields = (f.form ?? {}) as Record<string, unknown>;
    if (typeof fields !== 'object' || fields === null) throw new HttpError(400, 'form must be an object');
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new HttpError(400, `field ${k} must be a string`);
      form[k] = String(v);
    }
    return x.json(c.jobs.start(String(f.kind ?? ''), form), 201);
  }
  if (seg[0] === 'api' && seg[1] === 'jobs' && seg.length === 4 && (seg[3] === 'cancel' || seg[3] === 'resume')) {
    return x.json(seg[3] === 'cancel' ? c.jobs.cancel(seg[2]) : c.jobs.resume(seg[2]));
  }
  throw new HttpError(404, `no POST ${x.path}`);
}

/** GET of a page, the page script or a static script. */
function page(c: Ctx, x: Exchange): void {
  const { seg, path } = x, dir = c.store.dir;
  if (path === '/') return x.html(pageHtml('home', 'grokbench: runs', dir, x.pageToken));
  if (seg[0] === 'run' && seg.length === 2) {
    if (!c.store.getRun(seg[1])) return x.html(pageHtml('missing', 'grokbench: no such run', dir, x.pageToken, {}, `There is no run ${seg[1]} in this store.`), 404);
    return x.html(pageHtml('run', `grokbench: ${seg[1]}`, dir, x.pageToken, { run: seg[1] }));
  }
  if (path === '/jobs') return x.html(pageHtml('jobs', 'grokbench: jobs', dir, x.pageToken));
  if (path === '/compare') return x.html(pageHtml('compare', 'grokbench: compare', dir, x.pageToken, { runs: x.url.searchParams.get('runs') ?? '' }));
  if (seg[0] === 'job' && seg.length === 2) {
    if (!c.jobs.detail(seg[1], 0)) return x.html(pageHtml('missing', 'grokbench: no such job', dir, x.pageToken, {}, `There is no job ${seg[1]} on this store.`), 404);
    return x.html(pageHtml('job', `grokbench: job ${seg[1]}`, dir, x.pageToken, { job: seg[1] }));
  }
  if (path === '/study') return x.html(pageHtml('compare', 'grokbench: study', dir, x.pageToken, { runs: 'all' }));
  if (path === '/views') return x.html(pageHtml('views', 'grokbench: views', dir, x.pageToken));
  if (path === '/app.js') return x.script(pageScript('dashboard'), false);
  if (seg[0] === 'static' && seg.length === 2) {
    const s = staticFile(seg[1]);
    if (s === undefined) throw new HttpError(404, `no static file ${seg[1]}`);
    return x.script(s, true);
  }
  throw new HttpError(404, `no page ${path}`);
}

/** GET of the API. */
function read(c: Ctx, x: Exchange): void {
  const { seg, path, url } = x;
  if (path === '/api/runs') return x.json(url.searchParams.get('fields') === 'basic' ? c.data.basicRows() : c.data.homeRows());
  if (path === '/api/settings') return x.json(formSettings());
  if (path === '/api/jobs') return x.json(c.jobs.list());
  if (seg[1] === 'jobs' && seg.length === 3) {
    const d = c.jobs.detail(seg[2]);
    if (!d) throw new HttpError(404, `no job ${seg[2]}`);
    return x.json(d);
  }
  if (path === '/api/compare') return x.json(c.data.compareJson(url.searchParams.get('runs')));
  if (path === '/api/compare/further') return x.json(c.data.furtherJson(url.searchParams.get('runs')));
  if (path === '/api/views') return x.json(c.data.catalogJson());
  if (seg.length === 3 && seg[0] === 'api' && seg[1] === 'views') return x.json(c.data.viewAcrossJson(seg[2], url.searchParams.get('runs')));
  if (path === '/api/events') return c.events.open(x.req, x.res);
  if (seg[1] === 'run' && seg.length === 3) return x.json(c.data.runJson(seg[2]));
  if (seg[1] === 'run' && seg.length === 4 && seg[3] === 'maps') {
    const [head, maps] = c.data.mapsBinary(seg[2], url.searchParams.get('epoch'));
    x.res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'content-length': head.length + maps.length });
    x.res.write(head);
    x.res.end(maps);
    return;
  }
  if (seg[1] === 'run' && seg.length === 5 && seg[3] === 'view') return x.json(c.data.viewJson(seg[2], seg[4]));
  if (seg[1] === 'run' && seg.length === 6 && seg[3] === 'view' && seg[5] === 'csv') {
    const figure = url.searchParams.get('figure');
    const text = c.data.viewCsv(seg[2], seg[4], figure);
    x.res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${(figure ?? 'figure').replace(/[^A-Za-z0-9._-]/g, '_')}.csv"` });
    x.res.end(text);
    return;
  }
  if (seg[1] === 'run' && seg.length === 5 && seg[3] === 'neuron') return x.json(c.data.neuronJson(seg[2], seg[4], url.searchParams.get('epoch')));
  throw new HttpError(404, `no API ${path}`);
}

/** A failure as the status and one-line JSON message a client gets. */
function answerError(res: ServerResponse, err: unknown): void {
  const status = err instanceof HttpError ? err.status : err instanceof GrokbenchError ? (err.exitCode === 2 ? 400 : 500) : err instanceof URIError ? 400 : 500;
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (res.headersSent) { res.end(); return; }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: `grokbench: ${msg}` }));
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
  const events = new LiveEvents(store);
  const jobs = new Jobs(store, { onChange: (job) => events.send('job', job) });
  const c: Ctx = { store, data: new DashboardData(store, K, kern), jobs, events, token };

  const port = (server.address() as AddressInfo).port;
  // A Host header naming another host is refused (DNS rebinding).
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`.toLowerCase()]);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader)) throw new HttpError(403, `host ${hostHeader || '(none)'} is not this server`);
    const x = new Exchange(req, res, token);
    if (req.method === 'POST') return post(c, x);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} not allowed`);
    if (x.path === '/favicon.ico') { res.writeHead(204, { 'cache-control': 'max-age=86400' }); res.end(); return; }
    // Reads need the token too (as Jupyter's do): the store is the researcher's, not every local user's.
    if (!x.authorised) throw new HttpError(403, 'this server needs the token that grokbench serve printed: open the URL it printed (…/?token=…) or send X-Grokbench-Token');
    return x.seg[0] === 'api' ? read(c, x) : page(c, x);
  };
  dispatch = (req, res) => { handle(req, res).catch((err: unknown) => answerError(res, err)); };
  const stopWarming = c.data.warm();

  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  return {
    url, token, openUrl: `${url}/?token=${token}`, server, jobs,
    close: () => new Promise<void>((resolve) => {
      stopWarming();
      events.close();
      jobs.close();
      server.close(() => { store.close(); resolve(); });
      server.closeAllConnections();
    }),
  };
}
