/**
 * The live event stream (/api/events, server-sent events): every second, the runs' progress when it
 * changed; jobs' changes as they happen.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.js';
import { toJson } from './http.js';

export class LiveEvents {
  private readonly clients = new Set<ServerResponse>();
  private lastRuns = '';
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(private readonly store: Store) {
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
  }

  /** Each run's progress as the pages follow it. */
  private runRows() {
    const store = this.store;
    return store.listRuns().map((r) => ({ run_id: r.run_id, epochs_done: r.epochs_done, epochs: r.epochs, status: store.runState(r).state, checkpoints: store.checkpointStamp(r.run_id).n }));
  }

  private tick(): void {
    if (this.clients.size === 0) return;
    try {
      const rows = this.runRows();
      const s = JSON.stringify(rows);
      if (s !== this.lastRuns) { this.lastRuns = s; this.send('runs', rows); }
    } catch { /* the store is busy; next tick */ }
  }

  send(event: string, data: unknown): void {
    const msg = `event: ${event}\ndata: ${toJson(data)}\n\n`;
    for (const c of this.clients) c.write(msg);
  }

  /** Answer req with the stream; the next tick sends every run's progress to it. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: hello\ndata: {}\n\n`);
    this.lastRuns = '';
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  close(): void {
    clearInterval(this.ticker);
    for (const c of this.clients) c.end();
  }
}
